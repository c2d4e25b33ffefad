package cli

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestAllowanceMatchesPlanner: preview marks the prospects that the
// planner sends without a note because the free account's allowance is
// spent (note_allowance), in the planner's order. Within the first month
// of the plan (13 invitations at bob's caps, see campaigns.NotePlan) the
// preview's reasons, and whether a note is sent, are the simulation's.
func TestAllowanceMatchesPlanner(t *testing.T) {
	const cfg = "testdata/allowance/config.yaml"
	const camp = "testdata/allowance/campaigns/spring.yaml"
	code, stdout, stderr := runCLI(t, "--config", cfg, "preview", "--json", camp)
	if code != ExitOK {
		t.Fatalf("preview: exit %d\n%s", code, stderr)
	}
	type invitation struct {
		Prospect, Variant, Reason string
	}
	var preview []invitation
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var p previewLine
		if err := json.Unmarshal([]byte(line), &p); err != nil {
			t.Fatal(err)
		}
		preview = append(preview, invitation{p.Prospect, p.Variant, p.FallbackReason})
	}
	code, stdout, stderr = runAt(time.Now(), "--config", cfg, "simulate", "--json", "--start", "2026-12-01", "--days", "60", camp)
	if code != ExitOK {
		t.Fatalf("simulate: exit %d\n%s", code, stderr)
	}
	var planned []invitation
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var ev struct{ Event, Prospect, Variant, Reason string }
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatal(err)
		}
		if ev.Event == "invited" {
			planned = append(planned, invitation{ev.Prospect, ev.Variant, ev.Reason})
		}
	}
	const month = 13
	if len(preview) < month || len(planned) < month {
		t.Fatalf("%d previewed, %d planned: want at least %d of each", len(preview), len(planned), month)
	}
	allowance := 0
	for i := range month {
		p, s := preview[i], planned[i]
		// The A/B strategy may choose another variant that fits; whether a
		// note goes, and why not the first variant, must agree.
		if p.Prospect != s.Prospect || p.Reason != s.Reason || (p.Variant == "blank") != (s.Variant == "blank") {
			t.Errorf("invitation %d: preview %+v, planner %+v", i, p, s)
		}
		if p.Reason == "note_allowance" {
			allowance++
		}
	}
	if allowance < 10 {
		t.Errorf("%d note_allowance fallbacks in the first month; the test data should give 11", allowance)
	}
}
