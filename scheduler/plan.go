package scheduler

import (
	"time"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/lifecycle"
	"github.com/outreach-scheduler/outreach/pacing"
	"github.com/outreach-scheduler/outreach/templates"
	"github.com/outreach-scheduler/outreach/wire"
)

// maxPops bounds how many queued prospects one pick may look at (skipping
// or deferring them), so a tick stays cheap whatever the queues hold.
const maxPops = 256

// planAccount plans the account's next invitation if it falls in
// [now, end). It returns the next time to plan it, or false when it has
// nothing to send for now (it is woken when that changes, or rechecked).
func (e *Engine) planAccount(a *account, now, end time.Time, tasks *[]wire.Task) (time.Time, bool) {
	t := a.next
	if t.Before(now) {
		t = now
	}
	if t.Before(a.earliest) {
		t = a.earliest
	}
	if a.connections >= pacing.MaxConnections {
		return time.Time{}, false
	}
	e.govern(a, now)
	if a.allHeld(t) {
		return time.Time{}, false // SetHolds wakes it when a pause ends
	}
	if a.hold.at(t) {
		return a.hold.hold.Until, true
	}
	if a.pending >= a.cfg.Limits.MaxPending {
		// Oldest first: withdraw the oldest pending invitation to make room,
		// now, while the ceiling is reached (not hours later, when answers
		// may have made room already).
		if !a.cal.Open(now) {
			if open, _, ok := a.cal.NextOpen(now); ok {
				return maxTime(open, end), true
			}
			return now.Add(e.opt.Recheck), true
		}
		*tasks = e.withdrawOldest(a, now, *tasks)
		return now.Add(e.opt.Recheck), true
	}
	slot, c, k, ok := e.slot(a, t)
	if !ok {
		return now.Add(e.opt.Recheck), true
	}
	if !slot.Before(end) {
		return slot, true
	}
	task, found := e.pick(a, c, k, slot)
	if !found {
		// Nothing to invite in the campaigns open at slot; look again later.
		return maxTime(slot, now).Add(e.opt.Recheck), true
	}
	*tasks = append(*tasks, task)
	a.record(slot)
	a.earliest = slot.Add(a.gapAfter(e, slot))
	// One slot at a time: Plan takes the accounts in the order of their
	// next slots, so senders sharing a campaign draw from its queue in time
	// order, each as fast as its capacity allows.
	return a.earliest, true
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// slot finds the earliest time at or after t when the account may invite
// for one of its campaigns that has work: within that campaign's working
// time and within every cap. It returns the campaign and the account's
// position among its senders, rotating among campaigns open at the same
// time so that an account is shared fairly.
func (e *Engine) slot(a *account, t time.Time) (time.Time, *campaign, int, bool) {
	return e.searchSlot(a, t, nil)
}

// searchSlot is slot's search. With why nil it plans: a new working period
// starts at a drawn offset and the account's rotation moves on. With why
// set it only looks (Next): no draw (a new period's slot is its opening),
// nothing changes, and why collects what pushed the slot past t.
func (e *Engine) searchSlot(a *account, t time.Time, why *nextWhy) (time.Time, *campaign, int, bool) {
	for tries := 0; tries < 64; tries++ {
		var best time.Time
		var bestC *campaign
		bestK := -1
		n := len(a.camps)
		for j := 0; j < n; j++ {
			c := a.camps[(a.rr+j)%n]
			k := c.senderPos(a)
			if !c.hasWork(k) || c.hold.forever(t) {
				continue
			}
			from := t
			if c.hold.at(t) {
				from = c.hold.hold.Until // paused until then
			}
			if why != nil {
				from = maxTime(from, c.readyAt(k))
			}
			at, end, ok := c.cals[k].NextOpen(from)
			if !ok {
				continue
			}
			if at.After(t) && why == nil {
				// A new working period: start somewhere in its first share.
				at = at.Add(a.startOffset(e, at, end))
			}
			if bestC == nil || at.Before(best) {
				best, bestC, bestK = at, c, k
			}
		}
		if bestC == nil {
			return time.Time{}, nil, 0, false
		}
		if why != nil && best.After(t) {
			why.late(bestC, bestK, t, best)
			why.opening = true // planning, a start offset is drawn here
		}
		ok, retry, cause := a.capsAt(e.rulesAt(a, best), best)
		if ok {
			if why != nil {
				return best, bestC, bestK, true
			}
			for j := 0; j < n; j++ {
				if a.camps[(a.rr+j)%n] == bestC {
					a.rr = (a.rr + j + 1) % n
					break
				}
			}
			return best, bestC, bestK, true
		}
		if why != nil {
			why.add(cause, retry, "")
		}
		t = retry
	}
	return time.Time{}, nil, 0, false
}

// pick takes the next prospect of campaign c that account a (its sender k)
// may invite at t, and renders its note. Prospects that must never be
// invited are skipped on the way; those cooling down are put aside until
// their cooldown ends.
func (e *Engine) pick(a *account, c *campaign, k int, t time.Time) (wire.Task, bool) {
	tn := t.UnixNano()
	for pops := 0; pops < maxPops; pops++ {
		idx, ok := e.nextQueued(c, k, tn)
		if !ok {
			return wire.Task{}, false
		}
		if c.follow != nil {
			c.backlog[k]--
			e.armFollow(a, t)
		}
		p := &c.ps[idx]
		key := c.src.Key(int(idx))
		ps := e.personOf(c, idx)
		v := e.eligible(ps, int16(a.idx), c.c.Dedupe, tn)
		if v.skip != "" {
			e.skip(c, idx, a, key, t, v.skip)
			continue
		}
		if v.until > 0 {
			e.pushTimer(timer{at: v.until, kind: tmRequeue, ref: Ref{c.idx, idx}, acct: int16(a.idx)})
			continue
		}
		note, err := e.choose(a, c, int(idx), t)
		if err != nil {
			if waitsForNotes(err) {
				// Only the spent note allowance stands in the way and the
				// campaign does not allow blank: wait for next month.
				_, next := a.cal.Month(t)
				e.pushTimer(timer{at: next.UnixNano(), kind: tmRequeue, ref: Ref{c.idx, idx}, acct: int16(a.idx)})
				continue
			}
			e.skip(c, idx, a, key, t, lifecycle.SkipInvalid)
			continue
		}
		p.acct = int16(a.idx)
		p.out = true
		st := e.with(ps, int16(a.idx))
		st.status, st.active = psPlanned, Ref{c.idx, idx}
		if c.c.Dedupe == campaigns.DedupeWorkspace || c.c.Dedupe == "" {
			st.claimed = true
		}
		if note.Variant != templates.Blank {
			a.notesMonth++
		}
		return e.issue(Ref{c.idx, idx}, wire.Task{
			Kind: wire.KindInvite, At: t, Account: a.cfg.ID, Campaign: c.c.Name, Person: key,
			Key:     e.key(c, key, "connect", p.attempt),
			Variant: note.Variant, Note: note.Text, Chars: note.Chars, Fallback: string(note.Reason),
			NotAfter: notAfter(c.cals[k], t),
		}), true
	}
	return wire.Task{}, false
}

// nextQueued pops the next prospect waiting for sender k of c: in a
// follow-first campaign, one followed long enough ago; otherwise one
// pinned to the sender, else any unassigned one. Stale entries are dropped.
func (e *Engine) nextQueued(c *campaign, k int, tn int64) (int32, bool) {
	if c.follow != nil {
		q := &c.followed[k]
		for q.len() > 0 {
			idx := q.peek()
			p := &c.ps[idx]
			if p.state != lifecycle.StateFollowed || p.out {
				q.pop()
				continue
			}
			if c.followReady(p) > tn {
				return 0, false
			}
			return q.pop(), true
		}
		return 0, false
	}
	for _, q := range []*fifo{&c.pinned[k], &c.shared} {
		for q.len() > 0 {
			idx := q.pop()
			if p := &c.ps[idx]; p.state == lifecycle.StateQueued && !p.out {
				return idx, true
			}
		}
	}
	return 0, false
}

// choose renders the note for a prospect and account at t. The candidates
// are the enabled variants that fit the prospect (every field present,
// within the account's limit, monthly allowance left), and blank when the
// campaign makes it an arm; the campaign's A/B strategy picks one (see
// package abtest). When none fits, blank if the fallback allows it, else
// no note fits. When the campaign's first variant does not fit, the note
// records why (too_long, missing_field, note_allowance), as a fallback.
// Whether the allowance of personalized notes is spent is decided here,
// before anything is sent.
func (e *Engine) choose(a *account, c *campaign, idx int, t time.Time) (templates.Note, error) {
	ms, _ := a.cal.Month(t)
	if !ms.Equal(a.monthStart) {
		a.monthStart, a.notesMonth, a.notesOut = ms, 0, false
	}
	noNotes := pacing.NoteAllowance{Limit: a.cfg.Limits.NotesPerMonth, Used: a.notesMonth, Out: a.notesOut}.Spent()
	opt := templates.ChooseOptions{Limit: a.cfg.Limits.NoteChars, NoNotes: noNotes}
	f := c.src.Fields(idx)
	fits := c.notes.Fits(f, opt)
	cands := e.cands[:0]
	blankFits, firstFits := false, false
	for _, name := range fits {
		switch name {
		case templates.Blank:
			blankFits = true
		case c.first:
			firstFits = true
			cands = append(cands, int(c.variantIndex(name)))
		default:
			cands = append(cands, int(c.variantIndex(name)))
		}
	}
	if c.c.ABTest.IncludeBlank {
		cands = append(cands, 0)
	}
	e.cands = cands
	pick := c.exp.Pick(cands, t, e.abRand)
	if pick < 0 {
		if !blankFits {
			return c.notes.Choose(f, opt) // nothing fits: the error lists every attempt
		}
		pick = 0
	}
	var note templates.Note
	if pick == 0 {
		note = templates.Note{Variant: templates.Blank}
	} else {
		var err error
		opt.Preferred = c.variants[pick]
		if note, err = c.notes.Choose(f, opt); err != nil {
			return note, err
		}
		opt.Preferred = ""
	}
	if c.first != "" && !firstFits {
		if why, err := c.notes.Choose(f, opt); err == nil {
			note.Reason, note.Attempts = why.Reason, why.Attempts
		}
	}
	return note, nil
}

// waitsForNotes reports whether no note fits only because the monthly
// allowance of personalized notes is spent (the preflight decides with
// the same function).
func waitsForNotes(err error) bool { return templates.WaitsForNotes(err) }

// skip ends a prospect's campaign as skipped.
func (e *Engine) skip(c *campaign, idx int32, a *account, key string, t time.Time, reason string) {
	p := &c.ps[idx]
	p.state, p.reason = lifecycle.StateSkipped, e.reason(reason)
	c.finish(t)
	e.emit(t, lifecycle.EvSkipped, c, a, key, nil, reason)
}
