package sim

import (
	"context"
	"testing"
	"time"
)

// TestShardsRunApartAndMerge: campaigns with no shared account or person
// run as separate shards; the merged forecast, record and event stream are
// those of the whole world: counts add up, events come in time order, and
// the referee finds nothing on the merged record.
func TestShardsRunApartAndMerge(t *testing.T) {
	w := buildWorld(t, worldSpec{
		defaults:  "min_gap: 5m\njitter: 1.0\n",
		accounts:  []string{"id: a\ntier: premium", "id: b\ntier: free", "id: c\ntier: sales_navigator", "id: d\ntier: premium"},
		prospects: 600,
		campaigns: []string{
			"name: one\naccounts: [a, b]\nsteps:\n  - connect: {}\n",
			"name: two\naccounts: [c]\nsteps:\n  - connect: {}\n",
			"name: three\naccounts: [d]\nsteps:\n  - connect: {}\n",
		},
	})
	if got := len(shards(w.camps, w.options().sources)); got != 3 {
		t.Fatalf("%d shards, want 3 (no shared account or person)", got)
	}
	opt := w.options()
	opt.Start = time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	opt.Days = 21
	opt.Seed = 5
	var last time.Time
	events := 0
	opt.OnEvent = func(e Event) {
		if e.T.Before(last) {
			t.Fatalf("event at %v after one at %v: the merged stream is out of order", e.T, last)
		}
		last = e.T
		events++
	}
	res, err := Run(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	sum := 0
	for _, a := range res.Accounts {
		if a.Invited == 0 {
			t.Errorf("account %s invited nobody", a.ID)
		}
		sum += a.Invited
	}
	camps := 0
	for _, c := range res.Campaigns {
		camps += c.Invited
	}
	invites := 0
	for _, e := range res.Record() {
		if e.Op == "invite" && e.Refused == "" {
			invites++
		}
	}
	if sum != camps || sum != invites || events == 0 {
		t.Fatalf("accounts invited %d, campaigns %d, the platforms recorded %d (%d events)", sum, camps, invites, events)
	}
	for _, v := range CheckInvariants(w.cfg, w.camps, res.Record(), res.Events) {
		t.Error(v)
	}
}
