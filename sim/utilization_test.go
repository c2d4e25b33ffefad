package sim

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// TestUtilization: with ample prospects every account sends at least 97% of
// what its caps, working hours and gap allow over the period.
//
// The bound is CapacityBound: the greedy schedule that sends each
// invitation at the earliest instant every rule allows (working time of
// the account's zone, the daily cap of its calendar day, the rolling-week
// cap with warm-up, exactly min_gap after the previous one). Every rule is
// monotone in time, so no schedule sends more (the exchange argument in its
// doc comment). The engine spreads the day's quota over the working hours
// and adds a random jitter of up to jitter x min_gap to each gap, so when
// the gap itself is what limits an account (short hours, long gaps) the
// jitter costs throughput by design: those worlds run with jitter 0 here,
// and the cap-bound worlds with the shipped jitter of 1.0.
func TestUtilization(t *testing.T) {
	type acct struct {
		yaml   string
		jitter string
	}
	capBound := []string{
		"tier: premium\ntimezone: America/New_York",                                                    // 30/day, 150/week, 9h days
		"tier: free\ntimezone: Europe/Berlin\nhours: \"08:00-12:00\"",                                  // 20/day in 4h
		"tier: sales_navigator\ntimezone: Asia/Tokyo",                                                  // 40/day
		"tier: premium\ntimezone: Australia/Sydney\nwarmup_start: 2026-10-01",                          // ramp 20, 40, ...
		"tier: premium\ntimezone: UTC\ndays: [mon, tue, wed, thu, fri, sat, sun]\nlimits: {daily: 40}", // the week binds
		"tier: free\ntimezone: America/Los_Angeles\nlimits: {weekly: 60, daily: 15}",
	}
	gapBound := []string{
		"tier: premium\ntimezone: UTC\nhours: \"10:00-11:00\"\nlimits: {min_gap: 10m}", // 6 an hour
		"tier: sales_navigator\ntimezone: Europe/Berlin\nhours: \"09:00-13:00\"\nlimits: {min_gap: 15m}",
	}
	var accts []acct
	for _, y := range capBound {
		accts = append(accts, acct{y, "1.0"})
	}
	for _, y := range gapBound {
		accts = append(accts, acct{y, "0"})
	}
	for i, ac := range accts {
		for seed := uint64(1); seed <= 3; seed++ {
			t.Run(fmt.Sprintf("account%d/seed%d", i, seed), func(t *testing.T) {
				t.Parallel()
				r := rand.New(rand.NewPCG(uint64(i), seed))
				spec := worldSpec{
					defaults:  "min_gap: 3m\njitter: " + ac.jitter + "\nmax_pending: 5000\n",
					accounts:  []string{"id: a\n" + ac.yaml},
					prospects: 5000,
					campaigns: []string{"name: c\naccounts: [a]\nsteps:\n  - connect: {}\n"},
				}
				w := buildWorld(t, spec)
				opt := w.options()
				opt.Start = time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC)
				opt.Days = 56
				opt.Seed = int64(r.Uint32())
				res, err := Run(context.Background(), opt)
				if err != nil {
					t.Fatal(err)
				}
				bound := CapacityBound(&w.cfg.Accounts[0], nil, opt.Start, res.End)
				got := res.Accounts[0].Invited
				t.Logf("%s: sent %d of at most %d (%.1f%%)", ac.yaml, got, bound, 100*float64(got)/float64(bound))
				if bound == 0 {
					t.Fatal("the bound is 0: the world tests nothing")
				}
				if float64(got) < 0.97*float64(bound) {
					t.Errorf("sent %d, less than 97%% of the %d the rules allow", got, bound)
				}
				if got > bound {
					t.Errorf("sent %d, more than the %d the rules allow", got, bound)
				}
			})
		}
	}
}
