package scheduler

import (
	"fmt"
	"time"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/pacing"
	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/templates"
)

// Done reports the outcome of a task returned by Plan.
func (e *Engine) Done(t Task, o Outcome) error {
	a := e.byID[t.Account]
	if a == nil || int(t.Ref.Campaign) >= len(e.camps) {
		return fmt.Errorf("scheduler: task %s for unknown account or campaign", t.Key)
	}
	c := e.camps[t.Ref.Campaign]
	p := &c.ps[t.Ref.Index]
	if o.Kind == Unknown {
		return nil // still out: the queue retries it with the same key
	}
	delete(e.out, t.Key)
	if applied(p, t, o) {
		return nil // a repeat (at-least-once delivery, or a replayed ledger)
	}
	p.out = false
	switch t.Kind {
	case KindInvite:
		e.doneInvite(a, c, t, o)
	case KindFollow:
		if o.Kind == Delivered {
			p.at = o.At.UnixNano()
			e.transition(c, t.Ref, campaigns.EvFollowed)
			c.followed[c.senderPos(a)].push(t.Ref.Index)
			e.emit(o.At, campaigns.EvFollowed, c, a, t.Person, nil, "")
			e.wake(a, o.At)
			return nil
		}
		// The follow did not happen: back to the queue.
		c.backlog[c.senderPos(a)]--
		c.shared.pushFront(t.Ref.Index)
	case KindWithdraw:
		if o.Kind == Delivered {
			e.resolve(a, c, t.Ref, campaigns.EvWithdrawn, o.At, "")
		}
		if o.Code == CodeUnknownOutcome { // try again later
			e.pushTimer(timer{at: o.At.Add(time.Hour).UnixNano(), kind: tmWithdraw, acct: int16(a.idx), ref: t.Ref})
		}
		// Refused (not pending any more): an answer from the platform is
		// on its way, or already applied.
	case KindExpire:
		if o.Kind == Delivered {
			e.resolve(a, c, t.Ref, campaigns.EvExpired, t.At, "")
			return nil
		}
		// Not recorded (abandoned by the reconciler): try again later.
		e.pushTimer(timer{at: o.At.Add(time.Hour).UnixNano(), kind: tmExpire, acct: int16(a.idx), ref: t.Ref})
	case KindMessage:
		if o.Kind != Delivered {
			e.emit(o.At, campaigns.EvFailed, c, a, t.Person, nil, "message_"+string(o.Code))
			p.msgStep = uint8(len(c.messages))
			e.transition(c, t.Ref, campaigns.EvDone)
			return nil
		}
		p.msgStep++
		e.emit(o.At, campaigns.EvMessaged, c, a, t.Person, nil, "")
		if int(p.msgStep) >= len(c.messages) {
			e.transition(c, t.Ref, campaigns.EvDone)
			return nil
		}
		e.scheduleMessage(a, c, t.Ref, o.At)
	}
	return nil
}

func (e *Engine) doneInvite(a *account, c *campaign, t Task, o Outcome) {
	p := &c.ps[t.Ref.Index]
	st := e.with(e.personOf(c, t.Ref.Index), int16(a.idx))
	if o.Kind == Delivered {
		p.at = o.At.UnixNano()
		p.variant = c.variantIndex(t.Variant)
		c.exp.Sent(int(p.variant), o.At)
		e.transition(c, t.Ref, campaigns.EvInvited)
		st.status, st.active = psPending, t.Ref
		a.pending++
		a.pendQ = append(a.pendQ, t.Ref)
		c.finish(o.At)
		note := templates.Note{Variant: t.Variant, Chars: t.Chars}
		e.emit(o.At, campaigns.EvInvited, c, a, t.Person, &note, string(t.Fallback))
		e.pushTimer(timer{at: o.At.Add(c.withdraw).UnixNano(), kind: tmWithdraw, acct: int16(a.idx), ref: t.Ref})
		if c.expire <= c.withdraw { // otherwise the withdrawal always comes first
			e.pushTimer(timer{at: o.At.Add(c.expire).UnixNano(), kind: tmExpire, acct: int16(a.idx), ref: t.Ref})
		}
		return
	}
	// The invitation did not happen: free the slot in the planner's log.
	a.unrecord(t.At)
	if t.Variant != templates.Blank && a.notesMonth > 0 {
		a.notesMonth--
	}
	st.status = psNone
	requeue := true
	switch {
	case o.Kind == Denied:
		switch o.Denial {
		case pacing.DenyNoteAllowance:
			a.notesOut = true
		case pacing.DenyPaused:
			a.pausedUntil = maxTime(a.pausedUntil, o.RetryAt)
		}
		if !o.RetryAt.IsZero() {
			a.earliest = maxTime(a.earliest, o.RetryAt)
		}
	case o.Code == platform.CodeWeeklyLimit || o.Code == platform.CodeRestricted:
		a.pausedUntil = maxTime(a.pausedUntil, o.At.Add(e.opt.RestrictionPause))
		a.earliest = maxTime(a.earliest, a.pausedUntil)
	case o.Code == platform.CodeNoteAllowance:
		a.notesOut = true
	case o.Code == platform.CodeConnectionCap:
		a.connections = pacing.MaxConnections
	case o.Code == platform.CodeDuplicate || o.Code == platform.CodeAlreadyConnected:
		st.status = psConnected
		requeue = false
		e.skip(c, t.Ref.Index, a, t.Person, o.At, campaigns.SkipAlreadyInvited)
	case o.Code == platform.CodeDeclined:
		st.status = psDeclined
		requeue = false
		e.skip(c, t.Ref.Index, a, t.Person, o.At, campaigns.SkipDeclinedBefore)
	case o.Code == platform.CodeCooldown:
		st.status, st.until = psCooling, o.At.Add(e.opt.Config.Defaults.ReinviteCooldown).UnixNano()
	default:
		requeue = false
		e.transition(c, t.Ref, campaigns.EvFailed)
		c.finish(o.At)
		e.emit(o.At, campaigns.EvFailed, c, a, t.Person, nil, string(o.Code))
	}
	if requeue {
		p.attempt++ // a refused key keeps its answer: the retry needs a new one
		k := c.senderPos(a)
		switch {
		case p.state == campaigns.StateFollowed:
			c.followed[k].pushFront(t.Ref.Index)
			c.backlog[k]++
		case p.pin >= 0:
			c.pinned[p.pin].pushFront(t.Ref.Index)
		default:
			c.shared.pushFront(t.Ref.Index)
		}
	}
	e.wake(a, maxTime(o.At, a.earliest))
}

