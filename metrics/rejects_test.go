package metrics_test

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"

	"github.com/outreach-scheduler/outreach/metrics"
)

// TestRefusals: the counters lint, carry only their fixed reasons (every
// one exported at 0 from the start, anything else as "other") and count.
func TestRefusals(t *testing.T) {
	reg := prometheus.NewRegistry()
	r := metrics.NewRefusals(reg, []string{"signature", "unknown_key"})
	r.Rejected("unknown_key")
	r.Rejected("unknown_key")
	r.Rejected("a person's name") // never a label value
	r.Skipped("unknown_account", 3)
	r.Skipped("reply_final", 2)
	var none *metrics.Refusals
	none.Rejected("signature") // a nil Refusals counts nothing
	none.Skipped("bad_entry", 1)
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
	for _, err := range checkMetricNames(mfs) {
		t.Error(err)
	}
	want := `
# HELP outreach_events_rejected_total Requests the inbound events endpoint refused, by reason (signature, replayed, unknown_key, ...).
# TYPE outreach_events_rejected_total counter
outreach_events_rejected_total{reason="other"} 1
outreach_events_rejected_total{reason="signature"} 0
outreach_events_rejected_total{reason="unknown_key"} 2
# HELP outreach_ledger_entries_skipped_total Ledger entries skipped when rebuilding or applying the ledger, by reason (unknown_account, bad_entry, reply_unknown_prospect, reply_final).
# TYPE outreach_ledger_entries_skipped_total counter
outreach_ledger_entries_skipped_total{reason="bad_entry"} 0
outreach_ledger_entries_skipped_total{reason="reply_final"} 2
outreach_ledger_entries_skipped_total{reason="reply_unknown_prospect"} 0
outreach_ledger_entries_skipped_total{reason="unknown_account"} 3
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), metrics.EventsRejected, metrics.LedgerEntriesSkipped); err != nil {
		t.Error(err)
	}
}
