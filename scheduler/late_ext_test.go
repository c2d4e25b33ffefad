package scheduler_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/lifecycle"
	"github.com/outreach-scheduler/outreach/platform/sandbox"
	"github.com/outreach-scheduler/outreach/scheduler"
	"github.com/outreach-scheduler/outreach/sim"
	"github.com/outreach-scheduler/outreach/wire"
)

const lateConfig = `
defaults:
  min_gap: 5m
  jitter: 1
  withdraw_after: 3d
  reinvite_cooldown: 3d
  days: [mon, tue, wed, thu, fri]
  hours: "09:00-18:00"
accounts:
  - id: alice
    tier: premium
    limits: {weekly: 100, daily: 25, max_pending: 60, notes_per_month: 200}
  - id: bob
    tier: free
    timezone: Europe/Paris
    limits: {weekly: 80, daily: 20, max_pending: 40}
platform:
  sandbox: {accept_rate: 0.5, decline_rate: 0.1, delay_scale: 0.05}
`

const lateMessages = `
name: c1
accounts: [alice, bob]
prospects: {csv: none.csv}
steps:
  - connect:
      note:
        variants:
          - {name: a, text: "Hi {{.first_name}}, glad to connect."}
        fallback: [blank]
  - message:
      wait: 3h
      text: "Thanks for connecting, {{.first_name}}!"
  - message:
      wait: 1d
      text: "How is {{.company}} doing?"
`

const lateFollow = `
name: c2
accounts: [bob]
prospects: {csv: none.csv}
schedule: {hours: "10:00-16:00"}
steps:
  - follow: {}
    wait: 1d
  - connect: {}
`

// outages: the workers are down across the ends of alice's (09:00-18:00
// UTC), bob's (09:00-18:00 Paris, 08:00-17:00 UTC) and c2's (10:00-16:00
// Paris) working periods, and come back outside working time (as in the
// issue: a window closed at 06:05, invitations went out at 06:08), or in
// the next period: one evening until 18:20 UTC, all of one Thursday until
// 06:30 UTC on Friday, another evening until 09:40 UTC the next morning,
// the second weekend until 07:00 UTC on Monday, and from 15:50 to 17:10
// UTC (bob and c2 closed by then, alice still open).
func outages(start time.Time) func(time.Time) bool {
	day := 24 * time.Hour
	hm := func(h, m int) time.Duration { return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute }
	spans := [][2]time.Duration{
		{1*day + hm(16, 30), 1*day + hm(18, 20)},
		{3*day + hm(7, 0), 4*day + hm(6, 30)},
		{8*day + hm(16, 30), 9*day + hm(9, 40)},
		{11*day + hm(17, 0), 14*day + hm(7, 0)},
		{15*day + hm(15, 50), 15*day + hm(17, 10)},
	}
	return func(now time.Time) bool {
		d := now.Sub(start)
		for _, s := range spans {
			if d >= s[0] && d < s[1] {
				return true
			}
		}
		return false
	}
}

