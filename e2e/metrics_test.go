package e2e

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

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
// the ledger's accepted / sent. Answers keep arriving, so it tries until
// one round reads the same state everywhere.
func checkMetrics(t *testing.T, led *ledger.Ledger, urls []string) {
	t.Helper()
	durable := []string{"outreach_acceptance_ratio", "outreach_acceptance_invitations", "outreach_pending_invitations"}
	var problems []string
	for attempt := 0; attempt < 20; attempt++ {
		if attempt > 0 {
			time.Sleep(time.Second)
		}
		problems = problems[:0]
		var got []sample
		for _, u := range urls {
			got = append(got, scrape(t, u).only(durable...))
		}
		for i := 1; i < len(got); i++ {
			if fmt.Sprint(got[i]) != fmt.Sprint(got[0]) {
				problems = append(problems, fmt.Sprintf("%s and %s differ:\n%v\n%v", urls[0], urls[i], got[0], got[i]))
			}
		}
		sent, accepted := ledgerCounts(t, led)
		if len(sent) == 0 {
			t.Fatal("the ledger has no invitation")
		}
		for cv, n := range sent {
			camp, variant, _ := strings.Cut(cv, "/")
			labels := fmt.Sprintf("{campaign=%q,variant=%q}", camp, variant)
			if g := got[0]["outreach_acceptance_invitations"+labels]; g != float64(n) {
				problems = append(problems, fmt.Sprintf("outreach_acceptance_invitations%s = %v, the ledger has %d invitations", labels, g, n))
			}
			want := float64(accepted[cv]) / float64(n)
			if g, ok := got[0]["outreach_acceptance_ratio"+labels]; !ok || math.Abs(g-want) > 1e-9 {
				problems = append(problems, fmt.Sprintf("outreach_acceptance_ratio%s = %v (present %v), the ledger says %d/%d", labels, g, ok, accepted[cv], n))
			}
		}
		if len(problems) == 0 {
			t.Logf("durable gauges identical on %d daemons and equal to the ledger's: sent %v accepted %v", len(urls), sent, accepted)
			return
		}
	}
	t.Errorf("after 20 tries:\n%s", strings.Join(problems, "\n"))
}
