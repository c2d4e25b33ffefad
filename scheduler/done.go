package scheduler

import (
	"fmt"
	"time"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/lifecycle"
	"github.com/outreach-scheduler/outreach/pacing"
	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/templates"
	"github.com/outreach-scheduler/outreach/wire"
)

// Done reports the outcome of a task: one returned by Plan, or one planned
// by another engine (a scheduler that led before this one, over the same
// campaigns in another order). The outcome is applied to the prospect the
// task names (campaign and person key), never by a position: a task of a
// person no longer in the campaign is ignored.
func (e *Engine) Done(t wire.Task, o wire.Outcome) error {
	a := e.byID[t.Account]
	if a == nil {
		return fmt.Errorf("scheduler: task %s for unknown account %q", t.Key, t.Account)
	}
	ref, ok := e.refOf(t)
	if !ok {
		if o.Kind != wire.Unknown {
			delete(e.out, t.Key)
		}
		return nil // the campaign or the person is gone
	}
	if pl, mine := e.out[t.Key]; mine && o.Kind != wire.Unknown && (pl.task.Account != t.Account || !pl.task.At.Equal(t.At)) {
		// This engine planned the same step under the same key for another
		// slot (an earlier leader had queued it; the queue kept the first):
		// the outcome is the earlier task's, and this engine's own plan never
		// ran. Undo what planning it reserved, then apply the outcome.
		e.unplan(pl)
	}
	return e.done(a, ref, t, o)
}

// unplan undoes what planning an invitation that never ran reserved in the
// engine: its slot in the account's log, its note of the month, the
// person's planned standing with that account.
func (e *Engine) unplan(pl planned) {
	a := e.byID[pl.task.Account]
	if a == nil || pl.task.Kind != wire.KindInvite {
		return
	}
	a.unrecord(pl.task.At)
	if pl.task.Variant != templates.Blank && a.notesMonth > 0 {
		a.notesMonth--
	}
	c := e.camps[pl.ref.Campaign]
	if p := &c.ps[pl.ref.Index]; p.person >= 0 {
		if st := e.find(&e.people.all[p.person], int16(a.idx)); st != nil && st.status == psPlanned {
			st.status = psNone
		}
	}
	e.wake(a, pl.task.At)
}

// refOf finds the prospect a task names: the engine's own record of the
// tasks it planned first (checked against the task's identity), else by
// campaign name and person key.
func (e *Engine) refOf(t wire.Task) (Ref, bool) {
	if pl, ok := e.out[t.Key]; ok && pl.task.Campaign == t.Campaign && pl.task.Person == t.Person {
		return pl.ref, true
	}
	return e.lookup(t.Campaign, t.Person)
}

