package cli

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/internal/redistest"
	"github.com/outreach-scheduler/outreach/ledger"
	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/wire"
)

// retryWorkspace is testdata/ws without its invalid campaign, on the Redis
// at addr, with a ledger where ann and bo of campaign good were refused
// invalid_profile and cy note_too_long.
func retryWorkspace(t *testing.T, srv *redistest.Server) (cfg string, led *ledger.Ledger) {
	t.Helper()
	cfg = applyWorkspace(t, srv.Addr())
	dir := filepath.Dir(cfg)
	for _, f := range []string{"bad.yaml", "bad.csv"} {
		if err := os.Remove(filepath.Join(dir, "campaigns", f)); err != nil {
			t.Fatal(err)
		}
	}
	led = ledger.New(srv.Client(), "")
	at := time.Now().Add(-time.Hour).UTC()
	for person, code := range map[string]platform.Code{"ann": platform.CodeInvalidProfile, "bo": platform.CodeInvalidProfile, "cy": platform.CodeNoteTooLong} {
		tk := wire.Task{Kind: wire.KindInvite, At: at, Account: "alice", Campaign: "good", Person: "https://example.com/in/" + person,
			Key: "good/" + person + "/connect", Variant: "short"}
		if err := led.AppendOutcome(context.Background(), tk, wire.Outcome{Kind: wire.Refused, At: at, Code: code}); err != nil {
			t.Fatal(err)
		}
	}
	return cfg, led
}

// hasRow reports whether a line of out has the fields of row.
func hasRow(out, row string) bool {
	want := strings.Fields(row)
	for _, l := range strings.Split(out, "\n") {
		if slices.Equal(strings.Fields(l), want) {
			return true
		}
	}
	return false
}

// commands returns the commands in the ledger.
func commands(t *testing.T, led *ledger.Ledger) []wire.Command {
	t.Helper()
	es, err := led.Read(context.Background(), "0", 1000, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []wire.Command
	for _, e := range es {
		if e.Command != nil {
			out = append(out, *e.Command)
		}
	}
	return out
}

// TestRetryCommand: status shows the failed prospects by reason; retry
// refuses a mistyped reason and an unknown campaign (exit 1), records
// nothing for a reason with nothing to retry or a dry run, and otherwise
// prints what it requeues and records one command with who and why; the
// state rebuilt afterwards has them queued, and a second retry finds
// nothing.
func TestRetryCommand(t *testing.T) {
	srv := redistest.Start(t)
	cfg, led := retryWorkspace(t, srv)

	code, stdout, stderr := runCLI(t, "--config", cfg, "status")
	if code != ExitOK || !strings.Contains(stdout, "FAILED") || !hasRow(stdout, "good invalid_profile 2") ||
		!hasRow(stdout, "good note_too_long 1") || !hasRow(stdout, "good 3 0 0 - 0 0 0 0 3") || !strings.Contains(stdout, "outreach retry --reason") {
		t.Fatalf("status: exit %d\n%s%s", code, stdout, stderr)
	}
	if strings.Contains(stdout, "example.com") {
		t.Errorf("status names a person:\n%s", stdout)
	}

	for _, c := range []struct {
		args []string
		exit int
		want string
	}{
		{[]string{"--reason", "invalid_profil"}, ExitInvalid, `unknown failure reason "invalid_profil"; failed prospects by reason: invalid_profile 2, note_too_long 1`},
		{[]string{"--reason", "invalid_profile", "nope"}, ExitInvalid, `unknown campaign "nope" (campaigns: good)`},
		{[]string{"--reason", "unknown_outcome"}, ExitOK, "no prospect failed with reason unknown_outcome in every campaign"},
		{[]string{"--reason", "invalid_profile", "--dry-run"}, ExitOK, "retry invalid_profile: 2 failed prospects in every campaign back to the queue (good 2)\ndry run: nothing recorded"},
	} {
		code, stdout, stderr := runCLI(t, append([]string{"--config", cfg, "retry"}, c.args...)...)
		if code != c.exit || !strings.Contains(stdout, c.want) {
			t.Errorf("retry %v: exit %d, want %d and %q\n%s%s", c.args, code, c.exit, c.want, stdout, stderr)
		}
	}
	if cmds := commands(t, led); len(cmds) != 0 {
		t.Fatalf("commands recorded before the retry: %+v", cmds)
	}

	before := time.Now().UTC()
	code, stdout, stderr = runCLI(t, "--config", cfg, "retry", "--reason", "invalid_profile", "good", "--comment", "profiles restored")
	if code != ExitOK || !strings.HasPrefix(stdout, "retry invalid_profile: 2 failed prospects in campaign good back to the queue (good 2)\nrecorded as ledger entry ") {
		t.Fatalf("retry: exit %d\n%s%s", code, stdout, stderr)
	}
	cmds := commands(t, led)
	if len(cmds) != 1 {
		t.Fatalf("commands recorded: %+v", cmds)
	}
	c := cmds[0]
	if c.Kind != wire.CommandRetry || c.Code != "invalid_profile" || c.Campaign != "good" || c.Reason != "profiles restored" ||
		!strings.Contains(c.By, "@") || c.At.Before(before.Add(-time.Second)) || c.At.After(time.Now()) {
		t.Errorf("command %+v", c)
	}

	// The state rebuilt from the ledger has them queued again.
	code, stdout, _ = runCLI(t, "--config", cfg, "status")
	if code != ExitOK || strings.Contains(stdout, "invalid_profile") || !hasRow(stdout, "good note_too_long 1") || !hasRow(stdout, "good 3 0 0 - 0 0 0 0 1") {
		t.Errorf("status after the retry: exit %d\n%s", code, stdout)
	}
	code, stdout, _ = runCLI(t, "--config", cfg, "retry", "--reason", "invalid_profile")
	if code != ExitOK || !strings.Contains(stdout, "no prospect failed with reason invalid_profile") || len(commands(t, led)) != 1 {
		t.Errorf("a second retry: exit %d\n%s", code, stdout)
	}
}

func TestRetryUsage(t *testing.T) {
	const cfg = "testdata/ws/config.yaml"
	for _, args := range [][]string{
		{"retry"},
		{"retry", "--reason", " "},
		{"retry", "--reason", "invalid_profile", "a", "b"},
		{"retry", "--reason"},
	} {
		code, stdout, stderr := runCLI(t, append([]string{"--config", cfg}, args...)...)
		if code != ExitError || stderr == "" {
			t.Errorf("outreach %s: exit %d, want %d\n%s%s", strings.Join(args, " "), code, ExitError, stdout, stderr)
		}
	}
	// The embedded Redis: nothing to retry there (a config error, exit 2,
	// once the campaigns load; testdata/ws has an invalid one, exit 2 too).
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("testdata/ws")); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, "campaigns", "bad.yaml"))
	code, stdout, stderr := runCLI(t, "--config", filepath.Join(dir, "config.yaml"), "retry", "--reason", "invalid_profile")
	if code != ExitError || !strings.Contains(stderr, "no outreach run is running beside this config") {
		t.Errorf("retry without redis.addr: exit %d\n%s%s", code, stdout, stderr)
	}
}
