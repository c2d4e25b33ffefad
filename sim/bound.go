package sim

import (
	"time"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/pacing"
)

// Rules shared by the referee (CheckInvariants) and the capacity bound
// (CapacityBound), built on the same pacing functions as the engine.

// DailyCap returns account a's daily cap for an invitation at time at:
// pacing.EffectiveDaily of its daily cap under the weekly cap warm-up
// allows at that time (pacing.Warmup). While warm-up holds the weekly cap
// below Limits.Weekly, the day gets a fifth of the week (at least 1), so
// that 20 a week go out as 4 a day rather than 20 on the Monday; after
// warm-up an account keeps its own daily cap, even one set above
// Weekly/5. It is the rule pacing.RulesFor gives the engine's limiter.
// The result may be pacing.Unlimited.
func DailyCap(a *config.Account, at time.Time) int {
	return pacing.EffectiveDaily(a.Limits.Daily, pacing.Warmup(a.WarmupStart, a.Limits.Weekly, at), a.Limits.Weekly)
}

// CapacityBound returns the largest number of invitations account a can
// send in [start, end) for a campaign with schedule s (nil: the account's
// own working time), under its rolling-week cap (with warm-up), its daily
// cap (DailyCap, on calendar days of the account's zone), its working time
// (campaigns.Calendar) and its minimum gap. Whatever the engine does, it cannot
// send more; the utilization test requires it to reach at least 97% of this
// with ample prospects (the random jitter added to gaps is the engine's
// choice, not a constraint, so the bound ignores it).
//
// Prospects, replies, the pending ceiling (the engine can always withdraw
// to make room), the note allowance (blank invitations do not use it) and
// the connection cap do not limit the count and are ignored.
//
// The bound is computed greedily: each send at the earliest instant t at or
// after the previous send plus MinGap such that t is in working time, fewer
// than DailyCap(t) sends lie in t's calendar day, and fewer than the
// weekly cap at t lie in (t-7d, t]. Greedy is optimal, by an exchange
// argument: let g1 < g2 < ... be the greedy sends and f1 < f2 < ... any
// feasible schedule; then gk <= fk for every k. Suppose gi <= fi for i < k.
// fk is a feasible k-th send for the greedy history too: it is at least
// f(k-1)+MinGap >= g(k-1)+MinGap; working time does not depend on the
// history; and every greedy send counted in a window ending at fk (its day,
// or (fk-7d, fk]) has a partner fi >= gi that lies in the same window (gi is
// in the window and gi <= fi < fk), so the greedy history holds no more
// sends in any window than f's does, against the same caps (caps depend on
// time only). Greedy takes the earliest feasible instant, so gk <= fk. Every
// constraint is thus monotone in time: moving earlier sends earlier never
// makes a later instant infeasible. Hence greedy fits at least as many sends
// before end as any feasible schedule.
//
// Every window is half-open as in package pacing, so every "earliest
// instant" exists: a send leaves the rolling week exactly 7d after it, a day
// ends at the next local midnight, working time starts at its opening.
func CapacityBound(a *config.Account, s *campaigns.Schedule, start, end time.Time) int {
	return greedySends(a, s, start, end, nil, nil)
}

// greedySends runs the greedy schedule of CapacityBound, calling send (if
// not nil) with each send time. extra, if not nil, delays the search for
// the next send by its result after each send: the schedule stays
// feasible, no longer greedy (for tests).
func greedySends(a *config.Account, s *campaigns.Schedule, start, end time.Time, extra func() time.Duration, send func(time.Time)) int {
	cal := campaigns.Calendar(a, s)
	days := pacing.Calendar{Location: a.Location}
	var (
		sends       []time.Time // the greedy sends; those from index lo are in the rolling week
		lo          int
		dayEnd      time.Time // end of the calendar day of the latest candidate
		dayCount, n int       // sends in that day; sends in all
	)
	t := start
	for t.Before(end) {
		at, _, ok := cal.NextOpen(t)
		if !ok || !at.Before(end) {
			break
		}
		t = at
		if dayEnd.IsZero() || !t.Before(dayEnd) {
			_, dayEnd = days.Day(t)
			dayCount = 0
		}
		// Where to look next when a cap is reached: when it frees a send,
		// or when warm-up raises the caps, whichever comes first.
		raise, raises := pacing.NextRaise(a.WarmupStart, a.Limits.Weekly, t)
		wait := func(free time.Time) time.Time {
			if raises && raise.Before(free) {
				return raise
			}
			return free
		}
		if limit := DailyCap(a, t); limit != pacing.Unlimited && dayCount >= limit {
			t = wait(dayEnd)
			continue
		}
		cutoff := t.Add(-pacing.Week)
		for lo < len(sends) && !sends[lo].After(cutoff) {
			lo++
		}
		if w, inWeek := pacing.Warmup(a.WarmupStart, a.Limits.Weekly, t), len(sends)-lo; inWeek >= w {
			if w <= 0 {
				if !raises {
					break
				}
				t = raise
				continue
			}
			t = wait(sends[lo+inWeek-w].Add(pacing.Week))
			continue
		}
		if lo > 1024 && lo > len(sends)/2 {
			sends, lo = append(sends[:0], sends[lo:]...), 0
		}
		sends = append(sends, t)
		dayCount++
		n++
		if send != nil {
			send(t)
		}
		t = t.Add(a.Limits.MinGap)
		if extra != nil {
			t = t.Add(extra())
		}
	}
	return n
}
