package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
)

func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

// TestCommitAndAbort: an aborted write leaves the old file and nothing
// else; a committed one replaces it, keeping its permissions; a new file
// gets the mode asked for.
func TestCommitAndAbort(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.csv")
	if err := os.WriteFile(path, []byte("old\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	f, err := Create(path, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("half a fi")
	f.Abort()
	f.Abort()
	if got, _ := os.ReadFile(path); string(got) != "old\n" {
		t.Errorf("after an abort: %q", got)
	}
	if es := entries(t, dir); len(es) != 1 {
		t.Errorf("after an abort the directory holds %v", es)
	}
	if err := f.Commit(); err == nil {
		t.Error("Commit after Abort succeeded")
	}

	f, err = Create(path, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("new\n")
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	f.Abort() // nothing after a commit
	if got, _ := os.ReadFile(path); string(got) != "new\n" {
		t.Errorf("after a commit: %q", got)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want the old file's 0640", st.Mode().Perm())
	}
	if es := entries(t, dir); len(es) != 1 {
		t.Errorf("after a commit the directory holds %v", es)
	}

	fresh := filepath.Join(dir, "fresh.jsonl")
	f, err = Create(fresh, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(fresh); st.Mode().Perm() != 0o600 {
		t.Errorf("new file mode %v, want 0600", st.Mode().Perm())
	}
	if _, err := Create(dir, 0o600); err == nil {
		t.Error("Create over a directory succeeded")
	}
	if _, err := Create(filepath.Join(dir, "no", "such", "dir"), 0o600); err == nil {
		t.Error("Create in a missing directory succeeded")
	}
}
