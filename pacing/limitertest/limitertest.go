// Package limitertest is the conformance suite of pacing.Limiter: every
// implementation (MemLimiter, RedisLimiter) runs the same subtests, in the
// style of river's riverdrivertest.
//
//	func TestMemLimiter(t *testing.T) {
//		limitertest.Run(t, func(t *testing.T) pacing.Limiter { return pacing.NewMemLimiter() })
//	}
package limitertest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/pacing"
)

// Run runs the suite. newLimiter is called once per subtest and must return
// an empty limiter of its own: subtests run in parallel (on Redis, give each
// one its own key prefix).
func Run(t *testing.T, newLimiter func(t *testing.T) pacing.Limiter) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.fn(&harness{T: t, l: newLimiter(t), ctx: t.Context()})
		})
	}
}

type testCase struct {
	name string
	fn   func(h *harness)
}

// cases is the suite; concurrency.go and random.go add to it.
var cases []testCase

func register(name string, fn func(h *harness)) {
	cases = append(cases, testCase{name: name, fn: fn})
}

// t0 is a Monday morning; days and months are UTC in the suite.
var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

const (
	day  = 24 * time.Hour
	week = pacing.Week
	msec = time.Millisecond
)

// caps returns rules with only a weekly cap.
func caps(weekly int) pacing.Rules {
	return pacing.Rules{Weekly: weekly, Daily: pacing.Unlimited, NotesPerMonth: pacing.Unlimited}
}

// inDay sets the daily cap and the UTC day of at.
func inDay(r pacing.Rules, daily int, at time.Time) pacing.Rules {
	r.Daily = daily
	r.DayStart = at.Truncate(day)
	r.DayEnd = r.DayStart.Add(day)
	return r
}

// inMonth sets the note allowance and the UTC month of at.
func inMonth(r pacing.Rules, notes int, at time.Time) pacing.Rules {
	r.NotesPerMonth = notes
	r.MonthStart = time.Date(at.Year(), at.Month(), 1, 0, 0, 0, 0, time.UTC)
	r.MonthEnd = r.MonthStart.AddDate(0, 1, 0)
	return r
}

type harness struct {
	*testing.T
	l   pacing.Limiter
	ctx context.Context
}

func (h *harness) try(acct, id string, at time.Time, note bool, r pacing.Rules) pacing.Decision {
	h.Helper()
	d, err := h.l.Reserve(h.ctx, pacing.Request{Account: acct, ID: id, At: at, Note: note, Rules: r})
	if err != nil {
		h.Fatalf("Reserve(%s/%s at %v): %v", acct, id, at, err)
	}
	return d
}

// grant reserves and wants a new grant.
func (h *harness) grant(acct, id string, at time.Time, note bool, r pacing.Rules) {
	h.Helper()
	if d := h.try(acct, id, at, note, r); !d.Granted || d.Existing || d.Denial != "" {
		h.Fatalf("Reserve(%s/%s at %v) = %+v, want a new grant", acct, id, at, d)
	}
}

// deny reserves and wants the denial with that RetryAt.
func (h *harness) deny(acct, id string, at time.Time, note bool, r pacing.Rules, want pacing.Denial, retry time.Time) {
	h.Helper()
	d := h.try(acct, id, at, note, r)
	if d.Granted || d.Denial != want || !d.RetryAt.Equal(retry) {
		h.Fatalf("Reserve(%s/%s at %v) = %+v, want denial %q with RetryAt %v", acct, id, at, d, want, retry)
	}
}

func (h *harness) usage(acct string, now time.Time, r pacing.Rules) pacing.Usage {
	h.Helper()
	u, err := h.l.Usage(h.ctx, acct, now, r)
	if err != nil {
		h.Fatalf("Usage(%s): %v", acct, err)
	}
	return u
}

func (h *harness) wantWeek(acct string, now time.Time, want int) {
	h.Helper()
	if got := h.usage(acct, now, pacing.Rules{}).Week; got != want {
		h.Fatalf("Usage(%s at %v).Week = %d, want %d", acct, now, got, want)
	}
}

func (h *harness) wantErr(what string, err, want error) {
	h.Helper()
	if !errors.Is(err, want) {
		h.Fatalf("%s: err = %v, want %v", what, err, want)
	}
}

