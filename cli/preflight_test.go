package cli

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/outreach-scheduler/outreach/internal/golden"
)

// TestPreflightGolden runs validate and preview on testdata/preflight
// (fields that are not columns, variants no prospect can use, messages some
// prospects skip, per-prospect findings capped and listed with --all) and
// compares with testdata/golden/NAME.txt (go test -update rewrites).
func TestPreflightGolden(t *testing.T) {
	const cfg = "testdata/preflight/config.yaml"
	const dir = "testdata/preflight/campaigns/"
	cases := []struct {
		name string
		args []string
	}{
		{"preflight_validate", []string{"--config", cfg, "validate"}},
		{"preflight_validate_all", []string{"--config", cfg, "validate", "--all", dir + "pitch.yaml"}},
		{"preflight_preview_all", []string{"--config", cfg, "preview", "--all", dir + "pitch.yaml"}},
		{"preflight_columns_json", []string{"--config", cfg, "validate", "--json", dir + "columns.yaml"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tc.args...)
			got := fmt.Sprintf("$ outreach %s\nexit: %d\n--- stdout\n%s--- stderr\n%s", strings.Join(tc.args, " "), code, stdout, stderr)
			golden.Check(t, filepath.Join("testdata", "golden", tc.name+".txt"), got)
		})
	}
}

// TestPreflightExit: a field that is not a column fails validate, apply
// and simulate (exit 1) before anything is stored or run.
func TestPreflightExit(t *testing.T) {
	const cfg = "testdata/preflight/config.yaml"
	const file = "testdata/preflight/campaigns/columns.yaml"
	fakeSim(t, nil, nil, fmt.Errorf("the simulator must not run"))
	for _, args := range [][]string{
		{"--config", cfg, "validate", file},
		{"--config", cfg, "apply", file},
		{"--config", cfg, "simulate", "--days", "3", file},
	} {
		code, stdout, stderr := runCLI(t, args...)
		if code != ExitInvalid || !strings.Contains(stdout+stderr, `columns.yaml:10: steps[0].connect.note.variants[0].text: field "titel" is not a column of people.csv (did you mean "title"?)`) {
			t.Errorf("outreach %s: exit %d\n%s%s", strings.Join(args, " "), code, stdout, stderr)
		}
	}
}

// TestSimulateSkipsMessages: simulate --json runs a campaign whose messages
// do not render for some prospects (validate warns, nothing blocks): they
// skip those messages with reason missing_field and get the next ones;
// nobody fails.
func TestSimulateSkipsMessages(t *testing.T) {
	code, stdout, stderr := runCLI(t, "--config", "testdata/preflight/config.yaml", "simulate", "testdata/preflight/campaigns/shared.yaml",
		"--days", "30", "--start", "2026-11-23T09:00:00Z", "--seed", "1", "--json")
	if code != ExitOK || !strings.Contains(stderr, "warning: steps[1].message: 11 of the 30 prospects skip this message") {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	type event struct {
		Event, Prospect, Reason string
	}
	var skippedThenSent, skips int
	skipped := map[string]bool{}
	for line := range strings.Lines(stdout) {
		var ev event
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatal(err)
		}
		switch ev.Event {
		case "message_skipped":
			skips++
			if ev.Reason != "missing_field" {
				t.Errorf("skip with reason %q", ev.Reason)
			}
			skipped[ev.Prospect] = true
		case "messaged":
			if skipped[ev.Prospect] {
				skippedThenSent++
			}
		case "failed":
			t.Errorf("a prospect failed: %s", line)
		}
	}
	if skips == 0 || skippedThenSent == 0 {
		t.Errorf("%d skips, %d messages sent after a skip; want some of each:\n%s", skips, skippedThenSent, stdout)
	}
}
