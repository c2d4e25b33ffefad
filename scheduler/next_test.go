package scheduler

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/pacing"
	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/wire"
)

// officeHours is one account in London working weekdays 09:00-17:00, with
// small caps: five a day, twelve a rolling week.
const officeHours = `
defaults:
  min_gap: 10m
  jitter: 0.5
  days: [mon, tue, wed, thu, fri]
  hours: "09:00-17:00"
  timezone: Europe/London
accounts:
  - id: rita
    tier: premium
    limits: {weekly: 12, daily: 5, max_pending: 1000}
`

func mustNext(t *testing.T, e *Engine, id string, now time.Time) NextInfo {
	t.Helper()
	n, err := e.Next(id, now)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestNextPredictsThePlan drives an office-hours account for two weeks,
// minute by minute, asking Next before every Plan; a twin engine with the
// same seed is driven without asking. Asking changes nothing (the twins
// plan the same tasks), every invitation goes out at the time Next gave
// for it, or, when Next gave a new working period's opening (the minute
// not drawn yet), within that period; and the reasons given are the caps
// and the working hours, each with when it ends.
func TestNextPredictsThePlan(t *testing.T) {
	cfg, cs := testWorld(t, officeHours, strings.Replace(blankCampaign, "[alice]", "[rita]", 1))
	newEng := func() *Engine {
		e, err := New(Options{Config: cfg, Campaigns: cs, Sources: map[string]Source{"c": &Synthetic{Prefix: "p", N: 1000}}, Seed: 7})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	asked, twin := newEng(), newEng()
	london, _ := time.LoadLocation("Europe/London")
	start := time.Date(2026, 11, 23, 0, 0, 0, 0, london) // a Monday
	cal := asked.accounts[0].cal

	type prediction struct {
		now time.Time
		n   NextInfo
	}
	var preds []prediction
	var got, want []wire.Task
	reasons := map[Block]int{}
	exact, opening := 0, 0
	for now := start; now.Before(start.AddDate(0, 0, 14)); now = now.Add(time.Minute) {
		n := mustNext(t, asked, "rita", now)
		reasons[n.Reason]++
		switch n.Reason {
		case BlockNone:
		case BlockHours, BlockDailyCap, BlockWeeklyCap:
			if !n.Until.After(now) {
				t.Fatalf("%s: %s until %s, not after now", now, n.Reason, n.Until)
			}
			if n.Reason == BlockDailyCap {
				if l := n.Until.In(london); l.Hour() != 0 || l.Minute() != 0 || !l.After(now) || l.Sub(now) > 24*time.Hour {
					t.Errorf("%s: the daily cap frees at %s, want the coming local midnight", now, l)
				}
			}
			if n.Reason == BlockHours && !cal.Open(n.Until) {
				t.Errorf("%s: the hours open at %s, which is not in working time", now, n.Until)
			}
		default:
			t.Fatalf("%s: unexpected reason %q", now, n.Reason)
		}
		if n.Kind != wire.KindInvite || n.Campaign != "c" {
			t.Fatalf("%s: next %+v; want an invitation of c (nothing else is planned)", now, n)
		}
		if n.At.After(now.Add(DefaultHorizon)) { // not handed out at this tick
			preds = append(preds, prediction{now, n})
		}
		for _, tk := range asked.Plan(now) {
			got = append(got, tk)
			for _, p := range preds {
				switch {
				case !p.n.Earliest && tk.At.Equal(p.n.At):
					exact++
				case p.n.Earliest && !tk.At.Before(p.n.At) && tk.At.Sub(p.n.At) < 24*time.Hour:
					opening++ // the earliest; the minute drawn within the period
				default:
					t.Fatalf("invitation at %s; at %s Next said %+v", tk.At.In(london), p.now.In(london), p.n)
				}
			}
			preds = preds[:0]
			if err := asked.Done(tk, wire.Outcome{Kind: wire.Delivered, At: tk.At}); err != nil {
				t.Fatal(err)
			}
		}
		for _, tk := range twin.Plan(now) {
			want = append(want, tk)
			if err := twin.Done(tk, wire.Outcome{Kind: wire.Delivered, At: tk.At}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if !slices.EqualFunc(got, want, func(a, b wire.Task) bool { return a.Key == b.Key && a.At.Equal(b.At) }) {
		t.Fatalf("asking Next changed the plan: %d tasks, the twin %d", len(got), len(want))
	}
	// Two weeks of 12: 24 invitations, the caps binding.
	if len(got) != 24 {
		t.Errorf("%d invitations in two weeks at 12 a week", len(got))
	}
	for _, b := range []Block{BlockNone, BlockHours, BlockDailyCap, BlockWeeklyCap} {
		if reasons[b] == 0 {
			t.Errorf("reason %q never given; given: %v", b, reasons)
		}
	}
	if exact == 0 || opening == 0 {
		t.Errorf("%d predictions exact, %d at the opening: both kinds must be checked", exact, opening)
	}
	t.Logf("reasons by minute: %v; %d exact, %d at the opening", reasons, exact, opening)
}

// aroundTheClock is one account working every minute, with caps far away.
const aroundTheClock = `
defaults:
  min_gap: 1m
  jitter: 0
  days: [mon, tue, wed, thu, fri, sat, sun]
  hours: "00:00-24:00"
  withdraw_after: 72h
  expire_after: 96h
  restriction_pause: 48h
accounts:
  - id: alice
    tier: premium
    limits: {weekly: 1000, daily: 500, max_pending: 1000}
`

func aroundEngine(t *testing.T, cfgYAML, campaignYAML string, n int) *Engine {
	t.Helper()
	cfg, cs := testWorld(t, cfgYAML, campaignYAML)
	e, err := New(Options{Config: cfg, Campaigns: cs, Sources: map[string]Source{"c": &Synthetic{Prefix: "p", N: n}}, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

var noon = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// deliverFirst plans at now and delivers the first task, which it returns;
// the others are reported refused (not sent) so nothing else is out.
func deliverFirst(t *testing.T, e *Engine, now time.Time) wire.Task {
	t.Helper()
	ts := slices.Clone(e.Plan(now))
	if len(ts) == 0 {
		t.Fatalf("nothing planned at %s", now)
	}
	for i, tk := range ts {
		o := wire.Outcome{Kind: wire.Delivered, At: tk.At}
		if i > 0 {
			o = wire.Outcome{Kind: wire.Denied, At: tk.At, Denial: pacing.DenyGap}
		}
		if err := e.Done(tk, o); err != nil {
			t.Fatal(err)
		}
	}
	return ts[0]
}

// TestNextReasons: each block Next reports, with when it ends, and the
// other actions it finds (withdrawals, messages, tasks on their way).
func TestNextReasons(t *testing.T) {
	t.Run("unknown account", func(t *testing.T) {
		e := aroundEngine(t, aroundTheClock, blankCampaign, 3)
		if _, err := e.Next("nobody", noon); err == nil || !strings.Contains(err.Error(), `"nobody"`) {
			t.Errorf("err %v; want unknown account", err)
		}
	})
	t.Run("flowing", func(t *testing.T) {
		e := aroundEngine(t, aroundTheClock, blankCampaign, 3)
		n := mustNext(t, e, "alice", noon)
		if n.Reason != BlockNone || n.Kind != wire.KindInvite || !n.At.Equal(noon) || n.Campaign != "c" {
			t.Errorf("next %+v; want an invitation of c now, nothing blocking", n)
		}
	})
	t.Run("task on its way", func(t *testing.T) {
		e := aroundEngine(t, aroundTheClock, blankCampaign, 3)
		ts := e.Plan(noon)
		if len(ts) == 0 {
			t.Fatal("nothing planned")
		}
		first := ts[0]
		n := mustNext(t, e, "alice", noon.Add(-time.Minute))
		if n.Kind != wire.KindInvite || !n.At.Equal(first.At) {
			t.Errorf("next %+v; want the task handed out at %s", n, first.At)
		}
	})
	t.Run("paused by the operator until a time", func(t *testing.T) {
		e := aroundEngine(t, aroundTheClock, blankCampaign, 3)
		until := noon.Add(3 * time.Hour)
		e.SetHolds(Holds{Accounts: map[string]Hold{"alice": {Until: until}}}, noon)
		n := mustNext(t, e, "alice", noon)
		if n.Reason != BlockPaused || !n.Until.Equal(until) || n.Kind != wire.KindInvite || n.At.Before(until) {
			t.Errorf("next %+v; want paused until %s, the invitation after it", n, until)
		}
	})
	t.Run("paused by the operator until resumed", func(t *testing.T) {
		e := aroundEngine(t, aroundTheClock, blankCampaign, 3)
		e.SetHolds(Holds{Accounts: map[string]Hold{"alice": {}}}, noon)
		n := mustNext(t, e, "alice", noon)
		if n.Reason != BlockPaused || !n.Until.IsZero() || !n.At.IsZero() {
			t.Errorf("next %+v; want paused until resumed, nothing planned", n)
		}
	})
	t.Run("campaign paused until resumed", func(t *testing.T) {
		e := aroundEngine(t, aroundTheClock, blankCampaign, 3)
		e.SetHolds(Holds{Campaigns: map[string]Hold{"c": {}}}, noon)
		n := mustNext(t, e, "alice", noon)
		if n.Reason != BlockCampaignPaused || !n.Until.IsZero() || !n.At.IsZero() {
			t.Errorf("next %+v; want every campaign paused, nothing planned", n)
		}
	})
	t.Run("campaign paused until a time", func(t *testing.T) {
		e := aroundEngine(t, aroundTheClock, blankCampaign, 3)
		until := noon.Add(time.Hour)
		e.SetHolds(Holds{Campaigns: map[string]Hold{"c": {Until: until}}}, noon)
		n := mustNext(t, e, "alice", noon)
		if n.Reason != BlockCampaignPaused || !n.Until.Equal(until) || n.ReasonCampaign != "c" || !n.At.Equal(until) {
			t.Errorf("next %+v; want campaign c paused until %s, the invitation then", n, until)
		}
	})
	t.Run("platform restriction", func(t *testing.T) {
		e := aroundEngine(t, aroundTheClock, blankCampaign, 3)
		ts := slices.Clone(e.Plan(noon))
		if err := e.Done(ts[0], wire.Outcome{Kind: wire.Refused, At: ts[0].At, Code: platform.CodeRestricted}); err != nil {
			t.Fatal(err)
		}
		for _, tk := range ts[1:] {
			if err := e.Done(tk, wire.Outcome{Kind: wire.Denied, At: tk.At, Denial: pacing.DenyGap}); err != nil {
				t.Fatal(err)
			}
		}
		until := ts[0].At.Add(48 * time.Hour)
		n := mustNext(t, e, "alice", noon.Add(time.Minute))
		if n.Reason != BlockRestricted || !n.Until.Equal(until) || n.Kind != wire.KindInvite || n.At.Before(until) {
			t.Errorf("next %+v; want restricted until %s, the invitation after it", n, until)
		}
	})
	t.Run("no prospects left: the withdrawal is next", func(t *testing.T) {
		e := aroundEngine(t, aroundTheClock, blankCampaign, 1)
		inv := deliverFirst(t, e, noon)
		n := mustNext(t, e, "alice", noon.Add(time.Hour))
		if n.Reason != BlockNoProspects || n.Kind != wire.KindWithdraw || !n.At.Equal(inv.At.Add(72*time.Hour)) {
			t.Errorf("next %+v; want no prospects, the withdrawal at %s", n, inv.At.Add(72*time.Hour))
		}
	})
	t.Run("a message is next", func(t *testing.T) {
		e := aroundEngine(t, aroundTheClock, `
name: c
accounts: [alice]
prospects: {csv: none.csv}
steps:
  - connect: {}
  - message: {wait: 1h, text: "Thanks {{.first_name}}"}
`, 1)
		inv := deliverFirst(t, e, noon)
		acc := inv.At.Add(10 * time.Minute)
		if err := e.Observe(wire.Event{Type: platform.EventAccepted, Account: "alice", Person: inv.Person, Key: inv.Key, At: acc}); err != nil {
			t.Fatal(err)
		}
		n := mustNext(t, e, "alice", acc)
		if n.Kind != wire.KindMessage || !n.At.Equal(acc.Add(time.Hour)) || n.Campaign != "c" || n.Reason != BlockNoProspects {
			t.Errorf("next %+v; want the message at %s", n, acc.Add(time.Hour))
		}
	})
	t.Run("pending ceiling", func(t *testing.T) {
		e := aroundEngine(t, strings.Replace(aroundTheClock, "max_pending: 1000", "max_pending: 1", 1), blankCampaign, 3)
		deliverFirst(t, e, noon)
		n := mustNext(t, e, "alice", noon.Add(time.Minute))
		if n.Reason != BlockPending || n.Kind != wire.KindWithdraw {
			t.Errorf("next %+v; want the pending ceiling, a withdrawal next", n)
		}
	})
	t.Run("connection cap", func(t *testing.T) {
		e := aroundEngine(t, strings.Replace(aroundTheClock, "tier: premium", "tier: premium\n    connections: 30000", 1), blankCampaign, 3)
		n := mustNext(t, e, "alice", noon)
		if n.Reason != BlockConnections || !n.At.IsZero() {
			t.Errorf("next %+v; want the connection cap, nothing planned", n)
		}
	})
	t.Run("follow first: the follow is next, the invitation waits", func(t *testing.T) {
		e := aroundEngine(t, aroundTheClock, `
name: c
accounts: [alice]
prospects: {csv: none.csv}
steps:
  - follow: {}
    wait: 2d
  - connect: {}
`, 3)
		n := mustNext(t, e, "alice", noon)
		if n.Kind != wire.KindFollow || !n.At.Equal(noon) || n.Reason != BlockWaiting {
			t.Errorf("next %+v; want a follow now, invitations waiting for it", n)
		}
		fol := deliverFirst(t, e, noon)
		n = mustNext(t, e, "alice", noon.Add(time.Hour))
		if n.Reason != BlockWaiting || !n.Until.Equal(fol.At.Add(48*time.Hour)) || n.ReasonCampaign != "c" {
			t.Errorf("next %+v; want invitations waiting until %s", n, fol.At.Add(48*time.Hour))
		}
	})
}
