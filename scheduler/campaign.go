package scheduler

import (
	"fmt"
	"time"

	"github.com/outreach-scheduler/outreach/abtest"
	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/lifecycle"
	"github.com/outreach-scheduler/outreach/pacing"
	"github.com/outreach-scheduler/outreach/templates"
)

// prospect is the engine's record of one prospect of one campaign.
type prospect struct {
	state   lifecycle.State
	out     bool  // a task for it is out (planned, not yet reported)
	attempt uint8 // invitation attempts refused by the limiter or platform
	msgStep uint8 // message steps done: sent, or skipped (did not render)
	acct    int16 // the sender it is assigned to; -1 none yet
	pin     int16 // the pinned sender; -1 none
	at      int64 // unix ns: when followed, or invited
	end     int64 // unix ns: when the invitation was answered or ended, or the last message sent
	person  int32 // index in the people registry; -1 until first needed
	variant uint8 // the invitation's note variant: index in campaign.variants (0 blank)
	reason  uint8 // failed or skipped: why, as an index in the engine's reason table (retry.go)
}

// fifo is a queue of prospect indexes.
type fifo struct {
	items []int32
	head  int
}

func (q *fifo) push(i int32) { q.items = append(q.items, i) }
func (q *fifo) len() int     { return len(q.items) - q.head }
func (q *fifo) peek() int32  { return q.items[q.head] }
func (q *fifo) pop() int32 {
	v := q.items[q.head]
	q.head++
	if q.head > 1024 && q.head*2 > len(q.items) {
		q.items = append(q.items[:0], q.items[q.head:]...)
		q.head = 0
	}
	return v
}

// pushFront puts a prospect back at the head (a slot it lost).
func (q *fifo) pushFront(i int32) {
	if q.head > 0 {
		q.head--
		q.items[q.head] = i
		return
	}
	q.items = append([]int32{i}, q.items...)
}

// campaign is the engine's view of one campaign.
type campaign struct {
	c        *campaigns.Campaign
	idx      int32
	src      Source
	ps       []prospect
	senders  []*account
	cals     []pacing.Calendar // working time of each sender for this campaign
	shared   fifo              // queued prospects not pinned
	pinned   []fifo            // by sender position: queued prospects pinned to it
	followed []fifo            // by sender position: followed, waiting to be invited
	backlog  []int             // by sender position: follows out or followed, not yet invited
	follow   *campaigns.Step   // the follow step, if any
	notes    *templates.Set
	messages []*campaigns.Message
	withdraw time.Duration
	expire   time.Duration
	cooldown time.Duration
	variants []string           // "blank" then the note variants (disabled ones too): what prospect.variant indexes
	first    string             // the first enabled variant ("" for blank invitations)
	exp      *abtest.Experiment // arms indexed like variants
	byHash   map[uint64]int32   // person hash -> index, built on the first lookup (or by Restore)
	removed  []int32            // prospects removed from the file (see CancelRemoved)
	left     int                // prospects not yet invited nor finished
	hold     holdState          // an operator's pause (hold.go)
	done     time.Time
}

