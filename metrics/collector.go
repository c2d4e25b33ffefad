package metrics

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/pacing"
	"github.com/outreach-scheduler/outreach/wire"
)

// UsageReader is the part of the limiter the collector reads.
type UsageReader interface {
	Usage(ctx context.Context, account string, now time.Time, rules pacing.Rules) (pacing.Usage, error)
}

// QueueStats is the task queue's state (asynq's, in the daemons).
type QueueStats struct {
	Pending, Active, Scheduled, Retry, Archived, Completed int
	Latency                                                time.Duration // how long the oldest ready task has waited
	Processed, Failed                                      int64         // totals since the queue was created
}

// LedgerStats is the ledger's size and its newest snapshot.
type LedgerStats struct {
	Entries       int64     // entries in the stream
	SnapshotAt    time.Time // when the newest snapshot was written (zero: none)
	SnapshotBytes int
}

// CollectorOptions configure a Collector.
type CollectorOptions struct {
	// Config supplies the accounts (quota limits, max_pending). Required.
	Config *config.Config
	// Stats are the durable statistics. Required.
	Stats *Stats
	// Limiter supplies the accounts' usage. Required.
	Limiter UsageReader
	// Queue reads the task queue; nil exports no queue metrics.
	Queue func(ctx context.Context) (QueueStats, error)
	// Ledger reads the ledger's size and its newest snapshot; nil exports
	// no ledger metrics.
	Ledger func(ctx context.Context) (LedgerStats, error)
	// Pauses reads the operator's pauses in force (ledger.Pauses); nil:
	// none, and no outreach_campaign_paused.
	Pauses func(ctx context.Context) ([]wire.Command, error)
	// Campaigns names the campaigns outreach_campaign_paused reports (0
	// when not paused).
	Campaigns []string
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Timeout bounds the reads of one scrape. Default 5s.
	Timeout time.Duration
	// Logger logs failed reads. Default: discard.
	Logger *slog.Logger
}

// Collector exports, at scrape time, the gauges read from Redis: the
// acceptance ratios and pending invitations from the durable statistics,
// the quota used and its limits from the limiter, and the task queue. A
// failed read leaves its metrics out of that scrape (and is logged) rather
// than exporting wrong values.
type Collector struct {
	opt   CollectorOptions
	descs map[string]*prometheus.Desc
}

