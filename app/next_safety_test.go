package app

import (
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/scheduler"
	"github.com/outreach-scheduler/outreach/wire"
)

// TestNextLineSafety: an account the safety governor holds says so, with
// when its lowered cap lets the next invitation go.
func TestNextLineSafety(t *testing.T) {
	now := time.Date(2026, 11, 23, 5, 25, 0, 0, time.UTC)
	n := scheduler.NextInfo{Account: "rita", At: now.Add(26 * time.Hour), Kind: wire.KindInvite, Campaign: "q3-sales",
		Reason: scheduler.BlockSafety, Until: now.Add(26 * time.Hour)}
	want := "next: rita at Tue 07:25 UTC, in 26h00m: invitation (q3-sales); slowed by the safety governor (caps lowered: outreach status says why) until Tue 07:25"
	if got := nextLine(n, time.UTC, now); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}