// Observe applies an event reported by the platform.
func (e *Engine) Observe(ev platform.Event) error {
	a := e.byID[ev.Account]
	if a == nil {
		return fmt.Errorf("scheduler: event for unknown account %q", ev.Account)
	}
	ps := e.people.get(ev.Person)
	if ps == nil {
		return nil // not ours
	}
	st := e.find(ps, int16(a.idx))
	if st == nil || st.status != psPending {
		return nil // resolved already (withdrawn, expired on our clock)
	}
	c := e.camps[st.active.Campaign]
	switch ev.Type {
	case platform.EventAccepted:
		e.resolve(a, c, st.active, campaigns.EvAccepted, ev.At, "")
	case platform.EventDeclined:
		e.resolve(a, c, st.active, campaigns.EvDeclined, ev.At, "")
	case platform.EventExpired:
		e.resolve(a, c, st.active, campaigns.EvExpired, ev.At, "")
	}
	return nil
}

// resolve ends a pending invitation.
func (e *Engine) resolve(a *account, c *campaign, ref Ref, ev campaigns.Event, at time.Time, reason string) {
	p := &c.ps[ref.Index]
	if p.state != campaigns.StateInvited {
		return
	}
	key := c.src.Key(int(ref.Index))
	st := e.with(e.personOf(c, ref.Index), int16(a.idx))
	e.transition(c, ref, ev)
	a.pending--
	c.exp.Resolved(int(p.variant), ev == campaigns.EvAccepted)
	switch ev {
	case campaigns.EvAccepted:
		st.status = psConnected
		a.connections++
		if len(c.messages) > 0 {
			e.scheduleMessage(a, c, ref, at)
		}
	case campaigns.EvDeclined:
		st.status = psDeclined
	case campaigns.EvWithdrawn, campaigns.EvExpired:
		st.status, st.until = psCooling, at.Add(c.cooldown).UnixNano()
	}
	e.events(Event{
		T: at, Type: ev, Campaign: c.c.Name, Account: a.cfg.ID, Person: key, Reason: reason,
		Variant: c.variants[p.variant], Invited: time.Unix(0, p.at).UTC(),
	})
	e.wake(a, at) // the pending count went down
}

// scheduleMessage queues the next message step of an accepted prospect,
// after its wait, within the campaign's working time.
func (e *Engine) scheduleMessage(a *account, c *campaign, ref Ref, after time.Time) {
	p := &c.ps[ref.Index]
	at := after.Add(c.messages[p.msgStep].Wait)
	if open, _, ok := c.cals[c.senderPos(a)].NextOpen(at); ok {
		at = open
	}
	e.pushTimer(timer{at: at.UnixNano(), kind: tmMessage, acct: int16(a.idx), ref: ref})
}

// transition moves a prospect along the lifecycle. An impossible move is a
// bug in the planner: it panics in tests rather than corrupt state quietly.
func (e *Engine) transition(c *campaign, ref Ref, ev campaigns.Event) {
	p := &c.ps[ref.Index]
	next, err := campaigns.Next(p.state, ev)
	if err != nil {
		panic(fmt.Sprintf("scheduler: campaign %s prospect %d: %v", c.c.Name, ref.Index, err))
	}
	p.state = next
}

// Completed is when the campaign had nothing left to send (every prospect
// invited or finished), or zero.
func (e *Engine) Completed(campaign string) time.Time {
	for _, c := range e.camps {
		if c.c.Name == campaign {
			return c.done
		}
	}
	return time.Time{}
}

// Prospects is the number of prospects of a campaign, skipped ones included.
func (e *Engine) Prospects(campaign string) int {
	for _, c := range e.camps {
		if c.c.Name == campaign {
			return len(c.ps)
		}
	}
	return 0
}

// applied reports whether a delivered outcome was applied already: the
// prospect has moved past the step. Outcomes arrive at least once (a
// worker may record one twice when it is retried after recording), so
// applying one must be idempotent.
func applied(p *prospect, t Task, o Outcome) bool {
	if o.Kind != Delivered {
		return false
	}
	switch t.Kind {
	case KindInvite:
		return p.state != campaigns.StateQueued && p.state != campaigns.StateFollowed
	case KindFollow:
		return p.state != campaigns.StateQueued
	case KindMessage:
		return t.Step < int(p.msgStep) || p.state != campaigns.StateAccepted
	case KindExpire:
		return p.state != campaigns.StateInvited // answered, withdrawn or expired meanwhile
	}
	return false
}
