package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/outreach-scheduler/outreach/forget"
	"github.com/outreach-scheduler/outreach/internal/redistest"
)

func TestForgetCommand(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	rdb := srv.Client()
	cfg := applyWorkspace(t, srv.Addr())
	dir := filepath.Dir(cfg)
	good := filepath.Join(dir, "campaigns", "good.yaml")
	if code, stdout, stderr := runCLI(t, "--config", cfg, "apply", good); code != ExitOK {
		t.Fatalf("apply: %d %s%s", code, stdout, stderr)
	}
	grep := func(needles ...string) []string {
		t.Helper()
		hits, err := redistest.Grep(ctx, rdb, needles...)
		if err != nil {
			t.Fatal(err)
		}
		return hits
	}
	if len(grep("/in/ann", "Ann")) == 0 {
		t.Fatal("before forget, the scan does not find Ann")
	}

	// --person, spelled otherwise than in the CSV.
	code, stdout, stderr := runCLI(t, "--config", cfg, "forget", "--person", " https://www.EXAMPLE.com/in/Ann/ ")
	if code != ExitOK || stdout != "forgot 1 person (1 new): removed 1 store row, 0 ledger entries, 0 queued tasks\n" {
		t.Fatalf("forget --person: exit %d\n%s%s", code, stdout, stderr)
	}
	if hits := grep("/in/ann", "Ann"); len(hits) > 0 {
		t.Errorf("after forget, Redis holds Ann:\n%s", strings.Join(hits, "\n"))
	}
	code, stdout, _ = runCLI(t, "--config", cfg, "apply", good)
	if code != ExitOK || stdout != "campaign good: unchanged; 1 skipped: forgotten\n" {
		t.Errorf("apply after forget: exit %d %q", code, stdout)
	}

	// A bad CSV: FILE:LINE for each problem, exit 1, nobody forgotten.
	bad := filepath.Join(dir, "forget.csv")
	writeForgetFile(t, bad, "Profile URL,Name\nhttps://example.com/in/bo,Bo\nhttps://example.com/in/cy,Cy,extra\n,Nobody\n")
	code, stdout, stderr = runCLI(t, "--config", cfg, "forget", "--csv", bad)
	if code != ExitInvalid || !strings.Contains(stdout, bad+":3: ") || !strings.Contains(stdout, bad+":4: ") || !strings.Contains(stdout, "nothing forgotten") {
		t.Errorf("forget --csv with errors: exit %d\n%s%s", code, stdout, stderr)
	}
	if n, _ := forget.New(rdb, "").Count(ctx); n != 1 {
		t.Errorf("%d people forgotten after a refused CSV, want 1 (Ann)", n)
	}
	if len(grep("/in/bo")) == 0 || len(grep("/in/cy")) == 0 {
		t.Error("a refused CSV forgot someone")
	}
	code, stdout, _ = runCLI(t, "--config", cfg, "forget", "--csv", filepath.Join(dir, "absent.csv"))
	if code != ExitInvalid || !strings.Contains(stdout, "absent.csv: ") {
		t.Errorf("forget --csv of a missing file: exit %d %q", code, stdout)
	}

	// A good CSV, with another key column.
	list := filepath.Join(dir, "list.csv")
	writeForgetFile(t, list, "id,who\n1,https://example.com/in/bo\n2,https://example.com/in/bo/\n3,https://example.com/in/cy\n")
	code, stdout, stderr = runCLI(t, "--config", cfg, "forget", "--csv", list, "--key", "who")
	if code != ExitOK || stdout != "forgot 2 people (2 new): removed 2 store rows, 0 ledger entries, 0 queued tasks\n" {
		t.Errorf("forget --csv: exit %d\n%s%s", code, stdout, stderr)
	}
	if hits := grep("/in/bo", "/in/cy", "Expo"); len(hits) > 0 {
		t.Errorf("after forget --csv:\n%s", strings.Join(hits, "\n"))
	}
}

func TestForgetUsage(t *testing.T) {
	const cfg = "testdata/ws/config.yaml"
	for _, args := range [][]string{
		{"forget"},
		{"forget", "--person", "x", "--csv", "y.csv"},
		{"forget", "--person", "x", "--key", "id"},
		{"forget", "--person", "  "},
		{"forget", "extra-arg"},
	} {
		code, stdout, stderr := runCLI(t, append([]string{"--config", cfg}, args...)...)
		if code != ExitError || stderr == "" {
			t.Errorf("outreach %s: exit %d, want %d\n%s%s", strings.Join(args, " "), code, ExitError, stdout, stderr)
		}
	}
	// The embedded Redis keeps nothing: nothing to forget, not an error.
	code, stdout, stderr := runCLI(t, "--config", cfg, "forget", "--person", "https://example.com/in/ann")
	if code != ExitOK || !strings.Contains(stdout, "nothing to forget") || strings.Contains(stdout, "ann") {
		t.Errorf("forget without redis.addr: exit %d\n%s%s", code, stdout, stderr)
	}
}

func writeForgetFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}
