package sandbox

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/platform"
)

// TestAccountAcceptRateChanges: an account's acceptance follows its
// latest change at or before the invitation's time, its fixed rate (or
// none) before the first; changes of unknown accounts or bad shares are
// refused.
func TestAccountAcceptRateChanges(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	accts := map[string]Account{"a": {Weekly: 100}, "b": {Weekly: 100}}
	m := New(Options{Accounts: accts, AccountAcceptRates: map[string]float64{"a": 0.3}, AccountAcceptRateChanges: []AccountRateChange{
		{Account: "a", From: t0.AddDate(0, 0, 20), Rate: 0.2}, {Account: "a", From: t0.AddDate(0, 0, 10), Rate: 0.05},
		{Account: "b", From: t0.AddDate(0, 0, 5), Rate: 0.5},
	}})
	a, b := m.accts["a"], m.accts["b"]
	for _, c := range []struct {
		a    *acct
		day  int
		want float64
	}{{a, 0, 0.3}, {a, 9, 0.3}, {a, 10, 0.05}, {a, 19, 0.05}, {a, 20, 0.2}, {a, 90, 0.2}, {b, 4, math.NaN()}, {b, 5, 0.5}} {
		got := c.a.rateAt(t0.AddDate(0, 0, c.day).UnixNano())
		if got != c.want && !(math.IsNaN(got) && math.IsNaN(c.want)) {
			t.Errorf("%s on day %d: rate %g, want %g", c.a.id, c.day, got, c.want)
		}
	}
	err := Options{Accounts: accts, AccountAcceptRateChanges: []AccountRateChange{{Account: "z", Rate: 0.1}, {Account: "a", Rate: 1.5}}}.Validate()
	if err == nil || !strings.Contains(err.Error(), `"z" is not one of Accounts`) || !strings.Contains(err.Error(), "1.5") {
		t.Errorf("Validate: %v; want both changes refused", err)
	}
}

// TestSentInvitationsFollowRateChanges: the record of sent invitations
// (install recovery) tells each answered invitation's answer as the model
// drew it, at the account's rate of the invitation's time: a list that
// accepts nobody until t0 and everyone from then is all accepted there.
func TestSentInvitationsFollowRateChanges(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	m := New(Options{
		Seed: 1, DeclineRate: -1, Delays: []DelayPoint{{Within: time.Hour, Share: 1}},
		Accounts:                 map[string]Account{"a": {Weekly: 100, NoteChars: 300, NotesPerMonth: Unlimited}},
		AccountAcceptRates:       map[string]float64{"a": 0},
		AccountAcceptRateChanges: []AccountRateChange{{Account: "a", From: t0, Rate: 1}},
	})
	for i := range 5 {
		act := platform.Action{Key: fmt.Sprintf("k%d", i), Account: "a", Person: fmt.Sprintf("p%d", i), Campaign: "c", At: t0.Add(time.Duration(i) * time.Minute)}
		if err := m.Invite(ctx, platform.Invite{Action: act}); err != nil {
			t.Fatal(err)
		}
	}
	if evs := m.Advance(t0.Add(2 * time.Hour)); len(evs) != 5 {
		t.Fatalf("%d answers, want 5 acceptances", len(evs))
	}
	sent, err := m.SentInvitations(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sent {
		if s.Answer != platform.AnswerAccepted {
			t.Errorf("%s: recorded %q, want accepted (the rate at its time was 1)", s.Key, s.Answer)
		}
	}
}