// NewCollector returns a collector; register it on the registry served.
func NewCollector(opt CollectorOptions) *Collector {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Timeout <= 0 {
		opt.Timeout = 5 * time.Second
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, labels, nil)
	}
	c := &Collector{opt: opt, descs: map[string]*prometheus.Desc{
		AcceptanceRatio:         d(AcceptanceRatio, "Accepted / sent connection requests of a campaign's note variant, over the campaign's life (durable).", "campaign", "variant"),
		AcceptanceInvitations:   d(AcceptanceInvitations, "Connection requests sent with a campaign's note variant: the sample size of outreach_acceptance_ratio (durable).", "campaign", "variant"),
		CampaignAcceptanceRatio: d(CampaignAcceptanceRatio, "Accepted / sent connection requests of a campaign, all variants (durable).", "campaign"),
		PendingInvitations:      d(PendingInvitations, "Connection requests pending (sent, not answered, withdrawn nor expired) (durable).", "campaign", "account"),
		PendingLimit:            d(PendingLimit, "The account's pending-invitation ceiling (max_pending).", "account"),
		PendingOldestAge:        d(PendingOldestAge, "Age of the account's oldest pending connection request (0: none pending).", "account"),
		AccountHealth:           d(AccountHealth, "The safety governor's health of the account, 0 to 1: its weakest signal (acceptance, declines, piled-up pending invitations) (durable).", "account"),
		AccountPaceFactor:       d(AccountPaceFactor, "The factor the safety governor applies to the account's weekly and daily caps, safety.floor to 1 (1: not throttled) (durable).", "account"),
		QuotaUsed:               d(QuotaUsed, "Connection requests counted against the account's cap: rolling 7 days (week) or today in its timezone (day).", "account", "window"),
		QuotaLimit:              d(QuotaLimit, "The account's cap (after warm-up) for the window.", "account", "window"),
		AccountPaused:           d(AccountPaused, "1 while the account is paused: by an operator (reason manual) or after a limit or restriction answer from the platform (reason platform); 0 (reason none) otherwise.", "account", "reason"),
		CampaignPaused:          d(CampaignPaused, "1 while an operator paused the campaign (outreach pause campaign, or paused: in its file).", "campaign"),
		VariantRate:             d(VariantRate, "A/B test: a note variant's acceptance rate, pending invitations weighted by the share of their answers due by now (durable).", "campaign", "variant"),
		VariantRateLow:          d(VariantRateLow, "A/B test: low end of the Wilson 95% interval of outreach_variant_acceptance_estimate (durable).", "campaign", "variant"),
		VariantRateHigh:         d(VariantRateHigh, "A/B test: high end of the Wilson 95% interval of outreach_variant_acceptance_estimate (durable).", "campaign", "variant"),
		VariantBestProbability:  d(VariantBestProbability, "A/B test: probability that the variant is the campaign's best (durable).", "campaign", "variant"),
		StatsAge:                d(StatsAge, "Time since the leading scheduler last wrote the durable statistics."),
		LedgerEntries:           d(LedgerEntries, "Entries in the ledger stream (bounded by ledger.retention once snapshots are written)."),
		SnapshotAge:             d(SnapshotAge, "Time since the leading scheduler last wrote a snapshot of the planner's state."),
		SnapshotBytes:           d(SnapshotBytes, "Size of the newest snapshot of the planner's state."),
		QueueTasks:              d(QueueTasks, "Tasks in the queue by state.", "state"),
		QueueLatency:            d(QueueLatency, "How long the oldest task ready to run has waited."),
		QueueProcessed:          d(QueueProcessed, "Tasks processed by the workers (queue total)."),
		QueueFailed:             d(QueueFailed, "Task runs that failed (queue total)."),
	}}
	return c
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), c.opt.Timeout)
	defer cancel()
	now := c.opt.Now()
	c.collectStats(ctx, ch, now)
	c.collectAccounts(ctx, ch, now)
	if c.opt.Queue != nil {
		c.collectQueue(ctx, ch)
	}
	if c.opt.Ledger != nil {
		c.collectLedger(ctx, ch, now)
	}
}

func (c *Collector) collectLedger(ctx context.Context, ch chan<- prometheus.Metric, now time.Time) {
	l, err := c.opt.Ledger(ctx)
	if err != nil {
		c.opt.Logger.Warn("metrics: reading the ledger", "err", err)
		return
	}
	c.gauge(ch, LedgerEntries, float64(l.Entries))
	if !l.SnapshotAt.IsZero() {
		c.gauge(ch, SnapshotAge, max(now.Sub(l.SnapshotAt), 0).Seconds())
		c.gauge(ch, SnapshotBytes, float64(l.SnapshotBytes))
	}
}

func (c *Collector) gauge(ch chan<- prometheus.Metric, name string, v float64, labels ...string) {
	ch <- prometheus.MustNewConstMetric(c.descs[name], prometheus.GaugeValue, v, labels...)
}

