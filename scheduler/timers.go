package scheduler

import (
	"time"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/lifecycle"
	"github.com/outreach-scheduler/outreach/wire"
)

// Kinds of dated work.
const (
	tmRequeue  uint8 = iota + 1 // a prospect's cooldown ended: queue it again
	tmMessage                   // a message step is due
	tmWithdraw                  // an invitation reaches withdraw_after
	tmExpire                    // an invitation reaches expire_after
	tmFollow                    // the account may follow again
)

type timer struct {
	at   int64 // unix ns
	kind uint8
	step uint8 // tmMessage: the message step it is for
	acct int16
	ref  Ref
	seq  uint64
}

// timerLess orders timers by time, then by the order they were set.
func timerLess(a, b timer) bool {
	if a.at != b.at {
		return a.at < b.at
	}
	return a.seq < b.seq
}

func (e *Engine) pushTimer(t timer) {
	e.seq++
	t.seq = e.seq
	e.timers.Push(t)
}

// fire turns a due timer into tasks or state changes.
func (e *Engine) fire(tm timer, now time.Time, tasks []wire.Task) []wire.Task {
	a := e.accounts[tm.acct]
	switch tm.kind {
	case tmRequeue:
		c := e.camps[tm.ref.Campaign]
		p := &c.ps[tm.ref.Index]
		if p.state == lifecycle.StateFollowed && !p.out {
			k := c.senderPos(a)
			c.followed[k].pushFront(tm.ref.Index)
			c.backlog[k]++
			e.wake(a, now)
		} else if p.state == lifecycle.StateQueued && !p.out {
			if p.pin >= 0 {
				c.pinned[p.pin].pushFront(tm.ref.Index)
			} else {
				c.shared.pushFront(tm.ref.Index)
			}
			e.wake(a, now)
		}
	case tmMessage:
		tasks = e.messageTask(a, tm, now, tasks)
	case tmWithdraw:
		c := e.camps[tm.ref.Campaign]
		p := &c.ps[tm.ref.Index]
		if withdrawDue(p, tm.acct) {
			at := maxTime(time.Unix(0, tm.at), now)
			if a.hold.hold.All && e.park(tm, at, a.hold) {
				break // the account's pause holds its withdrawals too
			}
			tasks = append(tasks, e.withdrawTask(a, c, tm.ref, at))
		}
	case tmExpire:
		c := e.camps[tm.ref.Campaign]
		p := &c.ps[tm.ref.Index]
		if p.state == lifecycle.StateInvited && !p.out && p.acct == tm.acct {
			// The platform did not report it: expire on our own clock,
			// through a task whose outcome the ledger records (Done).
			p.out = true
			key := c.src.Key(int(tm.ref.Index))
			tasks = append(tasks, e.issue(tm.ref, wire.Task{
				Kind: wire.KindExpire, At: time.Unix(0, tm.at), Account: a.cfg.ID, Campaign: c.c.Name, Person: key,
				Key: e.key(c, key, "expire", p.attempt),
			}))
		}
	case tmFollow:
		a.followArmed = false
		tasks = e.planFollows(a, now, tasks)
	}
	return tasks
}

// messageTask renders the due message step of an accepted prospect.
func (e *Engine) messageTask(a *account, tm timer, now time.Time, tasks []wire.Task) []wire.Task {
	c := e.camps[tm.ref.Campaign]
	p := &c.ps[tm.ref.Index]
	if !c.messageDue(p, tm.step) {
		// Answered by then, on its way, or a timer of a step already sent
		// (an engine rebuilt from the ledger holds the timers of every
		// step it replayed: only the current step's may fire, at its time).
		return tasks
	}
	if e.park(tm, maxTime(time.Unix(0, tm.at), now), c.hold, a.hold) {
		return tasks // paused: planned again when the pause ends
	}
	step := int(p.msgStep)
	key := c.src.Key(int(tm.ref.Index))
	msg, err := c.messages[step].Choose(c.src.Fields(int(tm.ref.Index)))
	if err != nil {
		// validate warns of it; no message goes out with a hole in it:
		// the prospect skips this one and the sequence goes on.
		e.skipMessage(a, c, tm.ref, time.Unix(0, tm.at), key, campaigns.MessageSkipReason(err))
		return tasks
	}
	text := msg.Text
	p.out = true
	cal := c.cals[c.senderPos(a)]
	at := messageAt(cal, time.Unix(0, tm.at), now)
	return append(tasks, e.issue(tm.ref, wire.Task{
		Kind: wire.KindMessage, At: at, Account: a.cfg.ID, Campaign: c.c.Name, Person: key,
		Key: e.key(c, key, "message"+itoa(step), 0), Text: text, Step: step, NotAfter: notAfter(cal, at),
	}))
}

// messageDue reports whether the message step of a timer is still to be
// sent to p: accepted, nothing on its way, and that step the current one.
func (c *campaign) messageDue(p *prospect, step uint8) bool {
	return p.state == lifecycle.StateAccepted && !p.out && int(p.msgStep) < len(c.messages) && step == p.msgStep
}

// withdrawDue reports whether p's invitation from the account acct is
// still pending, with nothing on its way: a withdrawal timer of it fires.
func withdrawDue(p *prospect, acct int16) bool {
	return p.state == lifecycle.StateInvited && !p.out && p.acct == acct
}

func (e *Engine) withdrawTask(a *account, c *campaign, ref Ref, at time.Time) wire.Task {
	p := &c.ps[ref.Index]
	p.out = true
	key := c.src.Key(int(ref.Index))
	if open, _, ok := a.cal.NextOpen(at); ok {
		at = open
	}
	return e.issue(ref, wire.Task{
		Kind: wire.KindWithdraw, At: at, Account: a.cfg.ID, Campaign: c.c.Name, Person: key,
		Key: e.key(c, key, "withdraw", p.attempt), NotAfter: notAfter(a.cal, at),
	})
}

// withdrawOldest withdraws the account's oldest pending invitation (the
// pending ceiling is reached).
func (e *Engine) withdrawOldest(a *account, now time.Time, tasks []wire.Task) []wire.Task {
	for len(a.pendQ) > 0 {
		ref := a.pendQ[0]
		c := e.camps[ref.Campaign]
		p := &c.ps[ref.Index]
		if p.state != lifecycle.StateInvited || p.acct != int16(a.idx) {
			a.pendQ = a.pendQ[1:]
			continue
		}
		if p.out {
			return tasks // its withdrawal is already on its way
		}
		return append(tasks, e.withdrawTask(a, c, ref, now))
	}
	return tasks
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}
