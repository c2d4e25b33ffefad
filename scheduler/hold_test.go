package scheduler

import (
	"context"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/platform/sandbox"
	"github.com/outreach-scheduler/outreach/wire"
)

// schedulePauses is the worker's view of a pause schedule: the pauses in
// force at a time, as the ledger's hash would hold them.
type schedulePauses func(now time.Time) Holds

func (s schedulePauses) Holds(_ context.Context, t wire.Task, now time.Time) (bool, error) {
	h := s(now)
	if v, ok := h.Campaigns[t.Campaign]; ok {
		c := wire.Command{Kind: wire.CommandPause, Campaign: t.Campaign, Until: v.Until}
		if c.Holds(t.Kind, now) {
			return true, nil
		}
	}
	if v, ok := h.Accounts[t.Account]; ok {
		c := wire.Command{Kind: wire.CommandPause, Account: t.Account, Until: v.Until, All: v.All}
		return c.Holds(t.Kind, now), nil
	}
	return false, nil
}

// holdRun is driveRun with the pauses of schedule: it returns the model
// (its record is the referee) and the tasks held.
func holdRun(t *testing.T, cfg *config.Config, cs []*campaigns.Campaign, srcs map[string]Source, start time.Time, days int, schedule schedulePauses) (*sandbox.Model, []wire.Task) {
	t.Helper()
	run := driveRun(t, cfg, cs, srcs, start, days, driveOptions{pauses: schedule})
	return run.Model, run.Held
}

// holdLag is how late the engine learns a pause in holdRun.
const holdLag = 20 * time.Minute

// checkPaced fails on any request the platform refused for a limit, and on any two
// invitations of an account closer than the minimum gap or outside its
// working hours, or more than its daily cap in a day.
func checkPaced(t *testing.T, cfg *config.Config, rec []sandbox.Entry, model *sandbox.Model) {
	t.Helper()
	for _, v := range model.Violations() {
		switch v.Refused {
		case platform.CodeNotPending, platform.CodeNotConnected:
			// An answer crossed the request: the platform's race, not a limit.
		default:
			t.Errorf("refused by the platform: %+v", v)
		}
	}
	last := map[string]time.Time{}
	perDay := map[string]int{}
	for _, e := range rec {
		if e.Op != sandbox.OpInvite || e.Repeat {
			continue
		}
		a := cfg.Account(e.Account)
		loc := a.Location
		local := e.At.In(loc)
		if h := local.Hour(); h < 9 || h >= 18 || local.Weekday() == time.Saturday || local.Weekday() == time.Sunday {
			t.Errorf("%s invited at %s, outside working hours", e.Account, local)
		}
		if p, ok := last[e.Account]; ok && e.At.Sub(p) < 5*time.Minute {
			t.Errorf("%s invited at %s, %s after the previous one (min gap 5m)", e.Account, e.At, e.At.Sub(p))
		}
		last[e.Account] = e.At
		day := e.Account + local.Format(time.DateOnly)
		perDay[day]++
		if perDay[day] > a.Limits.Daily {
			t.Errorf("%s: %d invitations on %s, daily cap %d", e.Account, perDay[day], local.Format(time.DateOnly), a.Limits.Daily)
		}
	}
}

