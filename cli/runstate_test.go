package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/app"
)

// TestStatusBesideRun: `outreach run` on the embedded Redis writes its
// address beside the config; status reads the running state through it,
// pause and resume act on the run (its planner and worker see them), and
// the file is gone when run exits, after which status says so (exit 2).
func TestStatusBesideRun(t *testing.T) {
	dir := t.TempDir()
	var csv strings.Builder
	csv.WriteString("profile_url,first_name\n")
	for i := range 200 {
		fmt.Fprintf(&csv, "https://example.com/in/p%d,P%d\n", i, i)
	}
	files := map[string]string{
		"p.csv": csv.String(),
		"config.yaml": `
redis: {addr: ""}
metrics: {listen: ""}
platform:
  driver: sandbox
  sandbox: {accept_rate: 0, decline_rate: 0}
defaults:
  min_gap: 1s
  jitter: 0
  days: [mon, tue, wed, thu, fri, sat, sun]
  hours: "00:00-24:00"
accounts:
  - {id: alice, tier: premium, limits: {weekly: 100000, daily: 50000}}
campaigns: [c.yaml]
`,
		"c.yaml": "name: c\naccounts: [alice]\nprospects: {csv: p.csv}\nsteps:\n  - connect: {}\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := filepath.Join(dir, "config.yaml")
	state := app.RunStatePath(cfg)

	// No run yet: status says there is none.
	if code, _, stderr := runCLI(t, "--config", cfg, "status"); code != ExitError || !strings.Contains(stderr, "no outreach run is running beside this config") {
		t.Fatalf("status without a run: exit %d\n%s", code, stderr)
	}

	var out, errb lockedBuffer
	g := &globals{stdout: &out, stderr: &errb, now: time.Now}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- execute(ctx, g, []string{"--config", cfg, "run", "--progress", "1s"}) }()
	defer func() {
		cancel()
		<-done
	}()
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(60 * time.Second); !cond(); time.Sleep(100 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("after 60s: %s\nrun stdout:\n%s\nstderr:\n%s", what, out.String(), errb.String())
			}
		}
	}
	waitFor("the first invitations", func() bool { return strings.Count(out.String(), "invited ") >= 3 })
	if _, err := os.Stat(state); err != nil {
		t.Fatalf("no state file while run runs: %v", err)
	}
	status := func() string {
		t.Helper()
		code, stdout, stderr := runCLI(t, "--config", cfg, "status")
		if code != ExitOK {
			t.Fatalf("status beside run: exit %d\n%s%s", code, stdout, stderr)
		}
		return stdout
	}
	if st := status(); !strings.Contains(st, "alice") || hasRow(st, "c 200 0 0 - 0 0 0 0") {
		t.Fatalf("status beside run shows no progress:\n%s", st)
	}
	// export reads the running run too: its campaign from the file (run
	// applies nothing to the store), the invitations from its ledger.
	if code, stdout, stderr := runCLI(t, "--config", cfg, "export"); code != ExitOK || strings.Count(stdout, ",c,alice,invited,blank,0,") == 0 ||
		strings.Count(stdout, "\n") != 201 || !strings.Contains(stderr, "read from their files: c") {
		t.Errorf("export beside run: exit %d\n%s%s", code, stdout, stderr)
	}

	// Pause the campaign of the running run; its invitations stop.
	if code, stdout, stderr := runCLI(t, "--config", cfg, "pause", "campaign", "c", "--reason", "checking"); code != ExitOK || !strings.Contains(stdout, "paused campaign c") {
		t.Fatalf("pause beside run: exit %d\n%s%s", code, stdout, stderr)
	}
	if st := status(); !strings.Contains(st, "campaign c: since") {
		t.Errorf("status does not list the pause:\n%s", st)
	}
	time.Sleep(1500 * time.Millisecond) // what was in flight lands
	before := strings.Count(out.String(), "invited ")
	time.Sleep(3 * time.Second)
	if after := strings.Count(out.String(), "invited "); after != before {
		t.Errorf("%d invitations went out during the pause", after-before)
	}
	if code, _, stderr := runCLI(t, "--config", cfg, "resume", "campaign", "c"); code != ExitOK {
		t.Fatalf("resume: exit %d\n%s", code, stderr)
	}
	waitFor("invitations after the resume", func() bool { return strings.Count(out.String(), "invited ") > before })

	cancel()
	if code := <-done; code != 0 {
		t.Errorf("run exited %d\n%s", code, errb.String())
	}
	done <- 0 // for the deferred receive
	if _, err := os.Stat(state); !os.IsNotExist(err) {
		t.Errorf("the state file outlives run: %v", err)
	}
	if code, _, stderr := runCLI(t, "--config", cfg, "status"); code != ExitError || !strings.Contains(stderr, "no outreach run is running") {
		t.Errorf("status after run: exit %d\n%s", code, stderr)
	}
}

// TestStaleRunState: a state file left by a killed run names an address
// nothing answers on: status says so and how to fix it.
func TestStaleRunState(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("testdata/ws")); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, "campaigns", "bad.yaml"))
	cfg := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(app.RunStatePath(cfg), []byte(`{"v":1,"redis_addr":"127.0.0.1:1","pid":1,"started":"2026-11-30T09:00:00Z"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, "--config", cfg, "status")
	if code != ExitError || !strings.Contains(stderr, "where nothing answers") || !strings.Contains(stderr, "delete the file") {
		t.Errorf("status with a stale state file: exit %d\n%s", code, stderr)
	}
	if err := os.WriteFile(app.RunStatePath(cfg), []byte(`{"v":9,"redis_addr":"127.0.0.1:1"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runCLI(t, "--config", cfg, "status"); code != ExitError || !strings.Contains(stderr, "newer outreach") {
		t.Errorf("status with a newer state file: exit %d\n%s", code, stderr)
	}
}