func (e *Engine) done(a *account, ref Ref, t wire.Task, o wire.Outcome) error {
	c := e.camps[ref.Campaign]
	p := &c.ps[ref.Index]
	if o.Kind == wire.Unknown {
		return nil // still out: the queue retries it with the same key
	}
	delete(e.out, t.Key)
	if applied(p, t, o) {
		return nil // a repeat (at-least-once delivery, or a replayed ledger)
	}
	if isLate(o) { // handed back after its working time: plan it again (late.go)
		if t.Kind != wire.KindInvite {
			e.late(a, c, ref, t, o)
			return nil
		}
		if e.lateRepeat(c, ref, t) {
			return nil
		}
	}
	// taken: this engine took the prospect from its queue for t (a denial
	// of a task replayed from the ledger, or planned by another engine,
	// finds it still in its queue here, with nothing to give back).
	taken := p.out || o.Kind != wire.Denied
	p.out = false
	switch t.Kind {
	case wire.KindInvite:
		e.doneInvite(a, c, ref, t, o, taken)
	case wire.KindFollow:
		if o.Kind == wire.Delivered {
			p.at = o.At.UnixNano()
			e.transition(c, ref, lifecycle.EvFollowed)
			c.followed[c.senderPos(a)].push(ref.Index)
			e.emit(o.At, lifecycle.EvFollowed, c, a, t.Person, nil, "")
			e.wake(a, o.At)
			return nil
		}
		// The follow did not happen: back to the queue.
		c.backlog[c.senderPos(a)]--
		c.shared.pushFront(ref.Index)
	case wire.KindWithdraw:
		if o.Kind == wire.Delivered {
			e.resolve(a, c, ref, lifecycle.EvWithdrawn, o.At, "")
		}
		if o.Code == CodeUnknownOutcome { // try again later
			e.pushTimer(timer{at: o.At.Add(time.Hour).UnixNano(), kind: tmWithdraw, acct: int16(a.idx), ref: ref})
		}
		// Refused (not pending any more): an answer from the platform is
		// on its way, or already applied.
	case wire.KindExpire:
		if o.Kind == wire.Delivered {
			e.resolve(a, c, ref, lifecycle.EvExpired, t.At, "")
			return nil
		}
		// Not recorded (abandoned by the reconciler): try again later.
		e.pushTimer(timer{at: o.At.Add(time.Hour).UnixNano(), kind: tmExpire, acct: int16(a.idx), ref: ref})
	case wire.KindMessage:
		if p.state == lifecycle.StateReplied {
			// In flight when the reply came: recorded as it is, and
			// nothing follows it.
			if o.Kind == wire.Delivered {
				p.msgStep = uint8(t.Step) + 1
				p.end = o.At.UnixNano()
				e.emit(o.At, lifecycle.EvMessaged, c, a, t.Person, nil, "")
			}
			return nil
		}
		if o.Kind != wire.Delivered {
			e.emit(o.At, lifecycle.EvFailed, c, a, t.Person, nil, "message_"+string(o.Code))
			p.msgStep = uint8(len(c.messages))
			e.transition(c, ref, lifecycle.EvDone)
			return nil
		}
		// By the step recorded, not by counting: a rebuilt engine
		// replays only the steps sent, not the ones skipped.
		p.msgStep = uint8(t.Step) + 1
		p.end = o.At.UnixNano()
		e.emit(o.At, lifecycle.EvMessaged, c, a, t.Person, nil, "")
		if int(p.msgStep) >= len(c.messages) {
			e.transition(c, ref, lifecycle.EvDone)
			return nil
		}
		e.scheduleMessage(a, c, ref, o.At)
	}
	return nil
}

// doneInvite applies an invitation's outcome. taken is false for a
// denial (by the limiter, or a late hand-back) of a task this engine did
// not plan: replayed from the ledger, or planned by another engine, it
// finds the prospect still in its queue here, and no slot or note counted
// to give back. (A refusal replayed is balanced by Replay instead.)
func (e *Engine) doneInvite(a *account, c *campaign, ref Ref, t wire.Task, o wire.Outcome, taken bool) {
	p := &c.ps[ref.Index]
	st := e.with(e.personOf(c, ref.Index), int16(a.idx))
	if o.Kind == wire.Delivered {
		p.at = o.At.UnixNano()
		p.variant = c.variantIndex(t.Variant)
		c.exp.Sent(int(p.variant), o.At)
		e.transition(c, ref, lifecycle.EvInvited)
		st.status, st.active = psPending, ref
		if c.c.Dedupe == campaigns.DedupeWorkspace || c.c.Dedupe == "" {
			// As pick claims it: an engine rebuilt from the ledger (which
			// never picked) must know the claim too.
			st.claimed = true
		}
		a.pending++
		a.pendQ = append(a.pendQ, ref)
		a.gov.sent = append(a.gov.sent, ref)
		c.finish(o.At)
		note := templates.Note{Variant: t.Variant, Chars: t.Chars}
		e.emit(o.At, lifecycle.EvInvited, c, a, t.Person, &note, string(t.Fallback))
		e.pushTimer(timer{at: o.At.Add(c.withdraw).UnixNano(), kind: tmWithdraw, acct: int16(a.idx), ref: ref})
		if c.expire <= c.withdraw { // otherwise the withdrawal always comes first
			e.pushTimer(timer{at: o.At.Add(c.expire).UnixNano(), kind: tmExpire, acct: int16(a.idx), ref: ref})
		}
		return
	}
	// The invitation did not happen: free the slot in the engine's log.
	if taken {
		a.unrecord(t.At)
		if t.Variant != templates.Blank && a.notesMonth > 0 {
			a.notesMonth--
		}
	}
	st.status = psNone
	requeue := true
	switch {
	case o.Kind == wire.Denied:
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
		e.skip(c, ref.Index, a, t.Person, o.At, lifecycle.SkipAlreadyInvited)
	case o.Code == platform.CodeDeclined:
		st.status = psDeclined
		requeue = false
		e.skip(c, ref.Index, a, t.Person, o.At, lifecycle.SkipDeclinedBefore)
	case o.Code == platform.CodeCooldown:
		st.status, st.until = psCooling, o.At.Add(e.opt.Config.Defaults.ReinviteCooldown).UnixNano()
	default:
		requeue = false
		e.transition(c, ref, lifecycle.EvFailed)
		p.reason = e.reason(string(o.Code))
		c.finish(o.At)
		e.emit(o.At, lifecycle.EvFailed, c, a, t.Person, nil, string(o.Code))
	}
	if requeue {
		p.attempt++ // a refused key keeps its answer: the retry needs a new one
		k := c.senderPos(a)
		switch {
		case !taken: // still in its queue (see above)
		case p.state == lifecycle.StateFollowed:
			c.followed[k].pushFront(ref.Index)
			c.backlog[k]++
		case p.pin >= 0:
			c.pinned[p.pin].pushFront(ref.Index)
		default:
			c.shared.pushFront(ref.Index)
		}
	}
	e.wake(a, maxTime(o.At, a.earliest))
}

