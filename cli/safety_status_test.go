package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/outreach-scheduler/outreach/app"
	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/scheduler"
)

// TestPrintSafety: status names each slowed account's pace and the signal
// behind it, and says nothing when every account is healthy.
func TestPrintSafety(t *testing.T) {
	s := config.Safety{Enabled: true, TargetAcceptance: 0.18, DangerAcceptance: 0.12, MaxDecline: 0.3, PendingStart: 0.6,
		MinAge: 14 * config.Day, RecoveryStep: 0.1}
	healthy := app.AccountStatus{ID: "ann", Health: scheduler.Health{Score: 1, Pace: 1, Enabled: true}, Safety: s}
	var b bytes.Buffer
	printSafety(&b, []app.AccountStatus{healthy})
	if b.Len() != 0 {
		t.Errorf("healthy accounts: %q; want nothing", b.String())
	}
	accts := []app.AccountStatus{
		healthy,
		{ID: "bob", Safety: s, Health: scheduler.Health{Score: 0.25, Pace: 0.325, Enabled: true, Signal: scheduler.SignalAcceptance, Sent: 120, Accepted: 12, Trials: 100}},
		{ID: "cat", Safety: s, MaxPending: 500, Health: scheduler.Health{Score: 0.5, Pace: 1, Signal: scheduler.SignalPending, Stale: 400}},
		{ID: "dan", Safety: s, Health: scheduler.Health{Score: 1, Pace: 0.7, Enabled: true}},
	}
	b.Reset()
	printSafety(&b, accts)
	got := b.String()
	for _, want := range []string{
		"  bob: pace 32% of the caps, health 0.25: acceptance 12.0% over the latest 120 invitations (healthy from 18%, floor at 12%)\n",
		"  cat: governor disabled, full pace, health 0.50: 400 invitations pending for 14d or more, of max_pending 500 (healthy up to 60%)\n",
		"  dan: pace 70% of the caps, health 1.00: recovering, by at most 10% a day\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
	if strings.Contains(got, "ann") {
		t.Errorf("the healthy account is listed:\n%s", got)
	}
}
