package pacing

import "time"

// WarmupStep is the weekly cap of a new account's first week of warm-up, and
// what each further week adds (docs/domain.md).
const WarmupStep = 20

// Warmup returns the weekly cap at time at of an account warming up since
// start: WarmupStep in the first week [start, start+7d), WarmupStep more each
// following week, never above cap. A zero start means no warm-up: cap.
// Before start the first week's cap applies. Weeks are 7x24h from start.
func Warmup(start time.Time, cap int, at time.Time) int {
	if start.IsZero() {
		return cap
	}
	weeks := 0
	if at.After(start) {
		weeks = int(at.Sub(start) / Week)
	}
	if weeks >= cap/WarmupStep { // also guards the multiplication
		return cap
	}
	return min(cap, WarmupStep*(weeks+1))
}

// NextRaise returns the first instant after at where warm-up raises the
// weekly cap of an account warming up since start towards cap (warm-up
// weeks are 7x24h from start); ok is false when the cap can no longer
// change.
func NextRaise(start time.Time, cap int, at time.Time) (time.Time, bool) {
	if start.IsZero() || Warmup(start, cap, at) >= cap {
		return time.Time{}, false
	}
	weeks := 0
	if at.After(start) {
		weeks = int(at.Sub(start) / Week)
	}
	return start.Add(time.Duration(weeks+1) * Week), true
}

// EffectiveDaily is the daily cap of an account whose weekly cap is
// weeklyCap but, warming up, may send only weekly this week: while warming
// up the day gets a fifth of the week (at least 1), so a ramp week of 20 is
// spread as 4 a day instead of 20 on the Monday; the daily cap is never
// above the week's. Unlimited stays Unlimited.
func EffectiveDaily(daily, weekly, weeklyCap int) int {
	if daily == Unlimited {
		return daily
	}
	if weekly < weeklyCap {
		daily = min(daily, max(1, weekly/5))
	}
	return min(daily, weekly)
}

// RulesFor computes the Rules of one account's request at time at: the
// weekly cap reduced by warm-up, the daily cap (EffectiveDaily) and
// the day and month windows in loc (nil: UTC), the minimum gap and the note
// allowance from l.
func RulesFor(l Limits, warmupStart time.Time, loc *time.Location, at time.Time) Rules {
	if loc == nil {
		loc = time.UTC
	}
	weekly := Warmup(warmupStart, l.Weekly, at)
	daily := EffectiveDaily(l.Daily, weekly, l.Weekly)
	lt := at.In(loc)
	day := time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, loc)
	month := time.Date(lt.Year(), lt.Month(), 1, 0, 0, 0, 0, loc)
	return Rules{
		Weekly:        weekly,
		Daily:         daily,
		DayStart:      day,
		DayEnd:        day.AddDate(0, 0, 1),
		MinGap:        l.MinGap,
		NotesPerMonth: l.NotesPerMonth,
		MonthStart:    month,
		MonthEnd:      month.AddDate(0, 1, 0),
	}
}