// TestLateTasksNeverSentOutsideHours: workers down past the end of
// working periods, then up. The platform's own record (the sandbox model's)
// shows every request of every kind within its working time (the
// campaign's calendar for invitations, follows and messages, the
// account's for withdrawals) and no other promise broken (caps, gaps,
// duplicates: sim.CheckInvariants); the tasks that came late were handed
// back and went out in a later period: every person whose message was
// handed back got it, once per step, and no late task failed a prospect.
func TestLateTasksNeverSentOutsideHours(t *testing.T) {
	cfg, fs := config.Parse("config.yaml", []byte(lateConfig))
	if fs.HasErrors() {
		t.Fatal(fs.Strings())
	}
	var cs []*campaigns.Campaign
	for i, y := range []string{lateMessages, lateFollow} {
		c, fs := campaigns.Parse(fmt.Sprintf("c%d.yaml", i+1), []byte(y), cfg)
		if fs.HasErrors() {
			t.Fatal(fs.Strings())
		}
		cs = append(cs, c)
	}
	srcs := map[string]scheduler.Source{"c1": &scheduler.Synthetic{Prefix: "p", N: 600}, "c2": &scheduler.Synthetic{Prefix: "q", N: 200}}
	start := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC) // a Monday
	run := scheduler.RunWithOutages(t, cfg, cs, srcs, start, 21, outages(start))

	late := map[wire.Kind]int{}
	for _, tk := range run.Late {
		late[tk.Kind]++
	}
	for _, k := range []wire.Kind{wire.KindInvite, wire.KindFollow, wire.KindMessage, wire.KindWithdraw} {
		if late[k] == 0 {
			t.Errorf("no %s came late: the outages do not exercise it (%v)", k, late)
		}
	}

	byName := map[string]*campaigns.Campaign{}
	for _, c := range cs {
		byName[c.Name] = c
	}
	record := run.Model.Record()
	violations := 0
	sent := map[[2]string]int{} // (op, person) -> requests taken
	for _, e := range record {
		if e.Refused != "" || e.Repeat {
			continue
		}
		a := cfg.Account(e.Account)
		cal := campaigns.Calendar(a, nil)
		if e.Op != sandbox.OpWithdraw {
			cal = campaigns.Calendar(a, byName[e.Campaign].Schedule)
		}
		if !cal.Open(e.At) {
			violations++
			t.Errorf("%s of %s by %s at %s: outside working time", e.Op, e.Person, e.Account, e.At.In(cal.Location).Format("Mon 15:04:05 MST"))
		}
		sent[[2]string{string(e.Op), e.Person}]++
	}
	for _, v := range sim.CheckInvariants(cfg, cs, record, run.Events) {
		violations++
		t.Errorf("violation: %s", v)
	}

	// Late messages: sent later, once per step (two steps at most).
	lateMsg := map[string]bool{}
	for _, tk := range run.Late {
		if tk.Kind == wire.KindMessage {
			lateMsg[tk.Person] = true
		}
	}
	for p := range lateMsg {
		if n := sent[[2]string{string(sandbox.OpMessage), p}]; n == 0 || n > 2 {
			t.Errorf("%s: a message was handed back late; the platform got %d messages, want 1 or 2", p, n)
		}
	}
	for k, n := range sent {
		if k[0] == string(sandbox.OpMessage) && n > 2 || k[0] == string(sandbox.OpFollow) && n > 1 {
			t.Errorf("%s of %s sent %d times", k[0], k[1], n)
		}
	}
	// Late follows: followed later, once. Late withdrawals: withdrawn
	// later, unless the person answered first.
	answered := map[string]bool{}
	for _, ev := range run.Events {
		answered[ev.Person] = true
	}
	for _, tk := range run.Late {
		switch {
		case tk.Kind == wire.KindFollow && sent[[2]string{string(sandbox.OpFollow), tk.Person}] != 1:
			t.Errorf("%s: the follow was handed back late and never sent again", tk.Person)
		case tk.Kind == wire.KindWithdraw && sent[[2]string{string(sandbox.OpWithdraw), tk.Person}] == 0 && !answered[tk.Person]:
			t.Errorf("%s: the withdrawal was handed back late and never sent again", tk.Person)
		}
	}
	// Late invitations: planned again under a new key and sent.
	invitedLater := 0
	for _, tk := range run.Late {
		if tk.Kind == wire.KindInvite && sent[[2]string{string(sandbox.OpInvite), tk.Person}] > 0 {
			invitedLater++
		}
	}
	if invitedLater == 0 {
		t.Error("no late invitation was sent later")
	}
	for _, ev := range run.Lifecyc {
		if ev.Type == lifecycle.EvFailed {
			t.Errorf("a prospect failed: %+v", ev)
		}
	}
	t.Logf("%d requests on the platform, %d tasks handed back late (%v), %d late invitations sent later; %d violations",
		len(record), len(run.Late), late, invitedLater, violations)
	if testing.Verbose() {
		var b strings.Builder
		for _, tk := range run.Late[:min(5, len(run.Late))] {
			fmt.Fprintf(&b, "  %s %s at %s, not after %s\n", tk.Kind, tk.Key, tk.At.Format(time.RFC3339), tk.NotAfter.Format(time.RFC3339))
		}
		t.Logf("first hand-backs:\n%s", b.String())
	}
}
