package scheduler

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/lifecycle"
	"github.com/outreach-scheduler/outreach/pacing"
	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/platform/sandbox"
	"github.com/outreach-scheduler/outreach/wire"
	"github.com/outreach-scheduler/outreach/worker"
)

var stripNotAfter = false

// LateRun is what driveRun (and RunWithOutages) returns.
type LateRun struct {
	Ledger  []wire.Entry   // every task with a known outcome, every platform event, in order
	Model   *sandbox.Model // the platform: its Record is the referee
	Events  []wire.Event   // the platform's answers
	Late    []wire.Task    // the tasks handed back (Denied, pacing.DenyHours), in order
	Held    []wire.Task    // the tasks held by a pause (Denied, pacing.DenyHeld), in order
	Lifecyc []Event        // the engine's lifecycle events
}

// RunWithOutages is driveRun with the workers down whenever down(now)
// holds. Exported for the external test (late_ext_test.go).
func RunWithOutages(t testing.TB, cfg *config.Config, cs []*campaigns.Campaign, srcs map[string]Source, start time.Time, days int, down func(time.Time) bool) LateRun {
	t.Helper()
	return driveRun(t, cfg, cs, srcs, start, days, driveOptions{down: down})
}

// outages: the workers are down across the end of working periods of
// snapWorld (alice 09:00-18:00 UTC, bob 09:00-18:00 Paris) and into the
// next ones: on some evenings from 16:40 UTC to 08:50 UTC the next
// morning, on some days from 07:00 UTC to 09:30 UTC the next day (a whole
// working day, when bob follows), and over the second weekend.
func outages(start time.Time) func(time.Time) bool {
	type span struct{ from, to time.Duration } // from the start
	day, hm := 24*time.Hour, func(h, m int) time.Duration { return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute }
	spans := []span{
		{1*day + hm(16, 40), 2*day + hm(8, 50)},  // Tuesday evening
		{3*day + hm(7, 0), 4*day + hm(9, 30)},    // all Thursday
		{8*day + hm(16, 40), 9*day + hm(8, 50)},  // Tuesday evening
		{11*day + hm(17, 0), 14*day + hm(10, 0)}, // the weekend, into Monday
		{16*day + hm(7, 0), 17*day + hm(9, 30)},  // all Wednesday
		{17*day + hm(16, 40), 18*day + hm(8, 50)},
	}
	return func(now time.Time) bool {
		d := now.Sub(start)
		for _, s := range spans {
			if d >= s.from && d < s.to {
				return true
			}
		}
		return false
	}
}

// TestSnapshotBehavesAsFullReplayWithLateTasks is
// TestSnapshotBehavesAsFullReplay over a ledger where workers were down
// across the ends of working periods, so that it holds tasks of every kind
// handed back late: restored from a snapshot at any point and given the
// rest, an engine plans what the engine given the whole ledger plans.
func TestSnapshotBehavesAsFullReplayWithLateTasks(t *testing.T) {
	cfg, cs, sources := snapWorld(t)
	start := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	run := RunWithOutages(t, cfg, cs, sources(), start, 21, outages(start))
	var late [6]int
	for _, tk := range run.Late {
		late[tk.Kind]++
	}
	if !stripNotAfter && (late[wire.KindInvite] == 0 || late[wire.KindMessage] == 0 || late[wire.KindFollow] == 0 || late[wire.KindWithdraw] == 0) {
		t.Fatalf("the outages did not make every kind of task late: %v", late)
	}
	ledger := run.Ledger
	for _, cut := range []int{1, len(ledger) / 4, len(ledger) / 2, 3 * len(ledger) / 4, len(ledger)} {
		t.Run(fmt.Sprint("cut", cut), func(t *testing.T) {
			newEngine := func(seed uint64) *Engine {
				e, err := New(Options{Config: cfg, Campaigns: cs, Sources: sources(), Seed: seed})
				if err != nil {
					t.Fatal(err)
				}
				return e
			}
			full := newEngine(7)
			replayAll(t, full, ledger)
			before := newEngine(99)
			replayAll(t, before, ledger[:cut])
			var buf bytes.Buffer
			if err := before.Snapshot(&buf, entryTime(ledger[cut-1])); err != nil {
				t.Fatal(err)
			}
			restored := newEngine(7)
			if _, err := restored.Restore(buf.Bytes()); err != nil {
				t.Fatal(err)
			}
			replayAll(t, restored, ledger[cut:])
			lockstepMs(t, cfg, full, restored, start.AddDate(0, 0, 21), 14)
		})
	}
}

