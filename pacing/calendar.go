package pacing

import (
	"fmt"
	"strings"
	"time"
)

// Weekdays is a set of days of the week: bit d is set when time.Weekday d
// is in the set.
type Weekdays uint8

// Common sets of days.
const (
	WorkWeek Weekdays = 1<<time.Monday | 1<<time.Tuesday | 1<<time.Wednesday | 1<<time.Thursday | 1<<time.Friday
	AllWeek  Weekdays = WorkWeek | 1<<time.Saturday | 1<<time.Sunday
)

// WeekdaysOf returns the set holding days.
func WeekdaysOf(days ...time.Weekday) Weekdays {
	var w Weekdays
	for _, d := range days {
		w = w.With(d)
	}
	return w
}

// Has reports whether d is in the set.
func (w Weekdays) Has(d time.Weekday) bool { return d >= 0 && d < 7 && w&(1<<d) != 0 }

// With returns the set with d added.
func (w Weekdays) With(d time.Weekday) Weekdays { return w | 1<<d }

// String lists the days as "mon,tue".
func (w Weekdays) String() string {
	var parts []string
	for _, d := range []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday} {
		if w.Has(d) {
			parts = append(parts, strings.ToLower(d.String()[:3]))
		}
	}
	return strings.Join(parts, ",")
}

// Calendar is an account's working time: working days and hours in its time
// zone. Hours are wall-clock times, so "09:00-18:00" stays 09:00-18:00 local
// across daylight-saving changes (a working day may then last an hour more or
// less in real time).
type Calendar struct {
	Location *time.Location // nil means UTC
	Days     Weekdays       // working days
	Start    time.Duration  // start of working hours, from local midnight (wall clock)
	End      time.Duration  // end of working hours, at most 24h; Start < End
}

func (c Calendar) loc() *time.Location {
	if c.Location == nil {
		return time.UTC
	}
	return c.Location
}

// Validate reports a calendar that can never be open.
func (c Calendar) Validate() error {
	switch {
	case c.Days&AllWeek == 0:
		return fmt.Errorf("no working days")
	case c.Start < 0 || c.End > 24*time.Hour || c.Start >= c.End:
		return fmt.Errorf("working hours %s-%s are empty", clock(c.Start), clock(c.End))
	}
	return nil
}

// wall returns the instant of the wall-clock offset off on the local date
// (y, m, d). Offsets of 24h give the next midnight; wall times skipped by a
// daylight-saving jump are moved forward, as time.Date does.
func (c Calendar) wall(y int, m time.Month, d int, off time.Duration) time.Time {
	h := int(off / time.Hour)
	min := int(off % time.Hour / time.Minute)
	sec := int(off % time.Minute / time.Second)
	return time.Date(y, m, d, h, min, sec, 0, c.loc())
}

// Day returns the calendar day in the account's zone that contains t, as
// [start, end): local midnight to the next local midnight (23 or 25 hours on
// daylight-saving days).
func (c Calendar) Day(t time.Time) (start, end time.Time) {
	y, m, d := t.In(c.loc()).Date()
	return c.wall(y, m, d, 0), c.wall(y, m, d+1, 0)
}

// Month returns the calendar month in the account's zone that contains t.
func (c Calendar) Month(t time.Time) (start, end time.Time) {
	y, m, _ := t.In(c.loc()).Date()
	return time.Date(y, m, 1, 0, 0, 0, 0, c.loc()), time.Date(y, m+1, 1, 0, 0, 0, 0, c.loc())
}

// period returns the working period of the local date containing t, and
// whether that date is a working day.
func (c Calendar) period(t time.Time) (from, to time.Time, ok bool) {
	lt := t.In(c.loc())
	y, m, d := lt.Date()
	if !c.Days.Has(lt.Weekday()) {
		return time.Time{}, time.Time{}, false
	}
	return c.wall(y, m, d, c.Start), c.wall(y, m, d, c.End), true
}

// Open reports whether t is within working time.
func (c Calendar) Open(t time.Time) bool {
	from, to, ok := c.period(t)
	return ok && !t.Before(from) && t.Before(to)
}

// NextOpen returns the earliest instant at or after t within working time,
// and the end of that working period. ok is false when the calendar is never
// open.
func (c Calendar) NextOpen(t time.Time) (at, periodEnd time.Time, ok bool) {
	if c.Validate() != nil {
		return time.Time{}, time.Time{}, false
	}
	day := t
	for i := 0; i < 9; i++ {
		from, to, work := c.period(day)
		if work && t.Before(to) {
			if t.Before(from) {
				return from, to, true
			}
			return t, to, true
		}
		_, next := c.Day(day)
		day = next
	}
	return time.Time{}, time.Time{}, false
}

// clock formats an offset from midnight as HH:MM.
func clock(d time.Duration) string {
	return fmt.Sprintf("%02d:%02d", int(d/time.Hour), int(d%time.Hour/time.Minute))
}
