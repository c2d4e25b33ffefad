package metrics_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/internal/redistest"
	"github.com/outreach-scheduler/outreach/lifecycle"
	"github.com/outreach-scheduler/outreach/metrics"
	"github.com/outreach-scheduler/outreach/pacing"
	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/wire"
)

func testConfig(t *testing.T) *config.Config {
	t.Helper()
	cfg, fs := config.Parse("config.yaml", []byte(`
defaults:
  days: [mon, tue, wed, thu, fri, sat, sun]
  hours: "00:00-24:00"
  max_pending: 40
accounts:
  - {id: alice, tier: premium, limits: {weekly: 100, daily: 20}}
  - {id: bob, tier: free}
`))
	if fs.HasErrors() {
		t.Fatal(fs.Strings())
	}
	return cfg
}

// TestCollectorReadsRedis: the gauges are computed at scrape time from the
// durable stats, the limiter's usage and the queue.
func TestCollectorReadsRedis(t *testing.T) {
	ctx := context.Background()
	cfg := testConfig(t)
	rs := redistest.Start(t)
	st := metrics.NewStats(rs.Client(), "")
	var b metrics.Batch
	for range 4 {
		b.Add(ev(lifecycle.EvInvited, "c", "alice", "hi"))
	}
	b.Add(ev(lifecycle.EvInvited, "c", "bob", "hi"))
	b.Add(ev(lifecycle.EvAccepted, "c", "bob", "hi"))
	b.Add(ev(lifecycle.EvAccepted, "c", "alice", "hi"))
	b.Add(ev(lifecycle.EvInvited, "c", "alice", "blank"))
	b.SetOldest("alice", t0.Add(-90*time.Minute))
	b.SetHealth("alice", metrics.HealthEstimate{Health: 0.25, Pace: 0.4})
	if err := st.Commit(ctx, "", "1-0", &b, t0.Add(-30*time.Second)); err != nil {
		t.Fatal(err)
	}
	lim := pacing.NewMemLimiter()
	rules := pacing.RulesFor(cfg.Accounts[0].Limits, time.Time{}, time.UTC, t0)
	for i := range 3 {
		at := t0.Add(-time.Duration(i) * time.Hour)
		if d, err := lim.Reserve(ctx, pacing.Request{Account: "alice", ID: "k" + string(rune('a'+i)), At: at, Rules: rules}); err != nil || !d.Granted {
			t.Fatal(d, err)
		}
	}
	if err := lim.Pause(ctx, "bob", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	c := metrics.NewCollector(metrics.CollectorOptions{
		Config: cfg, Stats: st, Limiter: lim, Now: func() time.Time { return t0 },
		Queue: func(context.Context) (metrics.QueueStats, error) {
			return metrics.QueueStats{Pending: 2, Scheduled: 7, Latency: 1500 * time.Millisecond, Processed: 41, Failed: 3}, nil
		},
		// An operator paused campaign c and account alice; d's pause ended.
		Campaigns: []string{"c", "d"},
		Pauses: func(context.Context) ([]wire.Command, error) {
			return []wire.Command{
				{Kind: wire.CommandPause, Campaign: "c", At: t0.Add(-time.Hour)},
				{Kind: wire.CommandPause, Campaign: "d", At: t0.Add(-time.Hour), Until: t0.Add(-time.Minute)},
				{Kind: wire.CommandPause, Account: "alice", At: t0.Add(-time.Hour), Until: t0.Add(time.Hour)},
			}, nil
		},
	})
	want := `
# HELP outreach_acceptance_ratio Accepted / sent connection requests of a campaign's note variant, over the campaign's life (durable).
# TYPE outreach_acceptance_ratio gauge
outreach_acceptance_ratio{campaign="c",variant="blank"} 0
outreach_acceptance_ratio{campaign="c",variant="hi"} 0.4
# HELP outreach_acceptance_invitations Connection requests sent with a campaign's note variant: the sample size of outreach_acceptance_ratio (durable).
# TYPE outreach_acceptance_invitations gauge
outreach_acceptance_invitations{campaign="c",variant="blank"} 1
outreach_acceptance_invitations{campaign="c",variant="hi"} 5
# HELP outreach_campaign_acceptance_ratio Accepted / sent connection requests of a campaign, all variants (durable).
# TYPE outreach_campaign_acceptance_ratio gauge
outreach_campaign_acceptance_ratio{campaign="c"} 0.3333333333333333
# HELP outreach_pending_invitations Connection requests pending (sent, not answered, withdrawn nor expired) (durable).
# TYPE outreach_pending_invitations gauge
outreach_pending_invitations{account="alice",campaign="c"} 4
outreach_pending_invitations{account="bob",campaign="c"} 0
# HELP outreach_pending_oldest_age_seconds Age of the account's oldest pending connection request (0: none pending).
# TYPE outreach_pending_oldest_age_seconds gauge
outreach_pending_oldest_age_seconds{account="alice"} 5400
outreach_pending_oldest_age_seconds{account="bob"} 0
# HELP outreach_account_health The safety governor's health of the account, 0 to 1: its weakest signal (acceptance, declines, piled-up pending invitations) (durable).
# TYPE outreach_account_health gauge
outreach_account_health{account="alice"} 0.25
outreach_account_health{account="bob"} 1
# HELP outreach_account_pace_factor The factor the safety governor applies to the account's weekly and daily caps, safety.floor to 1 (1: not throttled) (durable).
# TYPE outreach_account_pace_factor gauge
outreach_account_pace_factor{account="alice"} 0.4
outreach_account_pace_factor{account="bob"} 1
# HELP outreach_pending_invitations_limit The account's pending-invitation ceiling (max_pending).
# TYPE outreach_pending_invitations_limit gauge
outreach_pending_invitations_limit{account="alice"} 40
outreach_pending_invitations_limit{account="bob"} 40
# HELP outreach_account_quota_used Connection requests counted against the account's cap: rolling 7 days (week) or today in its timezone (day).
# TYPE outreach_account_quota_used gauge
outreach_account_quota_used{account="alice",window="day"} 3
outreach_account_quota_used{account="alice",window="week"} 3
outreach_account_quota_used{account="bob",window="day"} 0
outreach_account_quota_used{account="bob",window="week"} 0
# HELP outreach_account_paused 1 while the account is paused: by an operator (reason manual) or after a limit or restriction answer from the platform (reason platform); 0 (reason none) otherwise.
# TYPE outreach_account_paused gauge
outreach_account_paused{account="alice",reason="manual"} 1
outreach_account_paused{account="bob",reason="platform"} 1
# HELP outreach_campaign_paused 1 while an operator paused the campaign (outreach pause campaign, or paused: in its file).
# TYPE outreach_campaign_paused gauge
outreach_campaign_paused{campaign="c"} 1
outreach_campaign_paused{campaign="d"} 0
# HELP outreach_stats_age_seconds Time since the leading scheduler last wrote the durable statistics.
# TYPE outreach_stats_age_seconds gauge
outreach_stats_age_seconds 30
# HELP outreach_queue_tasks Tasks in the queue by state.
# TYPE outreach_queue_tasks gauge
outreach_queue_tasks{state="active"} 0
outreach_queue_tasks{state="archived"} 0
outreach_queue_tasks{state="completed"} 0
outreach_queue_tasks{state="pending"} 2
outreach_queue_tasks{state="retry"} 0
outreach_queue_tasks{state="scheduled"} 7
# HELP outreach_queue_latency_seconds How long the oldest task ready to run has waited.
# TYPE outreach_queue_latency_seconds gauge
outreach_queue_latency_seconds 1.5
# HELP outreach_queue_processed_total Tasks processed by the workers (queue total).
# TYPE outreach_queue_processed_total counter
outreach_queue_processed_total 41
# HELP outreach_queue_failed_total Task runs that failed (queue total).
# TYPE outreach_queue_failed_total counter
outreach_queue_failed_total 3
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want),
		metrics.AcceptanceRatio, metrics.AcceptanceInvitations, metrics.CampaignAcceptanceRatio, metrics.PendingInvitations,
		metrics.PendingOldestAge, metrics.AccountHealth, metrics.AccountPaceFactor, metrics.PendingLimit, metrics.QuotaUsed, metrics.AccountPaused, metrics.CampaignPaused, metrics.StatsAge,
		metrics.QueueTasks, metrics.QueueLatency, metrics.QueueProcessed, metrics.QueueFailed); err != nil {
		t.Error(err)
	}
	// The quota limits follow the tier and the overrides.
	if err := testutil.CollectAndCompare(c, strings.NewReader(`
# HELP outreach_account_quota_limit The account's cap (after warm-up) for the window.
# TYPE outreach_account_quota_limit gauge
outreach_account_quota_limit{account="alice",window="day"} 20
outreach_account_quota_limit{account="alice",window="week"} 100
outreach_account_quota_limit{account="bob",window="day"} 20
outreach_account_quota_limit{account="bob",window="week"} 100
`), metrics.QuotaLimit); err != nil {
		t.Error(err)
	}
}

// TestCollectorOmitsWhatItCannotRead: a failed read leaves its metrics
// out rather than exporting zeros.
func TestCollectorOmitsWhatItCannotRead(t *testing.T) {
	cfg := testConfig(t)
	rs := redistest.Start(t)
	st := metrics.NewStats(rs.Client(), "")
	c := metrics.NewCollector(metrics.CollectorOptions{
		Config: cfg, Stats: st, Limiter: pacing.NewMemLimiter(), Now: func() time.Time { return t0 },
		Queue: func(context.Context) (metrics.QueueStats, error) { return metrics.QueueStats{}, errors.New("down") },
	})
	if n := testutil.CollectAndCount(c, metrics.QueueTasks, metrics.QueueLatency); n != 0 {
		t.Errorf("%d queue series exported from a failed read", n)
	}
	rs.Kill()
	if n := testutil.CollectAndCount(c, metrics.PendingInvitations, metrics.AcceptanceRatio, metrics.PendingOldestAge); n != 0 {
		t.Errorf("%d stats series exported with Redis down", n)
	}
}

// TestEventsAndDelivery: the event counters, the time-to-accept histogram
// and the delivery counters count what they are given, on the injected
// registry, with every account's series at zero from the start.
func TestEventsAndDelivery(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	e := metrics.NewEvents(reg)
	d := metrics.NewDelivery(reg, []string{"alice", "bob"})
	e.Init("c", []string{"alice"}, []string{"blank", "hi"})

	e.Observe(ev(lifecycle.EvInvited, "c", "alice", "hi"))
	acc := ev(lifecycle.EvAccepted, "c", "alice", "hi")
	acc.Invited = t0.Add(-2 * time.Hour)
	e.Observe(acc)
	e.Observe(ev(lifecycle.EvSkipped, "c", "", ""))
	e.Observe(ev(lifecycle.EvMessaged, "c", "alice", ""))
	e.Observe(ev(lifecycle.EvReplied, "c", "alice", ""))
	e.Observe(ev(lifecycle.EvReplied, "c", "", "")) // no account: not counted
	skip := ev(lifecycle.EvMessageSkipped, "c", "alice", "")
	skip.Reason = campaigns.MessageSkipMissingField
	e.Observe(skip)
	e.Observe(skip)
	skip.Reason = "something_new" // outside the fixed set: counted as invalid
	e.Observe(skip)

	d.Observe("alice", wire.Outcome{Kind: wire.Denied, Denial: pacing.DenyGap}, nil)
	d.Observe("alice", wire.Outcome{Kind: wire.Refused, Code: platform.CodeWeeklyLimit}, nil)
	d.Observe("bob", wire.Outcome{Kind: wire.Refused, Code: "something_new"}, nil)
	d.Observe("bob", wire.Outcome{Kind: wire.Unknown}, errors.New("timeout"))
	d.Observe("bob", wire.Outcome{Kind: wire.Delivered}, nil)
	// Faults of the integration count under their own reasons.
	d.Observe("alice", wire.Outcome{Kind: wire.Unknown}, fmt.Errorf("inviting: %w", &platform.Error{Code: platform.CodeUnauthorized, Retryable: true, NotPerformed: true, Fault: platform.FaultAuth}))
	d.Observe("alice", wire.Outcome{Kind: wire.Unknown}, &platform.Error{Code: platform.CodeUnavailable, Retryable: true, Fault: platform.FaultServer})
	if got := gathered(t, reg, metrics.IntegrationUp, nil); got != 1 {
		t.Errorf("%s = %v at start, want 1", metrics.IntegrationUp, got)
	}
	d.SetIntegrationUp(false)
	if got := gathered(t, reg, metrics.IntegrationUp, nil); got != 0 {
		t.Errorf("%s = %v when down, want 0", metrics.IntegrationUp, got)
	}
	d.SetIntegrationUp(true)
	if got := gathered(t, reg, metrics.IntegrationUp, nil); got != 1 {
		t.Errorf("%s = %v when back, want 1", metrics.IntegrationUp, got)
	}

	if err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP outreach_invitations_sent_total Connection requests sent, by note variant (blank: no note).
# TYPE outreach_invitations_sent_total counter
outreach_invitations_sent_total{account="alice",campaign="c",variant="blank"} 0
outreach_invitations_sent_total{account="alice",campaign="c",variant="hi"} 1
# HELP outreach_invitations_accepted_total Connection requests accepted, by the variant they were sent with.
# TYPE outreach_invitations_accepted_total counter
outreach_invitations_accepted_total{account="alice",campaign="c",variant="blank"} 0
outreach_invitations_accepted_total{account="alice",campaign="c",variant="hi"} 1
# HELP outreach_messages_sent_total Follow-up messages sent after acceptance.
# TYPE outreach_messages_sent_total counter
outreach_messages_sent_total{account="alice",campaign="c"} 1
# HELP outreach_messages_skipped_total Follow-up messages skipped because they did not render for the prospect (missing_field: a field it needs is empty; invalid: the template failed); the sequence goes on.
# TYPE outreach_messages_skipped_total counter
outreach_messages_skipped_total{account="alice",campaign="c",reason="invalid"} 1
outreach_messages_skipped_total{account="alice",campaign="c",reason="missing_field"} 2
# HELP outreach_replies_total Prospects who replied to a message (or wrote after accepting): no automated message follows.
# TYPE outreach_replies_total counter
outreach_replies_total{account="alice",campaign="c"} 1
`), metrics.InvitationsSent, metrics.InvitationsAccepted, metrics.MessagesSent, metrics.MessagesSkipped, metrics.Replies); err != nil {
		t.Error(err)
	}
	if n, err := testutil.GatherAndCount(reg, metrics.LimitWaits); err != nil || n != 2*len(metrics.WaitReasons) {
		t.Errorf("%d limit-wait series, want every account x reason (%d)", n, 2*len(metrics.WaitReasons))
	}
	// Thousands of accounts: no series at zero (they come with events).
	big := make([]string, metrics.MaxInitSeries/len(metrics.ErrorReasons)+1)
	for i := range big {
		big[i] = fmt.Sprintf("a%d", i)
	}
	reg2 := prometheus.NewRegistry()
	metrics.NewDelivery(reg2, big)
	if n, err := testutil.GatherAndCount(reg2); err != nil || n != 1 { // the integration's gauge alone
		t.Errorf("%d series created at zero for %d accounts (%v)", n, len(big), err)
	}
	for _, c := range []struct {
		name, account, reason string
		want                  float64
	}{
		{metrics.LimitWaits, "alice", "gap", 1},
		{metrics.LimitWaits, "alice", "daily", 0},
		{metrics.DeliveryErrors, "alice", "weekly_limit", 1},
		{metrics.DeliveryErrors, "bob", "other", 1},
		{metrics.DeliveryErrors, "bob", "unknown_outcome", 1},
		{metrics.DeliveryErrors, "bob", "weekly_limit", 0},
		{metrics.DeliveryErrors, "alice", "auth", 1},
		{metrics.DeliveryErrors, "alice", "server_error", 1},
		{metrics.DeliveryErrors, "alice", "unknown_outcome", 0},
		{metrics.DeliveryErrors, "bob", "tls", 0},
	} {
		if got := gathered(t, reg, c.name, map[string]string{"account": c.account, "reason": c.reason}); got != c.want {
			t.Errorf("%s{account=%s,reason=%s} = %v, want %v", c.name, c.account, c.reason, got, c.want)
		}
	}
	// One acceptance two hours after its invitation: count 1, sum 7200,
	// in the 6h bucket and not the 1h one.
	if got := gathered(t, reg, metrics.TimeToAccept+"_sum", map[string]string{"campaign": "c"}); got != 7200 {
		t.Errorf("time to accept sum %v, want 7200", got)
	}
	if got := gathered(t, reg, metrics.TimeToAccept+"_bucket", map[string]string{"campaign": "c", "le": "3600"}); got != 0 {
		t.Errorf("le=3600 bucket %v, want 0", got)
	}
	if got := gathered(t, reg, metrics.TimeToAccept+"_bucket", map[string]string{"campaign": "c", "le": "21600"}); got != 1 {
		t.Errorf("le=21600 bucket %v, want 1", got)
	}
}

// gathered returns the value of one series from reg: a counter or gauge,
// or a histogram's _sum, _count or _bucket (label le).
func gathered(t *testing.T, reg prometheus.Gatherer, name string, labels map[string]string) float64 {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	base, suffix := name, ""
	for _, s := range []string{"_sum", "_count", "_bucket"} {
		if strings.HasSuffix(name, s) {
			base, suffix = strings.TrimSuffix(name, s), s
		}
	}
	for _, f := range fams {
		if f.GetName() != base && f.GetName() != name {
			continue
		}
	metric:
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if v, ok := labels[l.GetName()]; ok && v != l.GetValue() {
					continue metric
				}
			}
			switch {
			case m.GetCounter() != nil:
				return m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				return m.GetGauge().GetValue()
			case m.GetHistogram() != nil:
				h := m.GetHistogram()
				switch suffix {
				case "_sum":
					return h.GetSampleSum()
				case "_count":
					return float64(h.GetSampleCount())
				}
				for _, b := range h.GetBucket() {
					if strconv.FormatFloat(b.GetUpperBound(), 'g', -1, 64) == labels["le"] {
						return float64(b.GetCumulativeCount())
					}
				}
			}
		}
	}
	t.Fatalf("no series %s%v", name, labels)
	return 0
}
