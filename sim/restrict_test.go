package sim

import (
	"context"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/platform/sandbox"
)

// restrictWorld: account bad sends to a list that accepts 3% of its
// invitations, account good at the default 30%, over a year with
// platform.sandbox.restrict enabled at its defaults. shared puts both in
// one campaign (one shard); otherwise each has its own (two shards, whose
// events Run merges).
func restrictWorld(t *testing.T, shared bool) (*Result, []Event) {
	spec := worldSpec{
		defaults:  "days: [mon, tue, wed, thu, fri]\n",
		accounts:  []string{"id: bad\ntier: premium\n", "id: good\ntier: premium\n"},
		sandbox:   "account_accept_rates: {bad: 0.03}\nrestrict: {enabled: true}\n",
		prospects: 8000,
	}
	if shared {
		spec.campaigns = []string{"name: both\naccounts: [bad, good]\nsteps:\n  - connect: {}\n"}
	} else {
		spec.campaigns = []string{"name: c-bad\naccounts: [bad]\nsteps:\n  - connect: {}\n", "name: c-good\naccounts: [good]\nsteps:\n  - connect: {}\n"}
	}
	w := buildWorld(t, spec)
	opt := w.options()
	opt.Start = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	opt.Days = 365
	opt.Seed = 3
	var evs []Event
	opt.OnEvent = func(e Event) { evs = append(evs, e) }
	res, err := Run(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	return res, evs
}

// TestSimulateRestricted: the model restricts the account with the bad
// list, never the good one; each restriction is an account event with its
// end, in time order, counted on the account, and the platform refused an
// invitation of bad restricted at each.
func TestSimulateRestricted(t *testing.T) {
	for _, shared := range []bool{true, false} {
		res, evs := restrictWorld(t, shared)
		var restricted []Event
		for i, e := range evs {
			if i > 0 && e.T.Before(evs[i-1].T) {
				t.Fatalf("shared %v: event %d at %s before %s", shared, i, e.T, evs[i-1].T)
			}
			if e.Event == EventRestricted {
				restricted = append(restricted, e)
			}
		}
		if len(restricted) == 0 {
			t.Fatalf("shared %v: no restricted event", shared)
		}
		refusals := map[time.Time]bool{}
		for _, v := range res.Violations() {
			if v.Refused == platform.CodeRestricted && v.Account == "bad" {
				refusals[v.At] = true
			}
		}
		for _, e := range restricted {
			if e.Account != "bad" || e.Campaign != "" || e.Prospect != "" || e.Reason != sandbox.ReasonLowAcceptance ||
				!e.Until.Equal(e.T.Add(sandbox.DefaultRestrictionDuration)) {
				t.Errorf("shared %v: %+v, want bad restricted for low acceptance until T+7d", shared, e)
			}
			if !refusals[e.T] {
				t.Errorf("shared %v: no restricted refusal of bad at %s", shared, e.T)
			}
		}
		for _, a := range res.Accounts {
			want := 0
			if a.ID == "bad" {
				want = len(restricted)
			}
			if a.Restrictions != want {
				t.Errorf("shared %v: account %s counts %d restrictions, want %d", shared, a.ID, a.Restrictions, want)
			}
			if a.ID == "good" && a.Invited < 3000 {
				t.Errorf("shared %v: good invited only %d in a year", shared, a.Invited)
			}
		}
		t.Logf("shared %v: %d restrictions of bad; invited: bad %d, good %d", shared, len(restricted), res.Accounts[0].Invited, res.Accounts[1].Invited)
	}
}
