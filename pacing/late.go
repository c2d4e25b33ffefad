package pacing

import "time"

// DenyHours is the worker's denial of a task that reached it after the end
// of the working period it was planned in (wire.Task.NotAfter): workers
// were down, or the queue was behind. Nothing was reserved nor sent; the
// planner plans the action again in the next open period. It is not one of
// Reserve's rules: the worker checks it before reserving.
const DenyHours Denial = "hours"

// DenyHeld is the worker's denial of a task whose campaign or account an
// operator paused (outreach pause, or paused: in a file) when it reached
// the worker. Like DenyHours, nothing was reserved nor sent, and the
// planner plans the action again once the pause ends.
const DenyHeld Denial = "held"

// Denials are every Denial, in a fixed order: Reserve's rules, then the
// worker's hand-backs. The label values of outreach_limit_waits_total
// derive from them.
var Denials = []Denial{DenyWeekly, DenyDaily, DenyGap, DenyPaused, DenyNoteAllowance, DenyHours, DenyHeld}

// HandedBack reports whether d is a worker's hand-back of a task it did not
// perform (DenyHours, DenyHeld) rather than one of Reserve's rules.
func HandedBack(d Denial) bool { return d == DenyHours || d == DenyHeld }

// maxOpenSpan bounds how far OpenUntil follows working periods that touch:
// a calendar open around the clock every day is open "until" a week and a
// day later, which is as good as no limit for a queued task.
const maxOpenSpan = 8

// OpenUntil returns the end of the working time that starts at or contains
// t: the end of the working period NextOpen(t) finds, carried over the
// periods that begin exactly when the previous one ends ("00:00-24:00" on
// consecutive days is one stretch, not one period a day), for at most
// eight periods. ok is false when the calendar is never open.
func (c Calendar) OpenUntil(t time.Time) (end time.Time, ok bool) {
	_, end, ok = c.NextOpen(t)
	if !ok {
		return time.Time{}, false
	}
	for range maxOpenSpan - 1 {
		next, to, ok := c.NextOpen(end)
		if !ok || !next.Equal(end) {
			break
		}
		end = to
	}
	return end, true
}
