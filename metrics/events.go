package metrics

import (
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/lifecycle"
	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/wire"
)

// TimeToAcceptBuckets are the time-to-accept histogram's upper bounds, in
// seconds: a minute to 30 days (docs/domain.md: 63% of acceptances come
// within a day, 88% within a week, 99% within 30 days).
var TimeToAcceptBuckets = []float64{
	60, 600, 3600, 6 * 3600, 12 * 3600, 86400, 2 * 86400, 3 * 86400,
	7 * 86400, 14 * 86400, 21 * 86400, 30 * 86400,
}

// Events are the lifecycle counters and the time-to-accept histogram. The
// process that applies the ledger (the leading scheduler, or `run`)
// observes each event once; other processes export them at zero, so sums
// across instances are right.
type Events struct {
	invitations map[lifecycle.Event]*prometheus.CounterVec
	messages    *prometheus.CounterVec
	replies     *prometheus.CounterVec
	msgSkipped  *prometheus.CounterVec
	timeToAcc   *prometheus.HistogramVec

	mu     sync.Mutex
	counts map[eventKey]prometheus.Counter // the series by labels, looked up once
}

type eventKey struct {
	typ                        lifecycle.Event
	campaign, account, variant string
}

// NewEvents registers the lifecycle metrics on reg.
func NewEvents(reg prometheus.Registerer) *Events {
	m := &Events{invitations: map[lifecycle.Event]*prometheus.CounterVec{}, counts: map[eventKey]prometheus.Counter{}}
	inv := func(ev lifecycle.Event, name, help string) {
		m.invitations[ev] = prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help},
			[]string{"campaign", "account", "variant"})
		reg.MustRegister(m.invitations[ev])
	}
	inv(lifecycle.EvInvited, InvitationsSent, "Connection requests sent, by note variant (blank: no note).")
	inv(lifecycle.EvAccepted, InvitationsAccepted, "Connection requests accepted, by the variant they were sent with.")
	inv(lifecycle.EvDeclined, InvitationsDeclined, "Connection requests declined.")
	inv(lifecycle.EvWithdrawn, InvitationsWithdrawn, "Pending connection requests withdrawn (stale, or the pending ceiling).")
	inv(lifecycle.EvExpired, InvitationsExpired, "Pending connection requests expired by the platform.")
	m.messages = prometheus.NewCounterVec(prometheus.CounterOpts{Name: MessagesSent, Help: "Follow-up messages sent after acceptance."},
		[]string{"campaign", "account"})
	m.replies = prometheus.NewCounterVec(prometheus.CounterOpts{Name: Replies,
		Help: "Prospects who replied to a message (or wrote after accepting): no automated message follows."},
		[]string{"campaign", "account"})
	m.timeToAcc = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: TimeToAccept, Help: "Time from sending a connection request to its acceptance.", Buckets: TimeToAcceptBuckets,
	}, []string{"campaign"})
	m.msgSkipped = prometheus.NewCounterVec(prometheus.CounterOpts{Name: MessagesSkipped,
		Help: "Follow-up messages skipped because they did not render for the prospect (missing_field: a field it needs is empty; invalid: the template failed); the sequence goes on."},
		[]string{"campaign", "account", "reason"})
	reg.MustRegister(m.messages, m.replies, m.msgSkipped, m.timeToAcc)
	return m
}

// MaxInitSeries bounds the series created at zero per metric family (Init,
// NewDelivery): beyond it (thousands of accounts) the series appear with
// their first event instead, keeping the registry small.
const MaxInitSeries = 10000

// Init creates the series of a campaign's sender and variants at zero, so
// that rates and ratios have data before the first event (unless that
// would exceed MaxInitSeries).
func (m *Events) Init(campaign string, accounts, variants []string) {
	m.timeToAcc.WithLabelValues(campaign)
	if len(accounts)*len(variants) > MaxInitSeries {
		return
	}
	for _, a := range accounts {
		for _, v := range variants {
			for _, c := range m.invitations {
				c.WithLabelValues(campaign, a, v)
			}
		}
		m.messages.WithLabelValues(campaign, a)
		m.replies.WithLabelValues(campaign, a)
		for _, r := range MessageSkipReasons {
			m.msgSkipped.WithLabelValues(campaign, a, r)
		}
	}
}

// Lifecycle is what the metrics read of a prospect's lifecycle event (the
// planner's scheduler.Event): no person, only the labels and times.
type Lifecycle struct {
	T        time.Time
	Type     lifecycle.Event
	Campaign string
	Account  string
	Variant  string    // the invitation's note variant ("blank" for none)
	Invited  time.Time // when the invitation was sent, on its answer; zero otherwise
	Reason   string    // why, for a skipped message (MessageSkipReasons)
}