// TestHoldCampaign: a campaign paused while its actions are queued sends
// nothing (invitation, follow or message) until resumed, while another
// campaign on the same account goes on; on resume it continues where it
// stopped, within every cap and gap, and its messages held back go out.
func TestHoldCampaign(t *testing.T) {
	cfg, cs, srcs := snapWorld(t)
	start := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)                                     // a Monday
	from, to := start.Add(26*time.Hour+17*time.Minute), start.Add(3*24*time.Hour+3*time.Hour) // Tue 10:17 .. Thu 11:00
	model, held := holdRun(t, cfg, cs, srcs(), start, 8, func(now time.Time) Holds {
		if !now.Before(from) && now.Before(to) {
			return Holds{Campaigns: map[string]Hold{"c1": {}}}
		}
		return Holds{}
	})
	rec := model.Record()
	checkPaced(t, cfg, rec, model)
	var during, c2During, after, msgAfter int
	for _, e := range rec {
		in := !e.At.Before(from) && e.At.Before(to)
		switch {
		case e.Campaign == "c1" && in && e.Op != sandbox.OpWithdraw:
			during++
			t.Errorf("c1 %s at %s, during its pause", e.Op, e.At)
		case e.Campaign == "c2" && in && e.Op == sandbox.OpInvite:
			c2During++
		case e.Campaign == "c1" && !e.At.Before(to) && e.Op == sandbox.OpInvite:
			after++
		case e.Campaign == "c1" && !e.At.Before(to) && e.Op == sandbox.OpMessage:
			msgAfter++
		}
	}
	if c2During == 0 {
		t.Error("c2 (same account bob) sent nothing during c1's pause")
	}
	if after == 0 || msgAfter == 0 {
		t.Errorf("after the resume, c1 sent %d invitations and %d messages; want both", after, msgAfter)
	}
	if len(held) == 0 {
		t.Error("no task was handed back: the pause never met a queued task (the test does not take that path)")
	}
	if len(held) > 10 {
		// The engine plans nothing for a campaign it knows paused: only
		// what it planned in the holdLag before it knew comes back.
		t.Errorf("%d tasks handed back: the engine went on planning the paused campaign", len(held))
	}
	for _, tk := range held {
		if tk.Campaign != "c1" {
			t.Errorf("handed back a task of %s: %+v", tk.Campaign, tk)
		}
	}
	// Nothing twice: a task handed back is planned again under its key
	// (follows, messages) or a new one (invitations), never both sent.
	keys := map[string]int{}
	for _, e := range rec {
		if !e.Repeat {
			keys[e.Key]++
		}
	}
	for k, n := range keys {
		if n > 1 {
			t.Errorf("%s reached the platform %d times", k, n)
		}
	}
	t.Logf("held back %d tasks; c1 during the pause %d, c2 %d; after %d invitations, %d messages", len(held), during, c2During, after, msgAfter)
}

// TestHoldAccountFor: an account paused for a while (outreach pause account
// bob --for 2d) sends nothing for any campaign while paused, except its
// withdrawals (not --all), and resumes by itself at the end, within caps.
func TestHoldAccountFor(t *testing.T) {
	cfg, cs, srcs := snapWorld(t)
	start := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	from := start.Add(2*24*time.Hour + 4*time.Hour + 33*time.Minute) // Wed 12:33
	until := from.Add(2 * 24 * time.Hour)
	model, held := holdRun(t, cfg, cs, srcs(), start, 8, func(now time.Time) Holds {
		if !now.Before(from) { // the record stays; its Until ends it
			return Holds{Accounts: map[string]Hold{"bob": {Until: until}}}
		}
		return Holds{}
	})
	rec := model.Record()
	checkPaced(t, cfg, rec, model)
	var aliceDuring, bobAfter int
	for _, e := range rec {
		in := !e.At.Before(from) && e.At.Before(until)
		switch {
		case e.Account == "bob" && in && e.Op != sandbox.OpWithdraw:
			t.Errorf("bob %s for %s at %s, during his pause", e.Op, e.Campaign, e.At)
		case e.Account == "alice" && in && e.Op == sandbox.OpInvite:
			aliceDuring++
		case e.Account == "bob" && !e.At.Before(until) && e.Op == sandbox.OpInvite:
			bobAfter++
		}
	}
	if aliceDuring == 0 || bobAfter == 0 {
		t.Errorf("alice invited %d during bob's pause, bob %d after it; want both > 0", aliceDuring, bobAfter)
	}
	if len(held) == 0 {
		t.Error("no task handed back")
	}
}

// TestHoldAccountAll: with --all an account's withdrawals wait too, and go
// out once it is resumed; without it they go on.
func TestHoldAccountAll(t *testing.T) {
	cfg, cs, srcs := snapWorld(t)
	start := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	from, to := start.Add(5*24*time.Hour+2*time.Hour), start.Add(9*24*time.Hour+2*time.Hour) // Sat 10:00 .. Wed 10:00: withdraw_after 6d falls inside
	for _, all := range []bool{false, true} {
		model, _ := holdRun(t, cfg, cs, srcs(), start, 11, func(now time.Time) Holds {
			if !now.Before(from) && now.Before(to) {
				return Holds{Accounts: map[string]Hold{"alice": {All: all}}}
			}
			return Holds{}
		})
		var during, after int
		for _, e := range model.Record() {
			if e.Account != "alice" || e.Op != sandbox.OpWithdraw {
				continue
			}
			if !e.At.Before(from) && e.At.Before(to) {
				during++
			} else if !e.At.Before(to) {
				after++
			}
		}
		switch {
		case all && (during != 0 || after == 0):
			t.Errorf("--all: %d withdrawals during the pause, %d after; want 0 and > 0", during, after)
		case !all && during == 0:
			t.Errorf("without --all: no withdrawal during the pause; want them to go on")
		}
		checkPaced(t, cfg, model.Record(), model)
	}
}