func (e *Engine) addCampaign(idx int32, c *campaigns.Campaign, src Source) (*campaign, error) {
	d := e.opt.Config.Defaults
	cp := &campaign{
		c: c, idx: idx, src: src,
		ps:       make([]prospect, src.Len()),
		withdraw: d.WithdrawAfter,
		expire:   d.ExpireAfter,
		cooldown: d.ReinviteCooldown,
	}
	for i := range c.Steps {
		st := &c.Steps[i]
		switch {
		case st.Kind == campaigns.StepFollow && cp.follow == nil:
			cp.follow = st
		case st.Connect != nil:
			cp.notes = st.Connect.Notes
			if st.Connect.WithdrawAfter > 0 {
				cp.withdraw = st.Connect.WithdrawAfter
			}
		case st.Message != nil:
			cp.messages = append(cp.messages, st.Message)
		}
	}
	if cp.notes == nil {
		return nil, fmt.Errorf("campaign %s: no connect step", c.Name)
	}
	arms := []abtest.Arm{{Name: templates.Blank, Weight: 1, Disabled: !c.ABTest.IncludeBlank}}
	if cn := c.ConnectStep(); cn != nil {
		for _, v := range cn.Variants {
			arms = append(arms, abtest.Arm{Name: v.Name, Weight: v.Weight, Disabled: v.Disabled})
		}
	}
	for _, a := range arms {
		cp.variants = append(cp.variants, a.Name)
	}
	if len(cp.variants) > 255 {
		return nil, fmt.Errorf("campaign %s: %d note variants; at most 254", c.Name, len(cp.variants)-1)
	}
	if vs := cp.notes.Variants(); len(vs) > 0 {
		cp.first = vs[0]
	}
	cp.exp = abtest.New(abtest.Options{Arms: arms, Strategy: string(c.ABTest.Strategy), MinSamples: c.ABTest.MinSamples, Curve: e.opt.ResponseCurve})
	pos := map[string]int{}
	for _, id := range c.Accounts {
		a := e.byID[id]
		if a == nil {
			return nil, fmt.Errorf("campaign %s: unknown account %q", c.Name, id)
		}
		pos[id] = len(cp.senders)
		cp.senders = append(cp.senders, a)
		cp.cals = append(cp.cals, campaigns.Calendar(a.cfg, c.Schedule))
		a.camps = append(a.camps, cp)
	}
	cp.pinned = make([]fifo, len(cp.senders))
	cp.followed = make([]fifo, len(cp.senders))
	cp.backlog = make([]int, len(cp.senders))
	for i := range cp.ps {
		p := &cp.ps[i]
		p.acct, p.pin, p.person = -1, -1, -1
		p.state = lifecycle.StateQueued
		why := src.Skip(i)
		if why == lifecycle.SkipRemoved {
			// Removed from the campaign's file since an earlier apply: its
			// history comes back with the ledger; CancelRemoved then ends
			// whatever had not started. Never queued.
			cp.removed = append(cp.removed, int32(i))
			cp.left++
			continue
		}
		if why != "" {
			p.state, p.reason = lifecycle.StateSkipped, e.reason(why)
			e.emit(time.Time{}, lifecycle.EvSkipped, cp, nil, src.Key(i), nil, why)
			continue
		}
		cp.left++
		if pin := src.Account(i); pin != "" {
			k, ok := pos[pin]
			if !ok {
				p.state, p.reason = lifecycle.StateSkipped, e.reason(lifecycle.SkipInvalid)
				cp.left--
				e.emit(time.Time{}, lifecycle.EvSkipped, cp, nil, src.Key(i), nil, lifecycle.SkipInvalid)
				continue
			}
			p.pin = int16(k)
			cp.pinned[k].push(int32(i))
			continue
		}
		cp.shared.push(int32(i))
	}
	return cp, nil
}

// senderPos is the position of account a among the campaign's senders.
func (c *campaign) senderPos(a *account) int {
	for i, s := range c.senders {
		if s == a {
			return i
		}
	}
	return -1
}

// hasWork reports whether the campaign may have an invitation for sender k.
func (c *campaign) hasWork(k int) bool {
	if c.follow != nil {
		return c.followed[k].len() > 0
	}
	return c.pinned[k].len() > 0 || c.shared.len() > 0
}

// followReady is when p, followed, may be invited (unix ns): once the
// follow step's wait has passed.
func (c *campaign) followReady(p *prospect) int64 { return p.at + c.follow.Wait.Nanoseconds() }

// readyAt is when sender k's next prospect of c may be invited as far as
// the campaign's steps go: in a follow-first campaign, when the first one
// followed has waited; zero otherwise (or when none is followed). It only
// looks (Next); nextQueued pops.
func (c *campaign) readyAt(k int) time.Time {
	if c.follow == nil {
		return time.Time{}
	}
	q := &c.followed[k]
	for i := q.head; i < len(q.items) && i-q.head < maxPops; i++ {
		if p := &c.ps[q.items[i]]; p.state == lifecycle.StateFollowed && !p.out {
			return time.Unix(0, c.followReady(p))
		}
	}
	return time.Time{}
}

// finish counts a prospect out of the campaign's remaining work.
func (c *campaign) finish(t time.Time) {
	c.left--
	if c.left == 0 {
		c.done = t
	}
}

// variantIndex is the index of a variant name in c.variants (0, blank, when
// the name is unknown).
func (c *campaign) variantIndex(name string) uint8 {
	for i, v := range c.variants {
		if v == name {
			return uint8(i)
		}
	}
	return 0
}
