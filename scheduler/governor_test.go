package scheduler

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/wire"
)

// govConfig is one account sending 100 a day around the clock, with a
// governor that judges quickly (2-day-old invitations count as ignored).
const govConfig = `
safety: {window: 40, min_sample: 20, min_age: 2d, target_acceptance: 0.3, danger_acceptance: 0.1, floor: 0.2, recovery_step: 0.2}
defaults:
  min_gap: 1m
  jitter: 0
  days: [mon, tue, wed, thu, fri, sat, sun]
  hours: "00:00-24:00"
  withdraw_after: 30d
  expire_after: 60d
accounts:
  - id: alice
    tier: premium
    limits: {weekly: 700, daily: 100, max_pending: 5000}
`

// answer says what the person of the n-th invitation (from 0) sent on
// day does at once: accept, decline or nothing (ignore).
type answer func(day, n int) platform.EventType

// govDay is one day of a governed run.
type govDay struct {
	sent   int
	health Health
	next   NextInfo // asked an hour before the day ends
}

// govRun drives the engine minute by minute for days from start: every
// invitation planned is delivered and answered at once as ans says. It
// returns each day's sends and the health at its end.
func govRun(t *testing.T, e *Engine, start time.Time, days int, ans answer) []govDay {
	t.Helper()
	out := make([]govDay, days+1)
	n := 0
	for d := 0; d < days; d++ {
		dayStart := start.AddDate(0, 0, d)
		for now := dayStart; now.Before(dayStart.AddDate(0, 0, 1)); now = now.Add(time.Minute) {
			if now.Equal(dayStart.Add(23 * time.Hour)) {
				out[d].next = mustNext(t, e, "alice", now)
			}
			for _, tk := range append([]wire.Task(nil), e.Plan(now)...) {
				if err := e.Done(tk, wire.Outcome{Kind: wire.Delivered, At: tk.At}); err != nil {
					t.Fatal(err)
				}
				if tk.Kind != wire.KindInvite {
					continue
				}
				out[int(tk.At.Sub(start)/(24*time.Hour))].sent++ // (the horizon reaches into the next day)
				if typ := ans(d, n); typ != "" {
					if err := e.Observe(wire.Event{Type: typ, Account: tk.Account, Person: tk.Person, Key: tk.Key, At: tk.At}); err != nil {
						t.Fatal(err)
					}
				}
				n++
			}
		}
		h, err := e.Health("alice")
		if err != nil {
			t.Fatal(err)
		}
		out[d].health = h
	}
	return out[:days]
}

func govEngine(t *testing.T, cfgYAML string) *Engine {
	t.Helper()
	return aroundEngine(t, cfgYAML, blankCampaign, 20000)
}

// turnsBadThenGood: half the invitations of days 0-4 are accepted, none of
// days 5-9, all after.
func turnsBadThenGood(day, n int) platform.EventType {
	switch {
	case day < 5:
		if n%2 == 0 {
			return platform.EventAccepted
		}
		return ""
	case day < 10:
		return ""
	default:
		return platform.EventAccepted
	}
}

// TestGovernorThrottlesAndRecovers: a healthy account sends its caps; when
// its invitations go ignored the pace falls to the floor (caps times the
// floor, Next names the governor); when they are accepted again the pace
// climbs back by at most recovery_step a day, never above the caps.
func TestGovernorThrottlesAndRecovers(t *testing.T) {
	e := govEngine(t, govConfig)
	start := noon.Truncate(24 * time.Hour)
	days := govRun(t, e, start, 20, turnsBadThenGood)
	firstDay, floorDay := -1, -1
	for d, g := range days {
		h := g.health
		t.Logf("day %2d: sent %3d, pace %.2f, health %.2f (%s), acceptance %.2f over %.0f", d, g.sent, h.Pace, h.Score, h.Signal, h.Acceptance(), h.Trials)
		if g.sent > 100 {
			t.Errorf("day %d: sent %d, above the daily cap 100", d, g.sent)
		}
		if h.Pace < 0.2-1e-9 || h.Pace > 1 {
			t.Errorf("day %d: pace %g outside [floor 0.2, 1]", d, h.Pace)
		}
		if d > 0 {
			if prev := days[d-1].health.Pace; h.Pace > prev+0.2+1e-9 {
				t.Errorf("day %d: pace rose from %.2f to %.2f, more than recovery_step 0.2", d, prev, h.Pace)
			}
			// The caps of a day are the pace at its start times the caps.
			if limit := int(math.Max(1, math.Floor(100*days[d-1].health.Pace+1e-9))); d > 0 && g.sent > limit && h.Pace <= days[d-1].health.Pace {
				t.Errorf("day %d: sent %d at pace %.2f, above %d", d, g.sent, days[d-1].health.Pace, limit)
			}
		}
		if d < 5 && (h.Pace != 1 || g.sent != 100) {
			t.Errorf("day %d, healthy: pace %g, sent %d; want 1 and the cap 100", d, h.Pace, g.sent)
		}
		if firstDay < 0 && h.Pace < 1 {
			firstDay = d
		}
		if floorDay < 0 && h.Pace == 0.2 {
			floorDay = d
		}
	}
	// Weighted by age, the unanswered invitations of day 5 tell within
	// a day (the acceptance is judged at its 90% upper bound: the first
	// look of day 6 is sure of it); min_age (2 days) later they count
	// fully.
	if firstDay < 5 || firstDay > 6 || floorDay < firstDay || floorDay > 9 {
		t.Fatalf("the pace fell on day %d and reached the floor on day %d; want from day 5 or 6 (the invitations go ignored from day 5), the floor by day 9", firstDay, floorDay)
	}
	if h := days[floorDay].health; h.Signal != SignalAcceptance {
		t.Errorf("at the floor the signal is %q; want acceptance", h.Signal)
	}
	// The rolling week's cap is 0.2 x 700 = 140 now, and the week holds
	// more: nothing goes out until enough leave it.
	if g := days[floorDay+1]; g.sent != 0 || g.next.Reason != BlockSafety || !g.next.Until.After(start.AddDate(0, 0, floorDay+2)) {
		t.Errorf("the day after the floor: sent %d, next %+v; want none, held by %q until the week has room", g.sent, g.next, BlockSafety)
	}
	if last := days[len(days)-1].health; last.Pace != 1 || last.Signal != SignalNone {
		t.Errorf("after ten days of acceptances: %+v; want full pace", last)
	}
	if g := days[len(days)-1]; g.sent != 100 {
		t.Errorf("recovered: sent %d; want 100", g.sent)
	}
}

