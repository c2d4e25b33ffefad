package scheduler

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/wire"
)

// testWorld parses a config and campaigns written inline.
func testWorld(tb testing.TB, cfgYAML string, campaignYAML ...string) (*config.Config, []*campaigns.Campaign) {
	tb.Helper()
	cfg, fs := config.Parse("config.yaml", []byte(cfgYAML))
	if fs.HasErrors() {
		tb.Fatalf("config: %s", strings.Join(fs.Strings(), "\n"))
	}
	var cs []*campaigns.Campaign
	for i, y := range campaignYAML {
		c, fs := campaigns.Parse(fmt.Sprintf("c%d.yaml", i), []byte(y), cfg)
		if fs.HasErrors() {
			tb.Fatalf("campaign: %s", strings.Join(fs.Strings(), "\n"))
		}
		cs = append(cs, c)
	}
	return cfg, cs
}

const oneAccount = `
defaults:
  min_gap: 1m
  jitter: 0
  days: [mon, tue, wed, thu, fri, sat, sun]
  hours: "00:00-24:00"
accounts:
  - id: alice
    tier: premium
    limits: {weekly: 100000, daily: 100000, max_pending: 100000}
`

const blankCampaign = `
name: c
accounts: [alice]
prospects: {csv: none.csv}
steps:
  - connect: {}
`

// drive ticks every minute from now to until, delivering every task
// planned, and counts the invitations planned before until.
func drive(tb testing.TB, e *Engine, now, until time.Time) (invites int) {
	tb.Helper()
	for now.Before(until) {
		for _, t := range e.Plan(now) {
			if t.Kind == wire.KindInvite && t.At.Before(until) {
				invites++
			}
			if err := e.Done(t, wire.Outcome{Kind: wire.Delivered, At: t.At}); err != nil {
				tb.Fatal(err)
			}
		}
		now = now.Add(time.Minute)
	}
	return invites
}

// TestOneSecondGapIsNotThrottledByTheTick: a planning tick every minute
// with a one-second gap gives about one invitation a second.
func TestOneSecondGapIsNotThrottledByTheTick(t *testing.T) {
	cfg, cs := testWorld(t, strings.Replace(oneAccount, "min_gap: 1m", "min_gap: 1s", 1), blankCampaign)
	e, err := New(Options{Config: cfg, Campaigns: cs, Sources: map[string]Source{"c": &Synthetic{Prefix: "p", N: 100000}}})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	n := drive(t, e, start, start.Add(10*time.Minute))
	// 600 seconds at one per second, less the spread's slack.
	if n < 550 || n > 601 {
		t.Fatalf("%d invitations in 10 minutes with a 1s gap, want about 600", n)
	}
}

// BenchmarkPlanInvite measures the engine's cost per planned invitation
// (plan, render, record the outcome) with queues of different lengths: at
// least `queued` prospects wait throughout. The cost must not grow with it.
func BenchmarkPlanInvite(b *testing.B) {
	for _, queued := range []int{1_000, 1_000_000} {
		b.Run(fmt.Sprintf("queued=%d", queued), func(b *testing.B) {
			cfg, cs := testWorld(b, oneAccount, blankCampaign)
			e, err := New(Options{Config: cfg, Campaigns: cs, Sources: map[string]Source{"c": &Synthetic{Prefix: "p", N: queued + b.N}}})
			if err != nil {
				b.Fatal(err)
			}
			now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
			b.ResetTimer()
			for planned := 0; planned < b.N; now = now.Add(time.Minute) {
				for _, t := range e.Plan(now) {
					planned++
					if err := e.Done(t, wire.Outcome{Kind: wire.Delivered, At: t.At}); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// TestSendersShareACampaign: two senders with the same capacity draw from
// one campaign's queue in time order, so each gets about half, even when a
// whole planning horizon holds more slots than the queue has prospects.
func TestSendersShareACampaign(t *testing.T) {
	cfg, cs := testWorld(t, `
defaults:
  min_gap: 1s
  jitter: 0
  days: [mon, tue, wed, thu, fri, sat, sun]
  hours: "00:00-24:00"
accounts:
  - id: alice
    tier: premium
    limits: {weekly: 1000000, daily: 500000}
  - id: bob
    tier: premium
    limits: {weekly: 1000000, daily: 500000}
`, `
name: c
accounts: [alice, bob]
prospects: {csv: none.csv}
steps:
  - connect: {}
`)
	e, err := New(Options{Config: cfg, Campaigns: cs, Sources: map[string]Source{"c": &Synthetic{Prefix: "p", N: 40}}})
	if err != nil {
		t.Fatal(err)
	}
	per := map[string]int{}
	for _, tk := range e.Plan(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)) {
		per[tk.Account]++
	}
	if per["alice"]+per["bob"] != 40 || per["alice"] < 18 || per["bob"] < 18 {
		t.Fatalf("40 prospects split %v between two equal senders", per)
	}
}
