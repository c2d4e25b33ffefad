package sim

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// yearWorld is the benchmark's world: n accounts in groups of ten, each
// group sending one campaign with ample prospects, mixed tiers and zones.
func yearWorld(tb testing.TB, n, weeks int) *world {
	return buildWorld(tb, yearSpec(n, weeks))
}

// yearSpec is yearWorld's spec.
func yearSpec(n, weeks int) worldSpec {
	tiers := []string{"free", "premium", "sales_navigator"}
	zones := []string{"America/New_York", "Europe/Berlin", "Asia/Tokyo", "UTC", "America/Los_Angeles"}
	// The platform's restriction rules are off: over 1,000 accounts for a
	// year they restrict a couple of healthy (30%) lists by chance (a
	// window of 200 in the tail), a refusal the benchmark's check would
	// count; TestGovernorSparesHealthyAccounts runs this world with them.
	spec := worldSpec{defaults: "min_gap: 3m\njitter: 1.0\n", sandbox: "restrict: {enabled: false}\n"}
	for i := 0; i < n; i++ {
		spec.accounts = append(spec.accounts, fmt.Sprintf("id: a%d\ntier: %s\ntimezone: %s\nconnections: %d",
			i, tiers[i%3], zones[i%len(zones)], 500+i))
	}
	group := 10
	for g := 0; g*group < n; g++ {
		var ids []string
		for i := g * group; i < min(n, (g+1)*group); i++ {
			ids = append(ids, fmt.Sprintf("a%d", i))
		}
		spec.campaigns = append(spec.campaigns, fmt.Sprintf(`name: c%d
accounts: [%s]
steps:
  - connect:
      note:
        variants:
          - name: topic
            text: "Hi {{.first_name}}, your work on {{.topic}} at {{.company}} caught my eye."
          - name: short
            text: "Hi {{.first_name}}, would love to connect."
        fallback: [short, blank]
`, g, joinIDs(ids)))
	}
	// ample: every account could send 200 a week
	spec.prospects = group * 200 * (weeks + 1)
	return spec
}

func joinIDs(ids []string) string {
	s := ""
	for i, id := range ids {
		if i > 0 {
			s += ", "
		}
		s += id
	}
	return s
}

// BenchmarkYear simulates 1,000 accounts for 52 weeks (the target:
// under 30 s on this machine) and reports simulated invitations per second.
func BenchmarkYear(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprintf("accounts=%d", n), func(b *testing.B) {
			w := yearWorld(b, n, 52)
			b.ResetTimer()
			var invited int
			for b.Loop() {
				opt := w.options()
				opt.Start = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
				opt.Days = 364
				opt.Seed = 1
				opt.lightRecord = true
				res, err := Run(context.Background(), opt)
				if err != nil {
					b.Fatal(err)
				}
				invited = 0
				for _, a := range res.Accounts {
					invited += a.Invited
				}
				if v := refusals(res); len(v) > 0 {
					b.Fatalf("%d platform refusals, first: %+v", len(v), v[0])
				}
			}
			b.ReportMetric(float64(invited), "invitations")
			b.ReportMetric(float64(invited)*float64(b.N)/b.Elapsed().Seconds(), "invitations/s")
		})
	}
}

// refusals are the platform's refusals other than a withdrawal that lost
// the race with the recipient's answer (the invitation was accepted or
// declined just before): no scheduler can prevent that one.
func refusals(res *Result) []string {
	var out []string
	for _, v := range res.Violations() {
		if v.Op == "withdraw" && v.Refused == "not_pending" {
			continue
		}
		out = append(out, fmt.Sprintf("%+v", v))
	}
	return out
}