func (c *Collector) collectStats(ctx context.Context, ch chan<- prometheus.Metric, now time.Time) {
	snap, err := c.opt.Stats.Read(ctx)
	if err != nil {
		c.opt.Logger.Warn("metrics: reading the stats", "err", err)
		return
	}
	type cv struct{ campaign, variant string }
	type ca struct{ campaign, account string }
	byVariant := map[cv]Counts{}
	byCampaign := map[string]Counts{}
	pending := map[ca]int64{}
	for k, n := range snap.Counts {
		v := byVariant[cv{k.Campaign, k.Variant}]
		v.Invited += n.Invited
		v.Accepted += n.Accepted
		byVariant[cv{k.Campaign, k.Variant}] = v
		cc := byCampaign[k.Campaign]
		cc.Invited += n.Invited
		cc.Accepted += n.Accepted
		byCampaign[k.Campaign] = cc
		pending[ca{k.Campaign, k.Account}] += n.Pending()
	}
	for k, n := range byVariant {
		if k.variant == "" { // messages only
			continue
		}
		c.gauge(ch, AcceptanceInvitations, float64(n.Invited), k.campaign, k.variant)
		if n.Invited > 0 {
			c.gauge(ch, AcceptanceRatio, float64(n.Accepted)/float64(n.Invited), k.campaign, k.variant)
		}
	}
	for camp, n := range byCampaign {
		if n.Invited > 0 {
			c.gauge(ch, CampaignAcceptanceRatio, float64(n.Accepted)/float64(n.Invited), camp)
		}
	}
	for k, n := range pending {
		c.gauge(ch, PendingInvitations, float64(n), k.campaign, k.account)
	}
	for _, a := range c.opt.Config.Accounts {
		c.gauge(ch, PendingOldestAge, sinceOrZero(now, snap.Oldest[a.ID]), a.ID)
		h, ok := snap.Health[a.ID]
		if !ok {
			h = HealthEstimate{Health: 1, Pace: 1} // not looked at yet
		}
		c.gauge(ch, AccountHealth, h.Health, a.ID)
		c.gauge(ch, AccountPaceFactor, h.Pace, a.ID)
	}
	for k, e := range snap.Variants {
		c.gauge(ch, VariantRate, e.Rate, k.Campaign, k.Variant)
		c.gauge(ch, VariantRateLow, e.Low, k.Campaign, k.Variant)
		c.gauge(ch, VariantRateHigh, e.High, k.Campaign, k.Variant)
		c.gauge(ch, VariantBestProbability, e.PBest, k.Campaign, k.Variant)
	}
	if !snap.Updated.IsZero() {
		c.gauge(ch, StatsAge, max(now.Sub(snap.Updated), 0).Seconds())
	}
}

func (c *Collector) collectAccounts(ctx context.Context, ch chan<- prometheus.Metric, now time.Time) {
	manual, pausesRead := map[string]bool{}, true
	if c.opt.Pauses != nil {
		ps, err := c.opt.Pauses(ctx)
		if err != nil {
			c.opt.Logger.Warn("metrics: reading the pauses", "err", err)
			pausesRead = false
		}
		campaigns := map[string]bool{}
		for i := range ps {
			if !ps[i].Active(now) {
				continue
			}
			if ps[i].Campaign != "" {
				campaigns[ps[i].Campaign] = true
			} else {
				manual[ps[i].Account] = true
			}
		}
		for _, name := range c.opt.Campaigns {
			if pausesRead {
				c.gauge(ch, CampaignPaused, boolGauge(campaigns[name]), name)
			}
		}
	}
	for _, a := range c.opt.Config.Accounts {
		c.gauge(ch, PendingLimit, float64(a.Limits.MaxPending), a.ID)
		rules := pacing.RulesFor(a.Limits, a.WarmupStart, a.Location, now)
		u, err := c.opt.Limiter.Usage(ctx, a.ID, now, rules)
		if err != nil {
			c.opt.Logger.Warn("metrics: reading usage", "account", a.ID, "err", err)
			continue
		}
		c.gauge(ch, QuotaUsed, float64(u.Week), a.ID, "week")
		c.gauge(ch, QuotaUsed, float64(u.Day), a.ID, "day")
		c.gauge(ch, QuotaLimit, float64(rules.Weekly), a.ID, "week")
		c.gauge(ch, QuotaLimit, float64(rules.Daily), a.ID, "day")
		switch {
		case !pausesRead:
		case u.PausedUntil.After(now): // the platform's first: it alerts
			c.gauge(ch, AccountPaused, 1, a.ID, "platform")
		case manual[a.ID]:
			c.gauge(ch, AccountPaused, 1, a.ID, "manual")
		default:
			c.gauge(ch, AccountPaused, 0, a.ID, "none")
		}
	}
}

func boolGauge(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func (c *Collector) collectQueue(ctx context.Context, ch chan<- prometheus.Metric) {
	q, err := c.opt.Queue(ctx)
	if err != nil {
		c.opt.Logger.Warn("metrics: reading the queue", "err", err)
		return
	}
	for i, n := range []int{q.Pending, q.Active, q.Scheduled, q.Retry, q.Archived, q.Completed} {
		c.gauge(ch, QueueTasks, float64(n), QueueStates[i])
	}
	c.gauge(ch, QueueLatency, q.Latency.Seconds())
	ch <- prometheus.MustNewConstMetric(c.descs[QueueProcessed], prometheus.CounterValue, float64(q.Processed))
	ch <- prometheus.MustNewConstMetric(c.descs[QueueFailed], prometheus.CounterValue, float64(q.Failed))
}
