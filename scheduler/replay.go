package scheduler

import (
	"time"

	"github.com/outreach-scheduler/outreach/lifecycle"
	"github.com/outreach-scheduler/outreach/templates"
	"github.com/outreach-scheduler/outreach/wire"
)

// Replay applies a recorded outcome to a freshly built engine, to rebuild
// its state after a restart: the task's prospect is found again by campaign
// name and person key (prospect indexes may differ if a file was edited),
// a delivered invitation is put back into the account's send log, and the
// outcome is applied as Done would. Outcomes of campaigns or prospects that
// are gone are ignored.
func (e *Engine) Replay(t wire.Task, o wire.Outcome) error {
	ref, ok := e.lookup(t.Campaign, t.Person)
	if !ok {
		return nil
	}
	a := e.byID[t.Account]
	if a == nil {
		return nil
	}
	c := e.camps[ref.Campaign]
	p := &c.ps[ref.Index]
	if applied(p, t, o) {
		return nil
	}
	p.acct = int16(a.idx)
	if o.Kind == wire.Delivered {
		switch t.Kind {
		case wire.KindInvite:
			a.record(o.At) // when it was sent: as the limiter, and Restore, count it
			if t.Variant != templates.Blank {
				ms, _ := a.cal.Month(t.At)
				if !ms.Equal(a.monthStart) {
					a.monthStart, a.notesMonth = ms, 0
				}
				a.notesMonth++
			}
			if k := c.senderPos(a); c.follow != nil && k >= 0 && c.backlog[k] > 0 {
				c.backlog[k]--
			}
		case wire.KindFollow:
			if k := c.senderPos(a); k >= 0 {
				c.backlog[k]++
			}
		}
	}
	if t.Kind == wire.KindInvite && o.Kind == wire.Refused {
		return e.replayUndone(a, c, ref, t, o)
	}
	return e.done(a, ref, t, o)
}

// replayUndone replays an invitation the platform refused. Done undoes
// what planning it counted (its note in the month,
// its place in the follow backlog); a replay planned nothing, so it counts
// them first, as pick did, and the two net out, as they did for the
// engine that planned it: otherwise a rebuilt engine would count fewer
// notes and more followed prospects than the one it replaces (and than a
// restored snapshot). When Done applies nothing (a repeat), nothing is
// counted.
func (e *Engine) replayUndone(a *account, c *campaign, ref Ref, t wire.Task, o wire.Outcome) error {
	p := &c.ps[ref.Index]
	state, attempt := p.state, p.attempt
	monthStart, notes := a.monthStart, a.notesMonth
	k := c.senderPos(a)
	backlog := c.follow != nil && k >= 0 && c.backlog[k] > 0
	if t.Variant != templates.Blank {
		if ms, _ := a.cal.Month(t.At); !ms.Equal(a.monthStart) {
			a.monthStart, a.notesMonth = ms, 0
		}
		a.notesMonth++
	}
	if backlog {
		c.backlog[k]--
	}
	err := e.done(a, ref, t, o)
	if p.state == state && p.attempt == attempt { // nothing applied
		a.monthStart, a.notesMonth = monthStart, notes
		if backlog {
			c.backlog[k]++
		}
	}
	return err
}

// lookup finds a prospect by campaign name and person key. Each campaign
// keeps an index from the person hash to the prospect, built on first use
// (or by Restore); the key found is compared, so a hash collision can only
// miss a prospect, never pick another.
func (e *Engine) lookup(campaign, person string) (Ref, bool) {
	for _, c := range e.camps {
		if c.c.Name != campaign {
			continue
		}
		i, ok := e.lookupIn(c, person)
		if !ok {
			return Ref{}, false
		}
		return Ref{Campaign: c.idx, Index: i}, true
	}
	return Ref{}, false
}

// lookupIn finds a prospect of campaign c by the person's key.
func (e *Engine) lookupIn(c *campaign, person string) (int32, bool) {
	if c.byHash == nil {
		c.byHash = make(map[uint64]int32, len(c.ps))
		for i := range c.ps {
			c.byHash[e.people.hash(c.src.Key(i))] = int32(i)
		}
	}
	i, ok := c.byHash[e.people.hash(person)]
	if !ok || c.src.Key(int(i)) != person {
		return 0, false
	}
	return i, true
}

// CancelRemoved ends, as skipped with reason removed, the prospects removed
// from their campaign's file that had not been acted on; those already
// followed or invited go on to the end of their invitation (an answer, a
// withdrawal) but get nothing more. Call it once the ledger is replayed.
//
// It returns the idempotency keys of the tasks another engine may have
// queued for them before the removal (their next follow or invitation):
// the caller deletes those from the queue, so that nobody is invited after
// being removed.
func (e *Engine) CancelRemoved(now time.Time) []string {
	var keys []string
	for _, c := range e.camps {
		for _, idx := range c.removed {
			p := &c.ps[idx]
			if (p.state == lifecycle.StateQueued || p.state == lifecycle.StateFollowed) && !p.out {
				key := c.src.Key(int(idx))
				if c.follow != nil && p.state == lifecycle.StateQueued {
					keys = append(keys, e.key(c, key, "follow", 0))
				}
				keys = append(keys, e.key(c, key, "connect", p.attempt))
				e.skip(c, idx, nil, key, now, lifecycle.SkipRemoved)
			}
		}
		c.removed = nil
	}
	return keys
}

// State returns the state of a campaign's prospect, by the person's key.
func (e *Engine) State(campaign, person string) (lifecycle.State, bool) {
	ref, ok := e.lookup(campaign, person)
	if !ok {
		return 0, false
	}
	return e.camps[ref.Campaign].ps[ref.Index].state, true
}
