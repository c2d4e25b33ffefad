package scheduler

import (
	"time"

	"github.com/outreach-scheduler/outreach/lifecycle"
	"github.com/outreach-scheduler/outreach/pacing"
	"github.com/outreach-scheduler/outreach/wire"
)

// Late tasks.
//
// Every task that acts on the platform carries NotAfter, the end of the
// working time (of the calendar it was planned in: the campaign's for
// invitations, follows and messages, the account's for withdrawals) that
// contains its time. A worker that gets it later, because workers were
// down or the queue was behind, does not perform it: it reports Denied
// with pacing.DenyHours and nothing reached the platform. Done then plans
// the action again in the next open period:
//
//   - an invitation goes back to the head of its queue under a new
//     attempt (a new key), like any denied invitation, and is planned at
//     the account's next slot;
//   - a follow goes back to the head of its queue, and the account's
//     follow planning is re-armed;
//   - a message is planned again at the next open time of its calendar
//     (it does not fail the prospect: nothing was refused);
//   - a withdrawal is planned again at the account's next open time.
//
// Follows, messages and withdrawals are planned again under the same key:
// the platform never saw it. The queue still holds the finished task of
// that key, so the caller replaces it (the worker marks the tasks it hands
// back: worker/daemon.MarkHandedBack; the leader replaces them,
// scheduler/daemon/enqueue.go). A repeated late outcome (at-least-once
// delivery) changes nothing once the prospect has moved on.

// notAfter is the NotAfter of a task planned at at in calendar cal.
func notAfter(cal pacing.Calendar, at time.Time) time.Time {
	end, ok := cal.OpenUntil(at)
	if !ok {
		return time.Time{}
	}
	return end
}

// isLate reports whether an outcome is a worker's hand-back of a task that
// came after its working time, or while its campaign or account was paused
// (pacing.DenyHeld: the same path; the paused engine plans nothing until
// the pause ends, see hold.go).
func isLate(o wire.Outcome) bool {
	return o.Kind == wire.Denied && pacing.HandedBack(o.Denial)
}

// late applies the hand-back of a follow, a message or a withdrawal (an
// invitation takes doneInvite's Denied path). It runs before done clears
// p.out, which tells the follow this engine planned from a repeat or from
// a follow another engine planned (replayed from the ledger, the prospect
// is still in its queue here).
func (e *Engine) late(a *account, c *campaign, ref Ref, t wire.Task, o wire.Outcome) {
	p := &c.ps[ref.Index]
	switch t.Kind {
	case wire.KindFollow:
		if !p.out || p.state != lifecycle.StateQueued {
			return
		}
		p.out = false
		if k := c.senderPos(a); k >= 0 && c.backlog[k] > 0 {
			c.backlog[k]--
		}
		if p.pin >= 0 {
			c.pinned[p.pin].pushFront(ref.Index)
		} else {
			c.shared.pushFront(ref.Index)
		}
		if r := e.rulesAt(a, t.At); r.DayStart.Equal(a.followDay) && a.followsDay > 0 {
			a.followsDay-- // the day's follow did not happen
		}
		e.armFollow(a, o.At)
	case wire.KindMessage:
		if p.state != lifecycle.StateAccepted || t.Step != int(p.msgStep) {
			return // a repeat: the step was sent since, or the prospect moved on
		}
		p.out = false
		e.pushTimer(timer{at: o.At.UnixNano(), kind: tmMessage, step: p.msgStep, acct: int16(a.idx), ref: ref})
	case wire.KindWithdraw:
		if p.state != lifecycle.StateInvited || p.acct != int16(a.idx) {
			return // answered or withdrawn meanwhile
		}
		p.out = false
		e.pushTimer(timer{at: o.At.UnixNano(), kind: tmWithdraw, acct: int16(a.idx), ref: ref})
	}
}

// lateRepeat reports whether a late invitation's outcome is a repeat: the
// prospect was planned again (a new attempt) since, or is no longer
// waiting for an invitation.
func (e *Engine) lateRepeat(c *campaign, ref Ref, t wire.Task) bool {
	p := &c.ps[ref.Index]
	if p.state != lifecycle.StateQueued && p.state != lifecycle.StateFollowed {
		return true
	}
	return t.Key != e.key(c, t.Person, "connect", p.attempt)
}

// messageAt is when a message whose timer is due at at goes out, planned
// at now: at itself, unless the working time containing at ended before
// now (the engine was rebuilt from the ledger after a stop, or the message
// was handed back late) or at is outside working time: then the next open
// time of cal.
func messageAt(cal pacing.Calendar, at, now time.Time) time.Time {
	t := at
	if at.Before(now) {
		if end, ok := cal.OpenUntil(at); ok && cal.Open(at) && now.Before(end) {
			return at // still within its working time: at once
		}
		t = now
	}
	if open, _, ok := cal.NextOpen(t); ok {
		return time.Unix(0, open.UnixNano()) // in the form of at, whichever the path
	}
	return at
}
