package scheduler

import (
	"fmt"
	"time"

	"github.com/outreach-scheduler/outreach/pacing"
	"github.com/outreach-scheduler/outreach/wire"
)

// What an account does next (`outreach run` prints it when nothing is
// due). Next answers from the engine's own state with the engine's own
// code: the slot search that plans invitations (searchSlot, in its
// look-only mode), the caps check that refuses them (capsAt, which says
// which cap), the timers that will fire and the tasks handed out. It
// changes nothing and draws no random number, so asking never changes
// what is planned.

// Block is why an account's invitations wait for more than their pace.
type Block string

// The blocks, strongest first: when several stand between now and the
// next invitation, Next reports the strongest (a weekly cap that frees on
// Thursday evening says more than the working hours that follow it).
const (
	BlockNone           Block = ""                // only the pace (minimum gap, spread over the day)
	BlockConnections    Block = "connections"     // the account's 30,000 connections are reached: no more invitations
	BlockRestricted     Block = "restricted"      // paused after the platform refused for a limit or restriction
	BlockPaused         Block = "paused"          // the operator paused the account
	BlockCampaignPaused Block = "campaign_paused" // the operator paused the campaign(s) with work
	BlockPending        Block = "pending"         // the pending ceiling: the oldest invitation is withdrawn first
	BlockSafety         Block = "safety"          // the safety governor lowered the weekly or daily cap (Engine.Health says why)
	BlockWeeklyCap      Block = "weekly_cap"      // the rolling week's cap is reached
	BlockDailyCap       Block = "daily_cap"       // the day's cap is reached
	BlockWaiting        Block = "waiting"         // the prospects left wait: a follow step's wait, a cooldown, next month's notes
	BlockHours          Block = "hours"           // outside the working hours
	BlockNoProspects    Block = "no_prospects"    // no campaign of the account has anyone left to invite
)

// blockRank orders the blocks, strongest first.
var blockRank = map[Block]int{
	BlockConnections: 1, BlockRestricted: 2, BlockPaused: 3, BlockCampaignPaused: 4, BlockPending: 5,
	BlockSafety: 6, BlockWeeklyCap: 7, BlockDailyCap: 8, BlockWaiting: 9, BlockHours: 10, BlockNoProspects: 11,
}

// NextInfo is what an account does next and, when its invitations wait
// for more than their pace, why.
type NextInfo struct {
	Account string
	// At is when the account's next platform action is due: an invitation,
	// a follow, a message or a withdrawal, whichever comes first. A task
	// handed out by Plan and not reported yet counts at its time (past
	// when it is on its way). An invitation the engine has not drawn yet
	// is given at the earliest it may go: in a new working period, its
	// opening (the engine draws the minute within the period's first
	// share when it gets there, and At moves to it). Zero: nothing is
	// planned; Reason says why.
	At time.Time
	// Earliest: At is an invitation's earliest time, in a working period
	// the engine has not drawn its minute in yet; false: At is the time
	// planned (for an invitation, as long as nothing changes meanwhile).
	Earliest bool
	Kind     wire.Kind
	// Campaign is the action's campaign; "" for a follow (the account's
	// follows are planned across its campaigns).
	Campaign string
	// Reason is the strongest block between now and the account's next
	// invitation (BlockNone when only the pace holds it back), Until when
	// that block ends by itself (zero: it does not, as a pause until
	// resumed or no prospects left), and ReasonCampaign the campaign it
	// is about, for BlockCampaignPaused and BlockWaiting ("" for every
	// campaign).
	Reason         Block
	Until          time.Time
	ReasonCampaign string
}

// nextWhy collects the blocks a look-only slot search meets.
type nextWhy struct {
	block    Block
	until    time.Time
	campaign string
	// opening: the search entered a new working period, where planning
	// draws a start offset: the slot found is the earliest, not the one.
	opening bool
}

// add keeps b when it is stronger than what was kept.
func (w *nextWhy) add(b Block, until time.Time, campaign string) {
	if b == BlockNone {
		return
	}
	if w.block == BlockNone || blockRank[b] < blockRank[w.block] {
		w.block, w.until, w.campaign = b, until, campaign
	}
}

// late records why campaign c (sender k) cannot take an invitation before
// at, the search having started at t: its pause, its follow wait, and the
// working hours after them.
func (w *nextWhy) late(c *campaign, k int, t, at time.Time) {
	from := t
	if c.hold.at(t) {
		w.add(BlockCampaignPaused, c.hold.hold.Until, c.c.Name)
		from = c.hold.hold.Until
	}
	if r := c.readyAt(k); r.After(from) {
		w.add(BlockWaiting, r, c.c.Name)
		from = r
	}
	if at.After(from) {
		w.add(BlockHours, at, "")
	}
}