// Observe applies an event reported by the platform. A reply (reply.go)
// that changes nothing (ReplySkip tells why) is ignored.
func (e *Engine) Observe(ev wire.Event) error {
	a := e.byID[ev.Account]
	if a == nil {
		return fmt.Errorf("scheduler: event for unknown account %q", ev.Account)
	}
	if ev.Type == platform.EventReplied {
		e.reply(ev)
		return nil
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
		e.resolve(a, c, st.active, lifecycle.EvAccepted, ev.At, "")
	case platform.EventDeclined:
		e.resolve(a, c, st.active, lifecycle.EvDeclined, ev.At, "")
	case platform.EventExpired:
		e.resolve(a, c, st.active, lifecycle.EvExpired, ev.At, "")
	}
	return nil
}

// resolve ends a pending invitation.
func (e *Engine) resolve(a *account, c *campaign, ref Ref, ev lifecycle.Event, at time.Time, reason string) {
	p := &c.ps[ref.Index]
	if p.state != lifecycle.StateInvited {
		return
	}
	key := c.src.Key(int(ref.Index))
	st := e.with(e.personOf(c, ref.Index), int16(a.idx))
	e.transition(c, ref, ev)
	p.end = at.UnixNano()
	a.pending--
	c.exp.Resolved(int(p.variant), ev == lifecycle.EvAccepted)
	switch ev {
	case lifecycle.EvAccepted:
		st.status = psConnected
		a.connections++
		if len(c.messages) > 0 {
			e.scheduleMessage(a, c, ref, at)
		}
	case lifecycle.EvDeclined:
		st.status = psDeclined
	case lifecycle.EvWithdrawn, lifecycle.EvExpired:
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
	e.pushTimer(timer{at: at.UnixNano(), kind: tmMessage, step: p.msgStep, acct: int16(a.idx), ref: ref})
}

// skipMessage skips the due message step of an accepted prospect (it did
// not render: reason is a campaigns.MessageSkipReason) and schedules the
// next one, its wait counted from when the skipped one was due, or ends
// the sequence.
func (e *Engine) skipMessage(a *account, c *campaign, ref Ref, at time.Time, person, reason string) {
	p := &c.ps[ref.Index]
	p.msgStep++
	p.end = at.UnixNano()
	e.emit(at, lifecycle.EvMessageSkipped, c, a, person, nil, reason)
	if int(p.msgStep) >= len(c.messages) {
		e.transition(c, ref, lifecycle.EvDone)
		return
	}
	e.scheduleMessage(a, c, ref, at)
}

// transition moves a prospect along the lifecycle. An impossible move is a
// bug in the engine: it panics in tests rather than corrupt state quietly.
func (e *Engine) transition(c *campaign, ref Ref, ev lifecycle.Event) {
	p := &c.ps[ref.Index]
	next, err := lifecycle.Next(p.state, ev)
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
func applied(p *prospect, t wire.Task, o wire.Outcome) bool {
	if o.Kind != wire.Delivered {
		return false
	}
	switch t.Kind {
	case wire.KindInvite:
		return p.state != lifecycle.StateQueued && p.state != lifecycle.StateFollowed
	case wire.KindFollow:
		return p.state != lifecycle.StateQueued
	case wire.KindMessage:
		// A message of a prospect who replied meanwhile is not applied yet:
		// it was in flight, and done records it.
		return t.Step < int(p.msgStep) || p.state != lifecycle.StateAccepted && p.state != lifecycle.StateReplied
	case wire.KindExpire:
		return p.state != lifecycle.StateInvited // answered, withdrawn or expired meanwhile
	}
	return false
}
