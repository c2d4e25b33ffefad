package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/outreach-scheduler/outreach/internal/redistest"
)

// TestPauseCommand: pause and resume as an operator uses them, on a real
// Redis: the exit codes of the CLI contract for bad input, "already
// paused" and "not paused" changing nothing, status listing each pause
// with since, until, reason and by what, and the ledger's audit trail.
func TestPauseCommand(t *testing.T) {
	srv := redistest.Start(t)
	cfg, led := retryWorkspace(t, srv)
	run := func(args ...string) (int, string) {
		t.Helper()
		code, stdout, stderr := runCLI(t, append([]string{"--config", cfg}, args...)...)
		return code, stdout + stderr
	}
	for _, c := range []struct {
		args []string
		exit int
		want string
	}{
		{[]string{"pause", "campaign", "nope"}, ExitInvalid, `unknown campaign "nope" (campaigns: good): nothing changed`},
		{[]string{"pause", "account", "carol"}, ExitInvalid, `unknown account "carol" (accounts: alice, bob): nothing changed`},
		{[]string{"pause", "team", "x"}, ExitError, "want `pause campaign NAME` or `pause account ID`"},
		{[]string{"pause", "account", "bob", "--until", "2020-01-01"}, ExitError, "--until 2020-01-01T00:00:00Z is not in the future"},
		{[]string{"pause", "account", "bob", "--until", "tomorrow"}, ExitError, "want a date YYYY-MM-DD"},
		{[]string{"pause", "account", "bob", "--for", "2m", "--until", "2099-01-01"}, ExitError, "give one"},
		{[]string{"pause", "account", "bob", "--for", "0s"}, ExitError, "want a positive duration"},
		{[]string{"pause", "campaign", "good", "--all"}, ExitError, "--all is for accounts"},
		{[]string{"resume", "campaign", "good"}, ExitOK, "campaign good is not paused: nothing changed"},
	} {
		code, out := run(c.args...)
		if code != c.exit || !strings.Contains(out, c.want) {
			t.Errorf("outreach %s: exit %d, want %d and %q\n%s", strings.Join(c.args, " "), code, c.exit, c.want, out)
		}
	}
	if cmds := commands(t, led); len(cmds) != 0 {
		t.Fatalf("bad input recorded %+v", cmds)
	}

	if code, out := run("pause", "campaign", "good", "--reason", "typo in the note"); code != ExitOK || !strings.Contains(out, "paused campaign good (since ") {
		t.Fatalf("pause campaign: exit %d\n%s", code, out)
	}
	if code, out := run("pause", "campaign", "good"); code != ExitOK || !strings.Contains(out, `campaign good is already paused (since `) || !strings.Contains(out, `"typo in the note"`) {
		t.Fatalf("pause again: exit %d\n%s", code, out)
	}
	if code, out := run("pause", "account", "bob", "--for", "2h", "--all"); code != ExitOK || !strings.Contains(out, "paused account bob") || !strings.Contains(out, "withdrawals too") {
		t.Fatalf("pause account: exit %d\n%s", code, out)
	}
	code, out := run("status")
	if code != ExitOK || !strings.Contains(out, "Paused by an operator") ||
		!strings.Contains(out, `campaign good: since `) || !strings.Contains(out, `command by `) || !strings.Contains(out, `"typo in the note"`) ||
		!strings.Contains(out, "account bob: since ") || !strings.Contains(out, ", until ") {
		t.Fatalf("status: exit %d\n%s", code, out)
	}
	if code, out := run("resume", "campaign", "good"); code != ExitOK || !strings.Contains(out, "resumed campaign good (paused since ") {
		t.Fatalf("resume: exit %d\n%s", code, out)
	}
	var trail []string
	for _, c := range commands(t, led) {
		if c.By == "" || c.At.IsZero() {
			t.Errorf("audit entry without who or when: %+v", c)
		}
		trail = append(trail, string(c.Kind)+" "+c.Campaign+c.Account)
	}
	if got := strings.Join(trail, ","); got != "pause good,pause bob,resume good" {
		t.Errorf("audit trail %q", got)
	}
}

// TestPausedInFile: paused: true in a campaign file pauses it when applied;
// an unchanged file re-applied does not undo a resume from the command
// line (the later of the two wins); paused: false after true resumes.
func TestPausedInFile(t *testing.T) {
	srv := redistest.Start(t)
	cfg, _ := retryWorkspace(t, srv)
	file := filepath.Join(filepath.Dir(cfg), "campaigns", "good.yaml")
	orig, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	write := func(paused bool) {
		body := string(orig)
		if paused {
			body = "paused: true\n" + body
		}
		if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run := func(args ...string) string {
		t.Helper()
		code, stdout, stderr := runCLI(t, append([]string{"--config", cfg}, args...)...)
		if code != ExitOK {
			t.Fatalf("outreach %s: exit %d\n%s%s", strings.Join(args, " "), code, stdout, stderr)
		}
		return stdout
	}
	paused := func() bool { return strings.Contains(run("status"), "campaign good: since") }
	write(true)
	if out := run("apply"); !strings.Contains(out, "campaign good: paused (paused: in file)") || !paused() {
		t.Fatalf("apply with paused: true:\n%s", out)
	}
	run("resume", "campaign", "good")
	if run("apply"); paused() {
		t.Error("re-applying the unchanged file undid the command line's resume")
	}
	write(false)
	if run("apply"); paused() {
		t.Error("paused: false paused it")
	}
	write(true)
	if run("apply"); !paused() {
		t.Error("paused: true again did not pause it")
	}
	write(false)
	if out := run("apply"); !strings.Contains(out, "campaign good: resumed (paused: in file)") || paused() {
		t.Errorf("paused: false after true did not resume it:\n%s", out)
	}
}

// TestSimulatePaused: simulate runs the daemons' code, so a campaign
// paused in its file is forecast to send nothing, and the text says why.
func TestSimulatePaused(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("testdata/ws")); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "campaigns", "good.yaml")
	body, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "config.yaml")
	for _, paused := range []bool{false, true} {
		b := string(body)
		if paused {
			b = "paused: true\n" + b
		}
		if err := os.WriteFile(good, []byte(b), 0o644); err != nil {
			t.Fatal(err)
		}
		code, stdout, stderr := runCLI(t, "--config", cfg, "simulate", good, "--days", "7", "--start", "2026-11-23T09:00:00Z", "--json")
		invited := strings.Count(stdout, `"event":"invited"`)
		if code != ExitOK || (paused && invited != 0) || (!paused && invited == 0) {
			t.Errorf("paused %v: exit %d, %d invited events\n%s", paused, code, invited, stderr)
		}
		if paused {
			_, text, _ := runCLI(t, "--config", cfg, "simulate", good, "--days", "7", "--start", "2026-11-23T09:00:00Z")
			if !strings.Contains(text, "Paused (paused: true in its file), nothing forecast for it: campaign good") {
				t.Errorf("the text forecast does not say the campaign is paused:\n%s", text)
			}
		}
	}
}