// Next returns what account id does next, as of now. Like Plan, it must be
// called from the goroutine that owns the engine; it changes nothing. Its
// cost grows with the timers the engine holds (one pass over them).
func (e *Engine) Next(id string, now time.Time) (NextInfo, error) {
	a := e.byID[id]
	if a == nil {
		return NextInfo{}, fmt.Errorf("scheduler: unknown account %q", id)
	}
	n := NextInfo{Account: id}
	var w nextWhy
	if at, c, earliest, ok := e.nextInvite(a, now, &w); ok {
		n.At, n.Kind, n.Campaign, n.Earliest = at, wire.KindInvite, c.c.Name, earliest
	}
	consider := func(at time.Time, k wire.Kind, campaign string) {
		if n.At.IsZero() || at.Before(n.At) || (at.Equal(n.At) && (k < n.Kind || (k == n.Kind && campaign < n.Campaign))) {
			n.At, n.Kind, n.Campaign, n.Earliest = at, k, campaign, false
		}
	}
	for _, pl := range e.out {
		if pl.task.Account == id && pl.task.Kind != wire.KindExpire { // an expiry is no platform action
			consider(pl.task.At, pl.task.Kind, pl.task.Campaign)
		}
	}
	var requeue time.Time
	for _, tm := range e.timers.Items() {
		if tm.acct != int16(a.idx) {
			continue
		}
		due := maxTime(time.Unix(0, tm.at), now)
		switch tm.kind {
		case tmMessage:
			c := e.camps[tm.ref.Campaign]
			if !c.messageDue(&c.ps[tm.ref.Index], tm.step) {
				continue
			}
			if end, held := holdEnd(due, c.hold, a.hold); held {
				if end.IsZero() {
					continue // parked until resumed: the pause is the answer
				}
				due = end
			}
			consider(messageAt(c.cals[c.senderPos(a)], due, now), wire.KindMessage, c.c.Name)
		case tmWithdraw:
			c := e.camps[tm.ref.Campaign]
			if !withdrawDue(&c.ps[tm.ref.Index], tm.acct) {
				continue
			}
			if a.hold.hold.All {
				if end, held := holdEnd(due, a.hold); held {
					if end.IsZero() {
						continue
					}
					due = end
				}
			}
			if open, _, ok := a.cal.NextOpen(due); ok {
				due = open
			}
			consider(due, wire.KindWithdraw, c.c.Name)
		case tmFollow:
			due = maxTime(due, a.followNext)
			for _, c := range a.camps {
				if c.mayFollow(a, c.senderPos(a), due) {
					consider(due, wire.KindFollow, "")
					break
				}
			}
		case tmRequeue:
			if at := time.Unix(0, tm.at); requeue.IsZero() || at.Before(requeue) {
				requeue = at
			}
		}
	}
	if w.block == BlockNoProspects && !requeue.IsZero() {
		w = nextWhy{block: BlockWaiting, until: maxTime(requeue, now)}
	}
	n.Reason, n.Until, n.ReasonCampaign = w.block, w.until, w.campaign
	return n, nil
}

// nextInvite finds the account's next invitation as planAccount would
// plan it, in the same order of checks, recording the blocks on the way;
// earliest when a start offset is still to be drawn.
func (e *Engine) nextInvite(a *account, now time.Time, w *nextWhy) (at time.Time, c *campaign, earliest, ok bool) {
	if a.connections >= pacing.MaxConnections {
		w.add(BlockConnections, time.Time{}, "")
		return time.Time{}, nil, false, false
	}
	if a.hold.forever(now) {
		w.add(BlockPaused, time.Time{}, "")
		return time.Time{}, nil, false, false
	}
	if a.allHeld(now) {
		w.add(BlockCampaignPaused, time.Time{}, "")
		return time.Time{}, nil, false, false
	}
	t := maxTime(now, a.earliest)
	if a.hold.at(now) {
		w.add(BlockPaused, a.hold.hold.Until, "")
		t = maxTime(t, a.hold.hold.Until)
	}
	if now.Before(a.pausedUntil) {
		w.add(BlockRestricted, a.pausedUntil, "") // a.earliest waits for it too
	}
	if a.pending >= a.cfg.Limits.MaxPending {
		w.add(BlockPending, time.Time{}, "")
		return time.Time{}, nil, false, false
	}
	at, c, _, ok = e.searchSlot(a, t, w)
	if !ok {
		work := false
		for _, c := range a.camps {
			k := c.senderPos(a)
			switch {
			case c.hasWork(k) && c.hold.forever(t):
				w.add(BlockCampaignPaused, time.Time{}, c.c.Name)
			case c.hasWork(k):
				work = true // the caps kept refusing as far as the search looks
			case c.follow != nil && (c.backlog[k] > 0 || c.pinned[k].len() > 0 || c.shared.len() > 0):
				w.add(BlockWaiting, time.Time{}, c.c.Name) // to be followed first
			}
		}
		if !work {
			w.add(BlockNoProspects, time.Time{}, "")
		}
		return time.Time{}, nil, false, false
	}
	earliest = w.opening
	if a.heapIdx >= 0 && a.next.After(at) {
		// The engine looks again at a.next: the slot it drew, or a
		// later look. The search from there is the plan, draws aside.
		var w2 nextWhy
		if at2, c2, _, ok2 := e.searchSlot(a, a.next, &w2); ok2 {
			at, c, earliest = at2, c2, w2.opening
		}
	}
	return at, c, earliest, true
}
