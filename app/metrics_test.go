package app

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/internal/ledgercheck"
	"github.com/outreach-scheduler/outreach/internal/redistest"
	"github.com/outreach-scheduler/outreach/ledger"
	"github.com/outreach-scheduler/outreach/metrics"
	"github.com/outreach-scheduler/outreach/platform/sandbox"
	"github.com/outreach-scheduler/outreach/wire"
)

// TestStatsCountEachEntryOnce runs the service twice on the same Redis
// (a restart), with answers arriving within two seconds. The durable stats
// must equal the counts derived from the ledger alone, and the two
// processes' event counters together must count each invitation and
// acceptance exactly once: the second process counts only what the first
// had not written to the stats.
func TestStatsCountEachEntryOnce(t *testing.T) {
	rs := redistest.Start(t)
	w := newTwoSenders(t, fmt.Sprintf("redis:\n  addr: %s\n", rs.Addr()))
	regs := []*prometheus.Registry{prometheus.NewRegistry(), prometheus.NewRegistry()}
	for i, reg := range regs {
		opt, err := sandbox.OptionsFromConfig(w.cfg, int64(i+1))
		if err != nil {
			t.Fatal(err)
		}
		opt.AcceptRate, opt.DeclineRate = 0.6, 0.2
		opt.Delays = []sandbox.DelayPoint{{Within: 2 * time.Second, Share: 1}}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = Run(ctx, Options{Config: w.cfg, Campaigns: []*campaigns.Campaign{w.camp}, Model: sandbox.New(opt), Seed: uint64(i + 1), Registry: reg})
		cancel()
		if err != nil {
			t.Fatal(err)
		}
	}
	led := ledger.New(rs.Client(), "")
	sent, accepted, err := ledgercheck.Counts(context.Background(), led)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := metrics.NewStats(rs.Client(), "").Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	totalSent, totalAcc := 0, 0
	for k, n := range sent {
		totalSent += n
		totalAcc += accepted[k]
		got := snap.Counts[metrics.Key{Campaign: k.Campaign, Account: k.Account, Variant: k.Variant}]
		if got.Invited != int64(n) || got.Accepted != int64(accepted[k]) {
			t.Errorf("%+v: stats %d sent %d accepted, ledger %d sent %d accepted", k, got.Invited, got.Accepted, n, accepted[k])
		}
	}
	if totalSent < 8 || totalAcc == 0 {
		t.Fatalf("too little happened to tell: %d sent, %d accepted", totalSent, totalAcc)
	}
	var counted, countedAcc float64
	for _, reg := range regs {
		for _, name := range []string{metrics.InvitationsSent, metrics.InvitationsAccepted} {
			fams, err := reg.Gather()
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range fams {
				if f.GetName() != name {
					continue
				}
				for _, m := range f.GetMetric() {
					if name == metrics.InvitationsSent {
						counted += m.GetCounter().GetValue()
					} else {
						countedAcc += m.GetCounter().GetValue()
					}
				}
			}
		}
	}
	if counted != float64(totalSent) || countedAcc != float64(totalAcc) {
		t.Errorf("the two processes counted %v sent and %v accepted; the ledger has %d and %d", counted, countedAcc, totalSent, totalAcc)
	}
	if n, err := testutil.GatherAndCount(regs[1], metrics.LimitWaits); err != nil || n != 2*len(metrics.WaitReasons) {
		t.Errorf("limit-wait series: %d, %v", n, err)
	}
	// No personal data in any label: names, profile URLs, note text.
	for _, reg := range regs {
		fams, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fams {
			for _, m := range f.GetMetric() {
				for _, l := range m.GetLabel() {
					if v := l.GetValue(); strings.Contains(v, "example.com") || strings.Contains(v, "Name") || strings.Contains(v, "let's") {
						t.Errorf("%s{%s=%q}: personal data in a label", f.GetName(), l.GetName(), v)
					}
				}
			}
		}
	}
	t.Logf("%d sent, %d accepted, counted once across a restart", totalSent, totalAcc)
}

// TestOwnExpiryCountedOnce: invitations nobody answers expire on the
// scheduler's own clock (expire_after comes before withdraw_after, and the
// platform never reports them). Run twice on the same Redis, each expiry
// must be counted once, in the stats and across the two processes'
// counters: the expiries are ledger entries (expire tasks), not decisions
// each rebuilt engine makes again.
func TestOwnExpiryCountedOnce(t *testing.T) {
	rs := redistest.Start(t)
	w := newTwoSenders(t, fmt.Sprintf("redis:\n  addr: %s\n", rs.Addr()))
	w.cfg.Defaults.ExpireAfter, w.cfg.Defaults.WithdrawAfter = 2*time.Second, time.Hour
	regs := []*prometheus.Registry{prometheus.NewRegistry(), prometheus.NewRegistry()}
	for i, reg := range regs {
		opt, err := sandbox.OptionsFromConfig(w.cfg, int64(i+1))
		if err != nil {
			t.Fatal(err)
		}
		opt.AcceptRate, opt.DeclineRate, opt.ExpireAfter = 0, 0, 1000*24*time.Hour
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = Run(ctx, Options{Config: w.cfg, Campaigns: []*campaigns.Campaign{w.camp}, Model: sandbox.New(opt),
			Seed: uint64(i + 1), Registry: reg, PlanSpec: "@every 1s", horizon: 3 * time.Second})
		cancel()
		if err != nil {
			t.Fatal(err)
		}
	}
	counted := make([]float64, len(regs))
	for i, reg := range regs {
		fams, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fams {
			if f.GetName() == metrics.InvitationsExpired {
				for _, m := range f.GetMetric() {
					counted[i] += m.GetCounter().GetValue()
				}
			}
		}
	}
	if counted[0] == 0 {
		t.Fatal("the first process expired nothing: the restart has nothing to count twice")
	}

	// The truth: the distinct expire tasks the ledger records as done.
	ctx := context.Background()
	expired := map[string]bool{}
	led := ledger.New(rs.Client(), "")
	for after := "0"; ; {
		es, err := led.Read(ctx, after, 1000, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(es) == 0 {
			break
		}
		for _, e := range es {
			if e.Task != nil && e.Task.Kind == wire.KindExpire && e.Outcome != nil && e.Outcome.Kind == wire.Delivered {
				expired[e.Task.Key] = true
			}
			after = e.ID
		}
	}
	snap, err := metrics.NewStats(rs.Client(), "").Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got, invited int64
	for k, c := range snap.Counts {
		got += c.Expired
		invited += c.Invited
		if c.Pending() < 0 {
			t.Errorf("%+v: pending %d", k, c.Pending())
		}
	}
	if got != int64(len(expired)) || float64(got) != counted[0]+counted[1] {
		t.Errorf("stats count %d expired, the two processes %v; the ledger records %d", got, counted, len(expired))
	}
	t.Logf("%d invited, %d expired on the scheduler's clock (%v in the first process, %v in the second)", invited, got, counted[0], counted[1])
}