// TestGovernorDeclines: an account whose invitations are declined is
// throttled for its declines, and one with the governor disabled is
// measured the same but keeps its pace.
func TestGovernorDeclines(t *testing.T) {
	ans := func(day, n int) platform.EventType {
		switch n % 10 {
		case 0, 1, 2, 3:
			return platform.EventAccepted
		case 4, 5, 6:
			return platform.EventDeclined // 30%
		}
		return ""
	}
	on := govRun(t, govEngine(t, govConfig), noon.Truncate(24*time.Hour), 4, ans)
	h := on[3].health
	if h.Signal != SignalDeclines || h.Pace != 0.2 || h.Declines() < 0.3 {
		t.Errorf("governed: %+v (declines %.2f); want declines at the floor", h, h.Declines())
	}
	off := govRun(t, govEngine(t, strings.Replace(govConfig, "safety: {", "safety: {enabled: false, ", 1)), noon.Truncate(24*time.Hour), 4, ans)
	h = off[3].health
	if h.Signal != SignalDeclines || h.Score != 0 || h.Pace != 1 || h.Enabled || off[3].sent != 100 {
		t.Errorf("disabled: %+v, sent %d; want the same health, full pace, the cap sent", h, off[3].sent)
	}
}

// TestGovernorPending: invitations left pending past min_age pile up to
// pending_start of max_pending and beyond: the pending signal.
func TestGovernorPending(t *testing.T) {
	cfg := strings.Replace(govConfig, "max_pending: 5000", "max_pending: 400", 1)
	cfg = strings.Replace(cfg, "window: 40, min_sample: 20", "window: 1000, min_sample: 1000, pending_start: 0.3", 1) // acceptance never judged
	days := govRun(t, govEngine(t, cfg), noon.Truncate(24*time.Hour), 5, func(int, int) platform.EventType { return "" })
	h := days[4].health
	// The pending ceiling (400) withdraws the oldest: of the 400 pending,
	// half are 2 days old at the end of day 4, above pending_start 0.3.
	if h.Signal != SignalPending || h.Stale < 150 || h.Pace >= 1 || h.Pace <= 0.2 {
		t.Errorf("%+v; want throttled for the pending invitations", h)
	}
	if days[1].health.Pace != 1 {
		t.Errorf("day 1: %+v; nothing is 2 days old yet: want full pace", days[1].health)
	}
}

// TestGovernorSurvivesRestart: a throttled engine's snapshot restores the
// pace factor and the health it is derived from; the restored engine plans
// what the original plans.
func TestGovernorSurvivesRestart(t *testing.T) {
	start := noon.Truncate(24 * time.Hour)
	a := govEngine(t, govConfig)
	days := govRun(t, a, start, 14, turnsBadThenGood)
	h := days[13].health
	if h.Pace >= 1 || h.Pace <= 0.2 {
		t.Fatalf("before the restart: %+v; want a pace on its way back up", h)
	}
	var buf bytes.Buffer
	if err := a.Snapshot(&buf, start.AddDate(0, 0, 14)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"pace":`) {
		t.Error("the snapshot does not carry the pace factor")
	}
	b := govEngine(t, govConfig)
	if _, err := b.Restore(buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	if got, _ := b.Health("alice"); got.Pace != h.Pace {
		t.Errorf("restored pace %g; want %g", got.Pace, h.Pace)
	}
	// Both go on with the same answers; the original's gaps were drawn
	// already, so compare what each sends a day, not the minutes.
	later := func(day, n int) platform.EventType { return turnsBadThenGood(day+14, n) }
	da := govRun(t, a, start.AddDate(0, 0, 14), 4, later)
	db := govRun(t, b, start.AddDate(0, 0, 14), 4, later)
	for d := range da {
		ha, hb := da[d].health, db[d].health
		if ha.Pace != hb.Pace || ha.Stale != hb.Stale || abs(da[d].sent-db[d].sent) > 1 {
			t.Errorf("day %d after the restart: original sent %d %+v, restored sent %d %+v", d, da[d].sent, ha, db[d].sent, hb)
		}
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
