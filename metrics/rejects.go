package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/outreach-scheduler/outreach/lifecycle"
)

// The metrics of what outreach refuses or skips from outside.
const (
	EventsRejected       = "outreach_events_rejected_total"        // counter {reason}: requests the events endpoint refused
	LedgerEntriesSkipped = "outreach_ledger_entries_skipped_total" // counter {reason}: ledger entries a rebuild or the leader skipped
)

// SkipReasons are the reasons a ledger entry is skipped: it names an
// account no longer in the configuration (kept in the ledger, applied
// again if the account comes back), it does not decode
// (--skip-bad-entries), or it is a reply that changes nothing
// (lifecycle.ReplySkipReasons: no prospect in conversation, or one whose
// campaign is over).
var SkipReasons = append([]string{"unknown_account", "bad_entry"}, lifecycle.ReplySkipReasons...)

// Refusals counts the events endpoint's refusals and the ledger entries
// skipped, by reason, in the process where they happen: sum over
// instances.
type Refusals struct {
	events, skipped *prometheus.CounterVec
	known           map[string]bool // the label values allowed
}

// NewRefusals registers the counters on reg, every reason of
// eventReasons (the endpoint's fixed set) and SkipReasons at 0.
func NewRefusals(reg prometheus.Registerer, eventReasons []string) *Refusals {
	r := &Refusals{
		events: prometheus.NewCounterVec(prometheus.CounterOpts{Name: EventsRejected,
			Help: "Requests the inbound events endpoint refused, by reason (signature, replayed, unknown_key, ...)."}, []string{"reason"}),
		skipped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: LedgerEntriesSkipped,
			Help: "Ledger entries skipped when rebuilding or applying the ledger, by reason (unknown_account, bad_entry, reply_unknown_prospect, reply_final)."}, []string{"reason"}),
	}
	reg.MustRegister(r.events, r.skipped)
	r.known = map[string]bool{}
	for _, reason := range eventReasons {
		r.events.WithLabelValues(reason)
		r.known[reason] = true
	}
	for _, reason := range SkipReasons {
		r.skipped.WithLabelValues(reason)
		r.known[reason] = true
	}
	return r
}

// Rejected counts one refusal of the events endpoint. A nil Refusals does
// nothing; a reason outside the set counts as "other".
func (r *Refusals) Rejected(reason string) {
	if r == nil {
		return
	}
	r.events.WithLabelValues(r.label(reason)).Inc()
}

// label keeps the label set fixed.
func (r *Refusals) label(reason string) string {
	if r.known[reason] {
		return reason
	}
	return "other"
}

// Skipped counts n ledger entries skipped for reason. A nil Refusals does
// nothing; a reason outside the set counts as "other".
func (r *Refusals) Skipped(reason string, n int) {
	if r == nil || n <= 0 {
		return
	}
	r.skipped.WithLabelValues(r.label(reason)).Add(float64(n))
}