func init() {
	register("WeeklyCap", func(h *harness) {
		r := caps(3)
		h.grant("a", "1", t0, false, r)
		h.grant("a", "2", t0.Add(time.Hour), false, r)
		h.grant("a", "3", t0.Add(2*time.Hour), false, r)
		h.deny("a", "4", t0.Add(3*time.Hour), false, r, pacing.DenyWeekly, t0.Add(week))
		h.deny("a", "4", t0.Add(week-msec), false, r, pacing.DenyWeekly, t0.Add(week))
		h.grant("a", "4", t0.Add(week), false, r)
		h.deny("a", "5", t0.Add(week), false, r, pacing.DenyWeekly, t0.Add(week+time.Hour))
	})

	// The week ending at t is (t-7d, t]: a send at t-7d+1ms counts, one at
	// exactly t-7d does not; likewise on the later side.
	register("WindowHalfOpen", func(h *harness) {
		r := caps(1)
		h.grant("a", "1", t0, false, r)
		h.wantWeek("a", t0, 1)
		h.wantWeek("a", t0.Add(week-msec), 1)
		h.wantWeek("a", t0.Add(week), 0)
		h.wantWeek("a", t0.Add(-msec), 0)
		h.deny("a", "2", t0.Add(week-msec), false, r, pacing.DenyWeekly, t0.Add(week))
		h.grant("a", "2", t0.Add(week), false, r)

		h.grant("b", "1", t0.Add(week-msec), false, r) // a worker ahead of us
		h.deny("b", "2", t0, false, r, pacing.DenyWeekly, t0.Add(2*week-msec))
		h.grant("c", "1", t0.Add(week), false, r)
		h.grant("c", "2", t0, false, r)

		// exactly 7 days apart: no week holds both, so t0 between them is fine
		h.grant("d", "1", t0.Add(4*day), false, caps(2))
		h.grant("d", "2", t0.Add(-3*day), false, caps(2))
		h.grant("d", "3", t0, false, caps(2))
		h.deny("d", "4", t0.Add(time.Hour), false, caps(2), pacing.DenyWeekly, t0.Add(week))
	})

	register("WeeklyRetryAtOldestBlocking", func(h *harness) {
		h.grant("a", "1", t0, false, caps(3))
		h.grant("a", "2", t0.Add(day), false, caps(3))
		h.grant("a", "3", t0.Add(2*day), false, caps(3))
		// the cap shrank to 2 (warm-up rules changed): two must leave
		h.deny("a", "4", t0.Add(3*day), false, caps(2), pacing.DenyWeekly, t0.Add(day+week))
		h.deny("a", "4", t0.Add(3*day), false, caps(1), pacing.DenyWeekly, t0.Add(2*day+week))
		h.deny("a", "4", t0.Add(3*day), false, caps(0), pacing.DenyWeekly, time.Time{})
		h.grant("a", "4", t0.Add(day+week), false, caps(2))
	})

	// Workers' clocks differ: sends later than t exist, and every week
	// containing t counts, not only (t-7d, t].
	register("WeeklyCountsLaterSends", func(h *harness) {
		r := caps(2)
		h.grant("a", "1", t0.Add(time.Hour), false, r)
		h.grant("a", "2", t0.Add(2*time.Hour), false, r)
		h.deny("a", "3", t0, false, r, pacing.DenyWeekly, t0.Add(week+time.Hour))

		// 12 days apart: no week holds both and t0, so t0 is fine
		// (the later sends first: a send at At trims sends older than
		// At - SendRetention)
		h.grant("b", "2", t0.Add(6*day), false, r)
		h.grant("b", "1", t0.Add(-6*day), false, r)
		h.grant("b", "3", t0, false, r)

		// 6 days apart: [t0-3d, t0+4d) would hold three
		h.grant("c", "2", t0.Add(3*day), false, r)
		h.grant("c", "1", t0.Add(-3*day), false, r)
		h.deny("c", "3", t0, false, r, pacing.DenyWeekly, t0.Add(4*day))
		h.grant("c", "3", t0.Add(4*day), false, r)
		h.deny("c", "4", t0.Add(-2*day), false, r, pacing.DenyWeekly, t0.Add(3*day+week))

		// the fullest week containing t0 starts at neither end: [t0-1d, t0+6d)
		for _, d := range []time.Duration{5 * day, 3 * day, -day, -6 * day} {
			h.grant("d", d.String(), t0.Add(d), false, caps(4))
		}
		h.deny("d", "x", t0, false, r2(caps(3), t0), pacing.DenyWeekly, t0.Add(6*day))
		h.grant("d", "x", t0, false, caps(4))
	})

	register("DailyCap", func(h *harness) {
		dayStart, dayEnd := t0.Truncate(day), t0.Truncate(day).Add(day)
		at := func(d time.Duration) (time.Time, pacing.Rules) {
			t := t0.Add(d)
			return t, inDay(caps(100), 2, t)
		}
		// the day before does not count
		t, r := at(-time.Hour - 9*time.Hour)
		h.grant("a", "0", t, false, r)
		h.grant("a", "00", dayStart.Add(-msec), false, inDay(caps(100), 2, dayStart.Add(-msec)))
		t, r = at(0)
		h.grant("a", "1", dayStart, false, r)
		h.grant("a", "2", t, false, r)
		t, r = at(time.Hour)
		h.deny("a", "3", t, false, r, pacing.DenyDaily, dayEnd)
		h.deny("a", "3", dayEnd.Add(-msec), false, inDay(caps(100), 2, dayEnd.Add(-msec)), pacing.DenyDaily, dayEnd)
		h.grant("a", "3", dayEnd, false, inDay(caps(100), 2, dayEnd))
		if u := h.usage("a", dayEnd, inDay(caps(100), 2, t0)); u.Day != 2 {
			h.Fatalf("Usage.Day = %d, want 2", u.Day)
		}
		h.deny("b", "1", t0, false, inDay(caps(100), 0, t0), pacing.DenyDaily, dayEnd)
	})

	register("GapBothSides", func(h *harness) {
		r := caps(100)
		r.MinGap = 10 * time.Minute
		h.grant("a", "1", t0, false, r)
		h.deny("a", "2", t0.Add(10*time.Minute-msec), false, r, pacing.DenyGap, t0.Add(10*time.Minute))
		h.deny("a", "2", t0.Add(-10*time.Minute+msec), false, r, pacing.DenyGap, t0.Add(10*time.Minute))
		h.grant("a", "2", t0.Add(-10*time.Minute), false, r) // exactly the gap, earlier side
		h.grant("a", "3", t0.Add(10*time.Minute), false, r)  // exactly the gap, later side
		// blocked by t0 and t0+10m: the first clear time is t0+20m
		h.deny("a", "4", t0.Add(5*time.Minute), false, r, pacing.DenyGap, t0.Add(20*time.Minute))
		h.grant("a", "4", t0.Add(20*time.Minute), false, r)
		r.MinGap = 0
		h.grant("b", "1", t0, false, r)
		h.grant("b", "2", t0, false, r) // no gap: the same millisecond is fine
	})

	register("NoteAllowance", func(h *harness) {
		r := inMonth(caps(100), 2, t0)
		h.grant("a", "1", t0, true, r)
		h.grant("a", "2", t0.Add(time.Hour), true, r)
		h.deny("a", "3", t0.Add(2*time.Hour), true, r, pacing.DenyNoteAllowance, time.Time{})
		h.grant("a", "3", t0.Add(2*time.Hour), false, r) // the blank fallback
		if u := h.usage("a", t0.Add(3*time.Hour), r); u.NotesMonth != 2 || u.Week != 3 {
			h.Fatalf("Usage = %+v, want NotesMonth 2, Week 3", u)
		}
		// the next month has its own allowance
		next := r.MonthEnd
		h.grant("a", "4", next, true, inMonth(caps(100), 2, next))
		// last month's notes do not count
		prev := r.MonthStart.Add(-msec)
		h.grant("b", "1", prev, true, inMonth(caps(100), 1, prev))
		h.grant("b", "2", r.MonthStart, true, inMonth(caps(100), 1, r.MonthStart))
		h.deny("c", "1", t0, true, inMonth(caps(100), 0, t0), pacing.DenyNoteAllowance, time.Time{})
		for i := range 10 {
			h.grant("d", string(rune('a'+i)), t0.Add(time.Duration(i)*time.Minute), true, caps(100))
		}
		if u := h.usage("d", t0.Add(time.Hour), inMonth(caps(100), 0, t0)); u.NotesMonth != 10 {
			h.Fatalf("Usage.NotesMonth = %d, want 10", u.NotesMonth)
		}
	})

	register("IdempotentReserve", func(h *harness) {
		r := caps(1)
		h.grant("a", "1", t0, false, r)
		for _, again := range []struct {
			at   time.Time
			note bool
			r    pacing.Rules
		}{
			{t0, false, r}, {t0.Add(time.Hour), true, caps(0)}, {t0.Add(-day), false, inMonth(caps(5), 0, t0)},
		} {
			if d := h.try("a", "1", again.at, again.note, again.r); !d.Granted || !d.Existing || d.Denial != "" {
				h.Fatalf("re-Reserve = %+v, want Granted and Existing", d)
			}
		}
		h.deny("a", "2", t0.Add(time.Hour), false, r, pacing.DenyWeekly, t0.Add(week))
		if err := h.l.Pause(h.ctx, "a", t0.Add(week)); err != nil {
			h.Fatal(err)
		}
		if d := h.try("a", "1", t0.Add(time.Hour), false, r); !d.Granted || !d.Existing {
			h.Fatalf("re-Reserve while paused = %+v, want Granted and Existing", d)
		}
		if u := h.usage("a", t0.Add(time.Hour), r); u.Week != 1 || u.NotesMonth != 0 || !u.Last.Equal(t0) {
			h.Fatalf("Usage = %+v, want one send at t0 and no note", u)
		}
	})

	register("ReleaseFreesSlotAndNote", func(h *harness) {
		r := inMonth(caps(1), 1, t0)
		h.grant("a", "1", t0, true, r)
		h.deny("a", "2", t0.Add(time.Minute), true, r, pacing.DenyWeekly, t0.Add(week))
		h.wantErr("Release", h.l.Release(h.ctx, "a", "1"), nil)
		h.wantErr("Release again", h.l.Release(h.ctx, "a", "1"), nil)
		h.wantErr("Release unknown", h.l.Release(h.ctx, "a", "nope"), nil)
		h.wantErr("Release unknown account", h.l.Release(h.ctx, "zz", "1"), nil)
		h.grant("a", "2", t0.Add(time.Minute), true, r)
		if u := h.usage("a", t0.Add(time.Minute), r); u.Week != 1 || u.NotesMonth != 1 || !u.Last.Equal(t0.Add(time.Minute)) {
			h.Fatalf("Usage = %+v, want only send 2", u)
		}
		// a released ID is forgotten: reserving it again is a new request
		h.deny("a", "1", t0.Add(2*time.Minute), false, r, pacing.DenyWeekly, t0.Add(time.Minute+week))
	})

	// A granted send that is not released (sent, or its outcome unknown)
	// counts until it leaves every window.
	register("GrantKeepsCounted", func(h *harness) {
		r := inMonth(caps(2), pacing.Unlimited, t0)
		h.grant("a", "1", t0, false, r)
		h.grant("a", "2", t0.Add(time.Minute), false, r)
		h.deny("a", "3", t0.Add(time.Hour), false, r, pacing.DenyWeekly, t0.Add(week))
		if u := h.usage("a", t0.Add(time.Hour), r); u.Week != 2 || !u.Last.Equal(t0.Add(time.Minute)) {
			h.Fatalf("Usage = %+v, want Week 2, Last %v", u, t0.Add(time.Minute))
		}
		h.deny("a", "3", t0.Add(week-msec), false, r, pacing.DenyWeekly, t0.Add(week))
		h.grant("a", "3", t0.Add(week), false, r)
		h.deny("a", "4", t0.Add(week), false, r, pacing.DenyWeekly, t0.Add(week+time.Minute))
		h.grant("a", "4", t0.Add(week+time.Minute), false, r)
	})

	register("Pause", func(h *harness) {
		r := caps(100)
		pause := func(until time.Time) {
			h.Helper()
			if err := h.l.Pause(h.ctx, "a", until); err != nil {
				h.Fatal(err)
			}
		}
		pause(t0.Add(2 * day))
		h.deny("a", "1", t0, false, r, pacing.DenyPaused, t0.Add(2*day))
		pause(t0.Add(day)) // shorter: no effect
		h.deny("a", "1", t0.Add(day), false, r, pacing.DenyPaused, t0.Add(2*day))
		pause(t0.Add(3 * day))
		h.deny("a", "1", t0.Add(3*day-msec), false, r, pacing.DenyPaused, t0.Add(3*day))
		if u := h.usage("a", t0, r); !u.PausedUntil.Equal(t0.Add(3 * day)) {
			h.Fatalf("Usage.PausedUntil = %v, want %v", u.PausedUntil, t0.Add(3*day))
		}
		h.grant("a", "1", t0.Add(3*day), false, r)
		if u := h.usage("a", t0.Add(3*day), r); !u.PausedUntil.IsZero() {
			h.Fatalf("Usage.PausedUntil = %v after the pause, want zero", u.PausedUntil)
		}
		h.grant("b", "1", t0, false, r) // only a is paused
	})

	register("DenialOrderAndRetryAt", func(h *harness) {
		r := inMonth(caps(1), 0, t0)
		r.MinGap = time.Hour
		h.grant("a", "1", t0, false, r)
		if err := h.l.Pause(h.ctx, "a", t0.Add(day)); err != nil {
			h.Fatal(err)
		}
		// paused, weekly, gap and notes refuse: the first is named, RetryAt
		// is the latest of the time rules
		h.deny("a", "2", t0.Add(time.Minute), true, r, pacing.DenyPaused, t0.Add(week))
		if err := h.l.Pause(h.ctx, "a", t0.Add(10*day)); err != nil {
			h.Fatal(err)
		}
		h.deny("a", "2", t0.Add(time.Minute), true, r, pacing.DenyPaused, t0.Add(10*day))
		h.deny("a", "2", t0.Add(10*day), true, r2(r, t0.Add(10*day)), pacing.DenyNoteAllowance, time.Time{})
		rr := inDay(caps(5), 1, t0.Add(time.Minute))
		rr.MinGap = 3 * time.Hour
		h.deny("a", "2", t0.Add(time.Minute), false, rr, pacing.DenyPaused, t0.Add(10*day))
		h.grant("b", "1", t0, false, rr)
		h.deny("b", "2", t0.Add(time.Minute), false, rr, pacing.DenyDaily, rr.DayEnd)
		rr.Daily = pacing.Unlimited
		h.deny("b", "2", t0.Add(time.Minute), false, rr, pacing.DenyGap, t0.Add(3*time.Hour))
		rr.Weekly = 0
		h.deny("b", "2", t0.Add(time.Minute), false, rr, pacing.DenyWeekly, time.Time{})
	})

	register("AccountsIndependent", func(h *harness) {
		r := inMonth(caps(1), 1, t0)
		h.grant("alice", "x", t0, true, r)
		h.grant("bob", "x", t0, true, r) // the same ID and time on another account
		if err := h.l.Pause(h.ctx, "alice", t0.Add(week)); err != nil {
			h.Fatal(err)
		}
		h.wantErr("Release", h.l.Release(h.ctx, "bob", "x"), nil)
		h.grant("bob", "y", t0.Add(time.Minute), true, r)
		h.deny("alice", "y", t0.Add(time.Minute), true, r, pacing.DenyPaused, t0.Add(week))
		if u := h.usage("alice", t0.Add(time.Hour), r); u.Week != 1 || !u.Last.Equal(t0) || u.NotesMonth != 1 || u.PausedUntil.IsZero() {
			h.Fatalf("alice: %+v", u)
		}
		if u := h.usage("bob", t0.Add(time.Hour), r); u.Week != 1 || !u.Last.Equal(t0.Add(time.Minute)) || u.NotesMonth != 1 || !u.PausedUntil.IsZero() {
			h.Fatalf("bob: %+v", u)
		}
		if u := h.usage("carol", t0, r); u != (pacing.Usage{}) {
			h.Fatalf("unknown account: %+v, want zero", u)
		}
	})
}

// r2 moves rules with a month and no day window to the month of at.
func r2(r pacing.Rules, at time.Time) pacing.Rules {
	return inMonth(r, r.NotesPerMonth, at)
}
