package sim

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// randomWorld draws a configuration: a few accounts with random tiers,
// zones (with daylight-saving changes inside the run), working hours, gaps,
// warm-ups, overrides and pending ceilings, and campaigns with random
// senders, dedupe modes, follow and message steps, schedules and notes,
// over prospect lists that overlap so that teammates compete for people.
func randomWorld(t *testing.T, r *rand.Rand) *world {
	tiers := []string{"free", "premium", "sales_navigator"}
	weekly := map[string]int{"free": 100, "premium": 150, "sales_navigator": 200}
	zones := []string{"America/New_York", "Europe/Berlin", "Asia/Tokyo", "Australia/Sydney", "UTC"}
	hours := []string{"09:00-18:00", "08:30-12:00", "00:00-24:00", "13:00-17:30", "10:00-16:00"}
	days := []string{"[mon, tue, wed, thu, fri]", "[mon, wed, fri]", "[mon, tue, wed, thu, fri, sat, sun]", "[tue, thu, sat]"}

	spec := worldSpec{
		defaults: fmt.Sprintf("min_gap: %dm\njitter: %.2f\nwithdraw_after: %dd\nreinvite_cooldown: %dd\n",
			1+r.IntN(15), r.Float64(), 3+r.IntN(25), 1+r.IntN(30)),
		// The platform's own restriction rules are off: these worlds check
		// outreach's limits (caps, gaps, hours, pending, dedupe), and with
		// lists down to 10% and withdrawals after 3 days some would be
		// restricted by the platform's judgement, which sim/safety_test.go
		// and sim/restrict_test.go exercise.
		sandbox:   fmt.Sprintf("accept_rate: %.2f\ndecline_rate: %.2f\nrestrict: {enabled: false}\n", 0.1+0.6*r.Float64(), 0.2*r.Float64()),
		prospects: 400 + r.IntN(1200),
	}
	nAcc := 1 + r.IntN(4)
	var ids []string
	for i := 0; i < nAcc; i++ {
		id := fmt.Sprintf("acct%d", i)
		ids = append(ids, id)
		tier := tiers[r.IntN(3)]
		a := fmt.Sprintf("id: %s\ntier: %s\ntimezone: %s\nhours: %q\ndays: %s\nconnections: %d",
			id, tier, zones[r.IntN(len(zones))], hours[r.IntN(len(hours))], days[r.IntN(len(days))], r.IntN(3000))
		var lim []string
		if r.IntN(2) == 0 {
			w := 20 + r.IntN(weekly[tier]-19)
			lim = append(lim, fmt.Sprintf("weekly: %d", w), fmt.Sprintf("daily: %d", 1+r.IntN(w)))
		}
		if r.IntN(3) == 0 {
			lim = append(lim, fmt.Sprintf("max_pending: %d", 10+r.IntN(60)))
		}
		if tier == "free" && r.IntN(2) == 0 {
			lim = append(lim, fmt.Sprintf("notes_per_month: %d", r.IntN(6)))
		}
		if len(lim) > 0 {
			a += "\nlimits: {" + strings.Join(lim, ", ") + "}"
		}
		if r.IntN(3) == 0 {
			a += "\nwarmup_start: 2026-10-" + fmt.Sprintf("%02d", 1+r.IntN(28))
		}
		spec.accounts = append(spec.accounts, a)
	}
	dedupes := []string{"workspace", "workspace", "account", "campaign"}
	for c := 0; c < 1+r.IntN(3); c++ {
		var senders []string
		for _, id := range ids {
			if r.IntN(2) == 0 {
				senders = append(senders, id)
			}
		}
		if len(senders) == 0 {
			senders = ids[:1]
		}
		var steps []string
		if r.IntN(3) == 0 {
			steps = append(steps, fmt.Sprintf("  - follow: {}\n    wait: %dd", 1+r.IntN(10)))
		}
		steps = append(steps, `  - connect:
      note:
        variants:
          - name: long
            text: "Hi {{.first_name}}, I have been following what {{.company}} does around {{.topic}} for a while and I would really like to hear how your team thinks about it, what worked, what did not, and where you see it going next year. Would you be open to connecting here?"
          - name: topic
            text: "Hi {{.first_name}}, enjoyed your take on {{.topic}}. Would love to connect."
          - name: short
            text: "Hi {{.first_name}}, would love to connect."
        fallback: [topic, short, blank]`)
		if r.IntN(2) == 0 {
			steps = append(steps, fmt.Sprintf("  - message:\n      wait: %dh\n      text: \"Thanks for connecting, {{.first_name}}!\"", r.IntN(72)))
		}
		sched := ""
		if r.IntN(3) == 0 {
			sched = fmt.Sprintf("schedule:\n  days: %s\n  hours: %q\n", days[r.IntN(2)], hours[r.IntN(2)])
		}
		spec.campaigns = append(spec.campaigns, fmt.Sprintf("name: camp%d\naccounts: [%s]\ndedupe: %s\n%ssteps:\n%s\n",
			c, strings.Join(senders, ", "), dedupes[r.IntN(len(dedupes))], sched, strings.Join(steps, "\n")))
	}
	w := buildWorld(t, spec)
	// Overlapping lists: every campaign draws from the same people.
	for name, s := range w.sources {
		s.Prefix = "person-"
		w.sources[name] = s
	}
	return w
}

// TestInvariantsHoldOverRandomConfigs runs months of simulated time over
// random worlds and referees every promise of docs/design.md against the
// sandbox model's own record.
func TestInvariantsHoldOverRandomConfigs(t *testing.T) {
	worlds := 12
	if testing.Short() {
		worlds = 4
	}
	for i := 0; i < worlds; i++ {
		seed := uint64(1000 + i)
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			t.Parallel()
			r := rand.New(rand.NewPCG(seed, seed))
			w := randomWorld(t, r)
			opt := w.options()
			// Across the October/November daylight-saving changes of both
			// hemispheres' zones.
			opt.Start = time.Date(2026, 10, 12, 0, 0, 0, 0, time.UTC)
			opt.Days = 90
			opt.Seed = int64(seed)
			res, err := Run(context.Background(), opt)
			if err != nil {
				t.Fatal(err)
			}
			invited := 0
			for _, a := range res.Accounts {
				invited += a.Invited
			}
			if invited == 0 {
				t.Fatalf("nothing was sent: the world is too tight to test anything")
			}
			vs := CheckInvariants(w.cfg, w.camps, res.Record(), res.Events)
			for j, v := range vs {
				if j == 20 {
					t.Errorf("... and %d more", len(vs)-20)
					break
				}
				t.Errorf("%s", v)
			}
			t.Logf("%d invitations, %d requests recorded", invited, len(res.Record()))
		})
	}
}
