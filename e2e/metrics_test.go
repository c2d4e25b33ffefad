package e2e

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/outreach-scheduler/outreach/internal/ledgercheck"
	"github.com/outreach-scheduler/outreach/ledger"
)

// sample is a scraped value by `name{k="v",...}` (labels sorted).
type sample map[string]float64

// scrape reads a /metrics page.
func scrape(t *testing.T, url string) sample {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("scraping %s: %v", url, err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parsing %s: %v", url, err)
	}
	out := sample{}
	for name, f := range fams {
		for _, m := range f.GetMetric() {
			var ls []string
			for _, l := range m.GetLabel() {
				ls = append(ls, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			slices.Sort(ls)
			key := name + "{" + strings.Join(ls, ",") + "}"
			switch {
			case m.GetGauge() != nil:
				out[key] = m.GetGauge().GetValue()
			case m.GetCounter() != nil:
				out[key] = m.GetCounter().GetValue()
			}
		}
	}
	return out
}

// only keeps the series of the named metrics.
func (s sample) only(names ...string) sample {
	out := sample{}
	for k, v := range s {
		name, _, _ := strings.Cut(k, "{")
		if slices.Contains(names, name) {
			out[k] = v
		}
	}
	return out
}

// ledgerCounts is ledgercheck.Counts by "campaign/variant".
func ledgerCounts(t *testing.T, led *ledger.Ledger) (sent, accepted map[string]int) {
	t.Helper()
	s, a, err := ledgercheck.Counts(context.Background(), led)
	if err != nil {
		t.Fatal(err)
	}
	sent, accepted = map[string]int{}, map[string]int{}
	for k, n := range s {
		sent[k.Campaign+"/"+k.Variant] += n
	}
	for k, n := range a {
		accepted[k.Campaign+"/"+k.Variant] += n
	}
	return sent, accepted
}

// checkMetrics compares what the daemons export with the ledger: every
// daemon (the leading scheduler, the standby, a worker) exports the same
// durable gauges, and the acceptance ratio of each campaign and variant is
// the ledger's accepted / sent.
func checkMetrics(t *testing.T, led *ledger.Ledger, urls []string) {
	t.Helper()
	durable := []string{"outreach_acceptance_ratio", "outreach_acceptance_invitations", "outreach_pending_invitations"}
	var first sample
	for attempt := 0; attempt < 5; attempt++ {
		var got []sample
		for _, u := range urls {
			got = append(got, scrape(t, u).only(durable...))
		}
		same := true
		for i := 1; i < len(got); i++ {
			if fmt.Sprint(got[i]) != fmt.Sprint(got[0]) {
				same = false
				t.Logf("%s and %s differ (an answer may have arrived in between):\n%v\n%v", urls[0], urls[i], got[0], got[i])
			}
		}
		if same {
			first = got[0]
			break
		}
	}
	if first == nil {
		t.Fatalf("the daemons export different durable gauges in 5 attempts")
	}
	sent, accepted := ledgerCounts(t, led)
	if len(sent) == 0 {
		t.Fatal("the ledger has no invitation")
	}
	for cv, n := range sent {
		camp, variant, _ := strings.Cut(cv, "/")
		labels := fmt.Sprintf("{campaign=%q,variant=%q}", camp, variant)
		if got := first["outreach_acceptance_invitations"+labels]; got != float64(n) {
			t.Errorf("outreach_acceptance_invitations%s = %v, the ledger has %d invitations", labels, got, n)
		}
		want := float64(accepted[cv]) / float64(n)
		if got, ok := first["outreach_acceptance_ratio"+labels]; !ok || math.Abs(got-want) > 1e-9 {
			t.Errorf("outreach_acceptance_ratio%s = %v (present %v), the ledger says %d/%d", labels, got, ok, accepted[cv], n)
		}
	}
	t.Logf("durable gauges identical on %d daemons; ledger sent %v accepted %v", len(urls), sent, accepted)
}
