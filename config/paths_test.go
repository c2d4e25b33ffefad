package config

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// pathWorld is a directory tree for the path tests:
//
//	root/ws/config.yaml      (written by the test)
//	root/ws/campaigns/a.yaml
//	root/ws/lists/p.csv
//	root/ws/out.yaml         -> ../elsewhere/b.yaml (a symlink leading out)
//	root/ws/link/            -> ../elsewhere       (a directory symlink)
//	root/elsewhere/b.yaml, root/elsewhere/q.csv
//	root/team/c.yaml
func pathWorld(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for _, f := range []string{"ws/campaigns/a.yaml", "ws/lists/p.csv", "elsewhere/b.yaml", "elsewhere/q.csv", "team/c.yaml"} {
		p := filepath.Join(root, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("../elsewhere/b.yaml", filepath.Join(root, "ws/out.yaml")); err != nil {
		t.Skip("no symlinks here:", err)
	}
	if err := os.Symlink("../elsewhere", filepath.Join(root, "ws/link")); err != nil {
		t.Fatal(err)
	}
	return root
}

func loadAt(t *testing.T, root, body string) *Config {
	t.Helper()
	path := filepath.Join(root, "ws/config.yaml")
	if err := os.WriteFile(path, []byte(body+"\naccounts:\n  - {id: alice, tier: free}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, fs, err := Load(path)
	if err != nil || fs.HasErrors() {
		t.Fatal(err, fs.Strings())
	}
	return cfg
}

// TestCheckPath: files inside the config's directory are allowed; `../`
// escapes, absolute paths elsewhere, /proc/self/environ and symlinks that
// lead out are not; allow_paths widens the allowed places (relative to the
// config's directory, or absolute).
func TestCheckPath(t *testing.T) {
	root := pathWorld(t)
	ws := filepath.Join(root, "ws")
	cfg := loadAt(t, root, "")
	for _, tc := range []struct {
		path    string
		ok      bool
		symlink bool
	}{
		{filepath.Join(ws, "lists/p.csv"), true, false},
		{filepath.Join(ws, "lists/missing.csv"), true, false}, // need not exist
		{filepath.Join(ws, "campaigns/../lists/p.csv"), true, false},
		{filepath.Join(ws, "../elsewhere/q.csv"), false, false},
		{filepath.Join(root, "elsewhere/q.csv"), false, false},
		{"/proc/self/environ", false, false},
		{"/etc/passwd", false, false},
		{filepath.Join(ws, "out.yaml"), false, true},
		{filepath.Join(ws, "link/q.csv"), false, true},
		{filepath.Join(ws, "link/missing.csv"), false, true}, // the directory leads out
	} {
		err := cfg.CheckPath(tc.path)
		var pe *PathError
		switch {
		case tc.ok && err != nil:
			t.Errorf("%s: %v, want allowed", tc.path, err)
		case !tc.ok && !errors.As(err, &pe):
			t.Errorf("%s: %v, want a *PathError", tc.path, err)
		case !tc.ok && pe.Symlink != tc.symlink:
			t.Errorf("%s: %v (symlink %v), want symlink %v", tc.path, err, pe.Symlink, tc.symlink)
		}
	}

	wide := loadAt(t, root, "allow_paths: [../elsewhere, "+filepath.Join(root, "team")+"]")
	for _, p := range []string{filepath.Join(root, "elsewhere/q.csv"), filepath.Join(ws, "out.yaml"), filepath.Join(ws, "link/q.csv"), filepath.Join(root, "team/c.yaml")} {
		if err := wide.CheckPath(p); err != nil {
			t.Errorf("%s with allow_paths: %v", p, err)
		}
	}
	if err := wide.CheckPath("/proc/self/environ"); err == nil || !strings.Contains(err.Error(), "and its allow_paths") {
		t.Errorf("/proc/self/environ with allow_paths: %v", err)
	}
}

// TestCampaignGlobsStayInPlace: a glob that matches files outside the
// config's directory is an error at its line, naming the key and the
// file, and the file is left out; allow_paths lets it in.
func TestCampaignGlobsStayInPlace(t *testing.T) {
	root := pathWorld(t)
	cfg := loadAt(t, root, "campaigns:\n  - campaigns/*.yaml\n  - ../elsewhere/*.yaml\n  - out.yaml\n  - "+filepath.Join(root, "team")+"/*.yaml")
	files, fs := cfg.CampaignFiles()
	if len(files) != 1 || !strings.HasSuffix(files[0], "campaigns/a.yaml") {
		t.Errorf("files %v, want only campaigns/a.yaml", files)
	}
	got := strings.Join(fs.Strings(), "\n")
	for _, want := range []string{
		`config.yaml:3: campaigns[1]: "../elsewhere/*.yaml" matches`,
		`config.yaml:4: campaigns[2]: "out.yaml" matches`,
		"leads, through a symlink, outside the directory of",
		`config.yaml:5: campaigns[3]: "`, `matches "../team/c.yaml", which is outside the directory of`,
		`matches "../elsewhere/b.yaml"`, `matches "out.yaml"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("findings lack %q:\n%s", want, got)
		}
	}
	if n := fs.Count(0); len(fs) != 3 || n != 3 {
		t.Errorf("%d findings, want 3 errors:\n%s", len(fs), got)
	}

	wide := loadAt(t, root, "allow_paths: [.., /nonexistent]\ncampaigns: [campaigns/*.yaml, ../elsewhere/*.yaml, out.yaml, ../team/*.yaml]")
	files, fs = wide.CampaignFiles()
	if len(fs) != 0 || len(files) != 4 {
		t.Errorf("with allow_paths: files %v, findings %v", files, fs.Strings())
	}
	if !slices.ContainsFunc(files, func(f string) bool { return strings.HasSuffix(f, "out.yaml") }) {
		t.Errorf("files %v lack the symlink out.yaml", files)
	}
}
