package metrics_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"

	"github.com/outreach-scheduler/outreach/metrics"
)

func TestRecovery(t *testing.T) {
	reg := prometheus.NewRegistry()
	r := metrics.NewRecovery(reg)
	r.Observe(12)
	r.Observe(3)
	var none *metrics.Recovery
	none.Observe(1) // a nil Recovery counts nothing
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	problems, err := promlint.NewWithMetricFamilies(mfs).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
	if n, err := testutil.GatherAndCount(reg, metrics.Recoveries); err != nil || n != 1 {
		t.Errorf("%s: %d series, %v", metrics.Recoveries, n, err)
	}
	for name, want := range map[string]float64{metrics.Recoveries: 2, metrics.RecoveredInvitations: 15} {
		for _, mf := range mfs {
			if mf.GetName() == name && mf.GetMetric()[0].GetCounter().GetValue() != want {
				t.Errorf("%s = %v, want %v", name, mf.GetMetric()[0].GetCounter().GetValue(), want)
			}
		}
	}
}