// lockstepMs is lockstep comparing times to the millisecond, rounded up:
// a snapshot keeps times as milliseconds (when invited, accepted), so a
// message planned a day after an acceptance at 13:26:42.062181754 is
// planned at .063 by the restored engine.
func lockstepMs(t *testing.T, cfg *config.Config, a, b *Engine, from time.Time, days int) {
	t.Helper()
	sbOpt, err := sandbox.OptionsFromConfig(cfg, 5)
	if err != nil {
		t.Fatal(err)
	}
	model := sandbox.New(sbOpt)
	d := &worker.Deliverer{Limiter: pacing.NewMemLimiter(), Platform: model, Rules: worker.ConfigRules(cfg), RestrictionPause: time.Hour}
	ms := func(x time.Time) int64 { return int64(msCeil(x.UnixNano())) }
	same := func(x, y wire.Task) bool {
		if ms(x.At) != ms(y.At) || ms(x.NotAfter) != ms(y.NotAfter) {
			return false
		}
		x.At, y.At, x.NotAfter, y.NotAfter = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		return x == y
	}
	var queue []wire.Task
	planned := 0
	for now, end := from, from.AddDate(0, 0, days); now.Before(end); now = now.Add(time.Minute) {
		for _, ev := range model.Advance(now) {
			if err := errors.Join(a.Observe(ev), b.Observe(ev)); err != nil {
				t.Fatal(err)
			}
		}
		pa, pb := slices.Clone(a.Plan(now)), slices.Clone(b.Plan(now))
		byKey := func(x, y wire.Task) int { return strings.Compare(x.Key, y.Key) }
		slices.SortFunc(pa, byKey)
		slices.SortFunc(pb, byKey)
		if !slices.EqualFunc(pa, pb, same) {
			t.Fatalf("at %s the engines plan differently after %d tasks:\nfull replay:\n  %+v\nsnapshot:\n  %+v", now, planned, pa, pb)
		}
		planned += len(pa)
		queue = append(queue, pa...)
		slices.SortStableFunc(queue, func(x, y wire.Task) int { return x.At.Compare(y.At) })
		for len(queue) > 0 && !queue[0].At.After(now) {
			tk := queue[0]
			queue = queue[1:]
			o, err := d.Do(context.Background(), tk, tk.At)
			if err != nil {
				t.Fatal(err)
			}
			if err := errors.Join(a.Done(tk, o), b.Done(tk, o)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if planned < 100 {
		t.Fatalf("only %d tasks planned in %d days: the comparison says little", planned, days)
	}
}

// lateWorld is one account working 09:00-18:00 UTC on weekdays, with one
// campaign of a follow, a connect and two messages, one prospect.
func lateWorld(t *testing.T) (*Engine, *[]Event) {
	t.Helper()
	cfg, cs := testWorld(t, `
defaults:
  min_gap: 1m
  jitter: 0
  days: [mon, tue, wed, thu, fri]
  hours: "09:00-18:00"
  withdraw_after: 2d
accounts:
  - id: alice
    tier: premium
    limits: {weekly: 1000, daily: 200, max_pending: 1000}
`, `
name: c
accounts: [alice]
prospects: {csv: none.csv}
steps:
  - follow: {}
    wait: 1h
  - connect: {}
  - message:
      wait: 1h
      text: "Thanks {{.first_name}}"
`)
	var evs []Event
	e, err := New(Options{Config: cfg, Campaigns: cs, Sources: map[string]Source{"c": &Synthetic{Prefix: "p", N: 1}}, Seed: 1,
		OnEvent: func(ev Event) { evs = append(evs, ev) }})
	if err != nil {
		t.Fatal(err)
	}
	return e, &evs
}

// planOne plans at now and returns the only task.
func planOne(t *testing.T, e *Engine, now time.Time, kind wire.Kind) wire.Task {
	t.Helper()
	ts := e.Plan(now)
	if len(ts) != 1 || ts[0].Kind != kind {
		t.Fatalf("at %s: planned %v, want one %s", now, ts, kind)
	}
	return ts[0]
}

// firstPlanned plans minute by minute from now until a task comes.
func firstPlanned(t *testing.T, e *Engine, now time.Time, kind wire.Kind) wire.Task {
	t.Helper()
	for end := now.AddDate(0, 0, 7); now.Before(end); now = now.Add(time.Minute) {
		if ts := e.Plan(now); len(ts) > 0 {
			if len(ts) != 1 || ts[0].Kind != kind {
				t.Fatalf("at %s: planned %+v, want one %s", now, ts, kind)
			}
			return ts[0]
		}
	}
	t.Fatalf("no %s planned within a week of %s", kind, now)
	return wire.Task{}
}

// TestLateTasksArePlannedAgain walks one prospect through every kind of
// task, each handed back late once (and its hand-back repeated, as
// at-least-once delivery may): each carries NotAfter, the end of its
// working period; each is planned again in the next one (the invitation
// under a new key, the others under the same); a late message does not
// fail the prospect; a repeated hand-back changes nothing.
func TestLateTasksArePlannedAgain(t *testing.T) {
	e, evs := lateWorld(t)
	mon := time.Date(2026, 11, 2, 17, 58, 0, 0, time.UTC) // Monday, two minutes before the end
	closeMon := time.Date(2026, 11, 2, 18, 0, 0, 0, time.UTC)
	tue := time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)
	lateAt := closeMon.Add(7 * time.Minute) // the workers come back at 18:07

	handBack := func(tk wire.Task, at time.Time) {
		t.Helper()
		o := wire.Outcome{Kind: wire.Denied, At: at, Denial: pacing.DenyHours}
		for range 2 { // the second is a repeat
			if err := e.Done(tk, o); err != nil {
				t.Fatal(err)
			}
		}
	}
	deliver := func(tk wire.Task) {
		t.Helper()
		if err := e.Done(tk, wire.Outcome{Kind: wire.Delivered, At: tk.At}); err != nil {
			t.Fatal(err)
		}
	}
	checkWindow := func(tk wire.Task, open time.Time) {
		t.Helper()
		if tk.At.Before(open) || !tk.At.Before(open.Add(9*time.Hour)) {
			t.Fatalf("%s planned at %s, want within the working period from %s", tk.Kind, tk.At, open)
		}
		if want := open.Add(9 * time.Hour); !tk.NotAfter.Equal(want) {
			t.Fatalf("%s NotAfter %s, want %s (the end of its period)", tk.Kind, tk.NotAfter, want)
		}
	}

	// Follow.
	f := planOne(t, e, mon, wire.KindFollow)
	checkWindow(f, mon.Add(-8*time.Hour-58*time.Minute))
	handBack(f, lateAt)
	if ts := e.Plan(lateAt); len(ts) != 0 {
		t.Fatalf("planned outside working hours: %+v", ts)
	}
	f2 := firstPlanned(t, e, lateAt, wire.KindFollow)
	checkWindow(f2, tue)
	if f2.Key != f.Key {
		t.Errorf("the follow planned again under key %s, want the same %s", f2.Key, f.Key)
	}
	deliver(f2)

	// Invitation, an hour after the follow.
	in := firstPlanned(t, e, f2.At, wire.KindInvite)
	tueClose := tue.Add(9 * time.Hour)
	handBack(in, tueClose.Add(time.Hour))
	in2 := firstPlanned(t, e, tueClose.Add(time.Hour), wire.KindInvite)
	checkWindow(in2, tue.AddDate(0, 0, 1))
	if in2.Key == in.Key {
		t.Errorf("the invitation planned again under the same key %s: a denied key keeps its answer", in.Key)
	}
	deliver(in2)
	if err := e.Observe(wire.Event{Type: platform.EventAccepted, Account: "alice", Person: in2.Person, Key: in2.Key, At: in2.At.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}

	// Message, an hour after the acceptance: handed back twice in a row.
	m := firstPlanned(t, e, in2.At, wire.KindMessage)
	wed := tue.AddDate(0, 0, 1)
	checkWindow(m, wed)
	handBack(m, wed.Add(9*time.Hour+time.Minute))
	m2 := firstPlanned(t, e, wed.Add(9*time.Hour+time.Minute), wire.KindMessage)
	checkWindow(m2, wed.AddDate(0, 0, 1))
	if m2.Key != m.Key || m2.Step != 0 {
		t.Errorf("the message planned again as %s step %d, want %s step 0", m2.Key, m2.Step, m.Key)
	}
	fri := wed.AddDate(0, 0, 2)
	handBack(m2, fri.Add(-time.Minute)) // Thursday 23:59: late again
	m3 := firstPlanned(t, e, fri.Add(-time.Minute), wire.KindMessage)
	checkWindow(m3, fri)
	deliver(m3)
	st, _ := e.State("c", in.Person)
	if st != lifecycle.StateMessaged {
		t.Errorf("after the late message was delivered the prospect is %s, want messaged", st)
	}
	for _, ev := range *evs {
		if ev.Type == lifecycle.EvFailed {
			t.Errorf("a late task failed the prospect: %+v", ev)
		}
	}
	var messaged int
	for _, ev := range *evs {
		if ev.Type == lifecycle.EvMessaged {
			messaged++
		}
	}
	if messaged != 1 {
		t.Errorf("%d messaged events, want 1", messaged)
	}
}

// TestLateWithdrawalIsPlannedAgain: a withdrawal that comes after its
// working period is planned again at the account's next open time, under
// the same key, and a repeated hand-back plans nothing more.
func TestLateWithdrawalIsPlannedAgain(t *testing.T) {
	cfg, cs := testWorld(t, `
defaults:
  min_gap: 1m
  jitter: 0
  days: [mon, tue, wed, thu, fri]
  hours: "09:00-18:00"
  withdraw_after: 1d
accounts:
  - id: alice
    tier: premium
    limits: {weekly: 1000, daily: 200, max_pending: 1000}
`, blankCampaign)
	e, err := New(Options{Config: cfg, Campaigns: cs, Sources: map[string]Source{"c": &Synthetic{Prefix: "p", N: 1}}, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	mon := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	in := firstPlanned(t, e, mon, wire.KindInvite)
	if err := e.Done(in, wire.Outcome{Kind: wire.Delivered, At: in.At}); err != nil {
		t.Fatal(err)
	}
	w := firstPlanned(t, e, in.At, wire.KindWithdraw)
	if !w.NotAfter.Equal(time.Date(2026, 11, 3, 18, 0, 0, 0, time.UTC)) {
		t.Fatalf("withdrawal at %s NotAfter %s, want Tuesday 18:00", w.At, w.NotAfter)
	}
	back := time.Date(2026, 11, 3, 20, 0, 0, 0, time.UTC)
	for range 2 {
		if err := e.Done(w, wire.Outcome{Kind: wire.Denied, At: back, Denial: pacing.DenyHours}); err != nil {
			t.Fatal(err)
		}
	}
	w2 := firstPlanned(t, e, back, wire.KindWithdraw)
	if want := time.Date(2026, 11, 4, 9, 0, 0, 0, time.UTC); !w2.At.Equal(want) || w2.Key != w.Key {
		t.Fatalf("withdrawal planned again at %s key %s, want %s key %s", w2.At, w2.Key, want, w.Key)
	}
	for now := back; now.Before(back.AddDate(0, 0, 3)); now = now.Add(time.Minute) {
		if ts := e.Plan(now); len(ts) > 0 {
			t.Fatalf("at %s planned %+v after the withdrawal was planned again", now, ts)
		}
	}
}
