package scheduler

import (
	"time"
)

// Operator pauses ("holds" inside the engine, to tell them from the
// account pauses the platform's refusals cause, account.pausedUntil).
//
// A paused campaign plans no invitation, follow or message; a paused
// account plans none for any of its campaigns, and with Hold.All no
// withdrawal either. Expiries (no platform call) and the platform's events
// go on: they record what happened, they send nothing. Nothing is dropped:
// a prospect stays in its queue, a due message or withdrawal waits (parked)
// and is planned again when the pause ends, at once if still in working
// time, else at the next open time. The caps and the minimum gap apply to
// what comes after as to anything else, so a resume never bursts: the
// account's gaps are drawn from the moment it may send again.
//
// The engine learns the pauses from SetHolds (the daemon reads them from
// Redis on every tick; the simulator from the files). A task already
// handed out when a pause begins is handed back by the worker
// (pacing.DenyHeld) and takes the late path (late.go).

// Hold is an operator's pause of a campaign or an account.
type Hold struct {
	// Until is when the pause ends by itself; zero: when resumed.
	Until time.Time
	// All holds an account's withdrawals too (accounts only).
	All bool
}

// Holds are the paused campaigns (by name) and accounts (by ID). Names the
// engine does not know are ignored.
type Holds struct {
	Campaigns map[string]Hold
	Accounts  map[string]Hold
}

// holdState is a campaign's or an account's hold in the engine.
type holdState struct {
	on   bool
	hold Hold
}

// at reports whether the hold applies at t.
func (h holdState) at(t time.Time) bool {
	return h.on && (h.hold.Until.IsZero() || t.Before(h.hold.Until))
}

// forever reports whether the hold applies at t and has no end.
func (h holdState) forever(t time.Time) bool { return h.at(t) && h.hold.Until.IsZero() }

// SetHolds replaces the engine's pauses with h, as of now. Whatever a
// pause that ended (or was shortened) held back is planned again: the
// accounts concerned are woken at now and the parked timers pushed again.
func (e *Engine) SetHolds(h Holds, now time.Time) {
	released := false
	for _, c := range e.camps {
		next := holdState{}
		if v, ok := h.Campaigns[c.c.Name]; ok {
			next = holdState{on: true, hold: v}
		}
		if releases(c.hold, next, now) {
			released = true
			for _, a := range c.senders {
				e.wake(a, now)
				e.armFollow(a, now)
			}
		}
		c.hold = next
	}
	for _, a := range e.accounts {
		next := holdState{}
		if v, ok := h.Accounts[a.cfg.ID]; ok {
			next = holdState{on: true, hold: v}
		}
		if releases(a.hold, next, now) {
			released = true
			e.wake(a, now)
			e.armFollow(a, now)
		}
		a.hold = next
	}
	if released {
		for _, tm := range e.parked {
			tm.at = now.UnixNano()
			e.pushTimer(tm)
		}
		e.parked = e.parked[:0]
	}
}

// releases reports whether going from prev to next lets something through
// that prev held: prev held at now and next does not, or next ends
// earlier, or next lets withdrawals through that prev held.
func releases(prev, next holdState, now time.Time) bool {
	switch {
	case !prev.at(now):
		return false
	case !next.at(now):
		return true
	case prev.hold.All && !next.hold.All:
		return true
	}
	return !next.hold.Until.IsZero() && (prev.hold.Until.IsZero() || next.hold.Until.Before(prev.hold.Until))
}

// holdEnd is when the holds that apply at t end: held false when none
// applies, a zero end when one lasts until resumed.
func holdEnd(t time.Time, hs ...holdState) (end time.Time, held bool) {
	for _, h := range hs {
		if !h.at(t) {
			continue
		}
		if h.hold.Until.IsZero() {
			return time.Time{}, true
		}
		held = true
		if h.hold.Until.After(end) {
			end = h.hold.Until
		}
	}
	return end, held
}

// park keeps a due timer that a hold stops at now: it fires again when the
// hold ends (at its Until, or when SetHolds releases it).
func (e *Engine) park(tm timer, now time.Time, hs ...holdState) bool {
	end, held := holdEnd(now, hs...)
	if !held {
		return false
	}
	if end.IsZero() {
		e.parked = append(e.parked, tm)
		return true
	}
	tm.at = end.UnixNano()
	e.pushTimer(tm)
	return true
}

// allHeld reports whether no campaign of account a may invite at t for good
// (until a resume): the account or every one of its campaigns is held
// without an end.
func (a *account) allHeld(t time.Time) bool {
	if a.hold.forever(t) {
		return true
	}
	for _, c := range a.camps {
		if !c.hold.forever(t) {
			return false
		}
	}
	return len(a.camps) > 0
}
