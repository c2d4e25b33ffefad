package sandbox

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/wire"
)

// TestSentInvitations: the model lists the invitations it accepted, with
// the answers it applied (the same as the events Advance delivers),
// withdrawals, and pending ones; never refusals or repeats.
func TestSentInvitations(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	m := New(Options{
		Seed: 3, DeclineRate: -1, VariantAcceptRates: map[string]float64{"yes": 1, "no": 0},
		ExpireAfter: 30 * day, Delays: []DelayPoint{{time.Hour, 1}},
		Accounts: map[string]Account{"alice": {Weekly: 100, NoteChars: 300, NotesPerMonth: Unlimited}, "bob": {Weekly: 100, NoteChars: 300, NotesPerMonth: Unlimited}},
	})
	inv := func(key, acct, person, variant string, at time.Time) error {
		return m.Invite(ctx, platform.Invite{Action: platform.Action{Key: key, Account: acct, Person: person, Campaign: "c", At: at}, Variant: variant, Note: "hi"})
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(inv("k1", "alice", "p1", "yes", t0))
	must(inv("k2", "alice", "p2", "no", t0.Add(time.Second)))
	must(inv("k3", "bob", "p3", "yes", t0.Add(2*time.Second)))
	must(m.Withdraw(ctx, platform.Action{Key: "w3", Account: "bob", Person: "p3", Campaign: "c", At: t0.Add(3 * time.Second)}))
	var events []wire.Event
	events = append(events, m.Advance(t0.Add(10*day))...)
	must(inv("k1", "alice", "p1", "yes", t0.Add(10*day)))                                                      // a repeat
	if err := inv("k4", "alice", "p2", "no", t0.Add(10*day)); platform.CodeOf(err) != platform.CodeDuplicate { // refused
		t.Fatalf("a duplicate invitation: %v", err)
	}
	must(inv("k5", "bob", "p5", "no", t0.Add(11*day)))

	got, err := m.SentInvitations(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]platform.Answer{"k1": platform.AnswerAccepted, "k2": "", "k3": platform.AnswerWithdrawn, "k5": ""}
	if len(got) != len(want) {
		t.Fatalf("%d invitations, want %d: %+v", len(got), len(want), got)
	}
	for _, s := range got {
		if a, ok := want[s.Key]; !ok || s.Answer != a {
			t.Errorf("%s: answer %q, want %q", s.Key, s.Answer, a)
		}
		if s.Campaign != "c" || !s.Note {
			t.Errorf("%s: %+v", s.Key, s)
		}
	}
	if len(events) != 1 || events[0].Key != "k1" || !got[0].AnsweredAt.Equal(events[0].At) {
		t.Errorf("k1 answered at %v; the events delivered: %+v", got[0].AnsweredAt, events)
	}
	if !got[2].AnsweredAt.Equal(t0.Add(3 * time.Second)) {
		t.Errorf("k3 withdrawn at %v, want %v", got[2].AnsweredAt, t0.Add(3*time.Second))
	}

	// k2 expires on the platform's clock at 30 days; since drops the older
	// ones.
	events = m.Advance(t0.Add(31 * day))
	got, err = m.SentInvitations(ctx, t0.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].Key != "k2" || got[0].Answer != platform.AnswerExpired || len(events) != 1 || !got[0].AnsweredAt.Equal(events[0].At) {
		t.Errorf("since t0+1s after k2 expired: %+v (events %+v)", got, events)
	}

	v := New(Options{ViolationsOnly: true, Accounts: map[string]Account{"alice": {Weekly: 1}}})
	if _, err := v.SentInvitations(ctx, time.Time{}); !errors.Is(err, platform.ErrNoSentRecord) {
		t.Errorf("a model that keeps only violations: %v, want ErrNoSentRecord", err)
	}
}