// Observe counts one lifecycle event. It is safe for concurrent use.
func (m *Events) Observe(ev Lifecycle) {
	if ev.Account == "" {
		return
	}
	vec, variant := m.invitations[ev.Type], ev.Variant
	switch ev.Type {
	case lifecycle.EvMessaged:
		vec, variant = m.messages, ""
	case lifecycle.EvReplied:
		vec, variant = m.replies, ""
	case lifecycle.EvMessageSkipped:
		vec, variant = m.msgSkipped, messageSkipReason(ev.Reason) // the third label: reason
	}
	if vec == nil {
		return
	}
	k := eventKey{ev.Type, ev.Campaign, ev.Account, variant}
	m.mu.Lock()
	c := m.counts[k]
	if c == nil {
		if vec == m.messages || vec == m.replies {
			c = vec.WithLabelValues(ev.Campaign, ev.Account)
		} else {
			c = vec.WithLabelValues(ev.Campaign, ev.Account, variant)
		}
		m.counts[k] = c
	}
	m.mu.Unlock()
	c.Inc()
	if ev.Type == lifecycle.EvAccepted && !ev.Invited.IsZero() {
		m.timeToAcc.WithLabelValues(ev.Campaign).Observe(max(ev.T.Sub(ev.Invited), 0).Seconds())
	}
}

// messageSkipReason is reason if it is one of MessageSkipReasons, else
// "invalid": the label set stays fixed.
func messageSkipReason(reason string) string {
	if slices.Contains(MessageSkipReasons, reason) {
		return reason
	}
	return campaigns.MessageSkipInvalid
}

// Delivery are the workers' counters: limiter waits and delivery errors,
// by account and reason, and the state of the platform integration.
type Delivery struct {
	waits  *prometheus.CounterVec
	errors *prometheus.CounterVec
	up     prometheus.Gauge
}

// NewDelivery registers the delivery metrics on reg, with every account's
// series at zero (unless that would exceed MaxInitSeries).
func NewDelivery(reg prometheus.Registerer, accounts []string) *Delivery {
	d := &Delivery{
		waits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: LimitWaits, Help: "Invitations the limiter held back at their planned time, by the rule that held them (they are planned again).",
		}, []string{"account", "reason"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: DeliveryErrors, Help: "Platform actions that failed, by the platform's refusal code, the integration's fault (auth, tls, connection, timeout, server_error) or unknown_outcome; all but refusals are retried with the same idempotency key.",
		}, []string{"account", "reason"}),
		up: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: IntegrationUp, Help: "1 while this worker's platform integration works, 0 while deliveries to it are paused after a fault (refused authentication, TLS, connection, timeout, server error).",
		}),
	}
	d.up.Set(1)
	reg.MustRegister(d.waits, d.errors, d.up)
	if len(accounts)*len(ErrorReasons) > MaxInitSeries {
		return d
	}
	for _, a := range accounts {
		for _, r := range WaitReasons {
			d.waits.WithLabelValues(a, r)
		}
		for _, r := range ErrorReasons {
			d.errors.WithLabelValues(a, r)
		}
	}
	return d
}

// SetIntegrationUp sets the integration's gauge (worker.Health's changes).
func (d *Delivery) SetIntegrationUp(up bool) {
	if up {
		d.up.Set(1)
	} else {
		d.up.Set(0)
	}
}

// Observe counts the outcome of one task: a limiter denial is a wait, a
// refusal, a fault of the integration or an unknown outcome (err != nil)
// is an error. The caller does not observe the tasks it did not attempt.
func (d *Delivery) Observe(account string, o wire.Outcome, err error) {
	switch {
	case err != nil: // the worker's contract: an error means the outcome is unknown (or not performed)
		reason := "unknown_outcome"
		if f := platform.FaultOf(err); f != "" {
			reason = string(f)
		}
		d.errors.WithLabelValues(account, reason).Inc()
	case o.Kind == wire.Denied:
		r := string(o.Denial)
		if !slices.Contains(WaitReasons, r) {
			return
		}
		d.waits.WithLabelValues(account, r).Inc()
	case o.Kind == wire.Refused:
		d.errors.WithLabelValues(account, errorReason(o.Code)).Inc()
	}
}

func errorReason(c platform.Code) string {
	if slices.Contains(ErrorReasons, string(c)) {
		return string(c)
	}
	return "other"
}

// sinceOrZero is now - t in seconds, 0 for a zero t.
func sinceOrZero(now, t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return max(now.Sub(t), 0).Seconds()
}
