package scheduler

import (
	"math"
	"time"

	"github.com/outreach-scheduler/outreach/lifecycle"
	"github.com/outreach-scheduler/outreach/pacing"
	"github.com/outreach-scheduler/outreach/wire"
)

// Follows are unlimited on the platform, but a person who follows hundreds
// of people in a minute does not look natural, and following far ahead of
// what can be invited only makes the follow stale. So an account follows
// within the campaign's working time, one follow per minimum gap (plus
// jitter), at most its daily invitation cap a day, and keeps at most what it
// can invite while the follow step's wait runs, plus a week, followed and
// not yet invited.

// armFollow schedules the account's follow planning at t, once.
func (e *Engine) armFollow(a *account, t time.Time) {
	if a.followArmed {
		return
	}
	for _, c := range a.camps {
		if c.follow != nil {
			a.followArmed = true
			at := int64(math.MinInt64) // the zero time: at the first Plan
			if !t.IsZero() {
				at = t.UnixNano()
			}
			e.pushTimer(timer{at: at, kind: tmFollow, acct: int16(a.idx)})
			return
		}
	}
}

// backlogCap is how many followed-not-invited prospects an account keeps
// for a campaign.
func backlogCap(a *account, c *campaign) int {
	weeks := int(c.follow.Wait/pacing.Week) + 2
	return a.cfg.Limits.Weekly * weeks
}

// mayFollow reports whether account a, sender k of c, may follow someone
// for c at t: c has a follow step, the backlog has room, someone is queued,
// and c is not paused until resumed.
func (c *campaign) mayFollow(a *account, k int, t time.Time) bool {
	return c.follow != nil && c.backlog[k] < backlogCap(a, c) && (c.pinned[k].len() > 0 || c.shared.len() > 0) && !c.hold.forever(t)
}

// planFollows plans the account's follows within the planning horizon and
// re-arms itself for the next one.
func (e *Engine) planFollows(a *account, now time.Time, tasks []wire.Task) []wire.Task {
	end := now.Add(e.opt.Horizon)
	t := maxTime(now, a.followNext)
	if until, held := holdEnd(t, a.hold); held {
		if until.IsZero() {
			return tasks // re-armed by SetHolds when the pause ends
		}
		t = until // plan from the pause's end (re-armed below if past the horizon)
	}
	for i := 0; i < 10000; i++ {
		var best time.Time
		var bestC *campaign
		bestK := -1
		for _, c := range a.camps {
			k := c.senderPos(a)
			if !c.mayFollow(a, k, t) {
				continue
			}
			from := t
			if c.hold.at(t) {
				from = c.hold.hold.Until
			}
			at, _, ok := c.cals[k].NextOpen(from)
			if ok && (bestC == nil || at.Before(best)) {
				best, bestC, bestK = at, c, k
			}
		}
		if bestC == nil {
			return tasks // re-armed when the backlog shrinks
		}
		if !best.Before(end) {
			a.followArmed = true
			e.pushTimer(timer{at: best.UnixNano(), kind: tmFollow, acct: int16(a.idx)})
			return tasks
		}
		r := e.rulesAt(a, best)
		if !r.DayStart.Equal(a.followDay) {
			a.followDay, a.followsDay = r.DayStart, 0
		}
		if r.Daily != pacing.Unlimited && a.followsDay >= r.Daily {
			t = r.DayEnd
			continue
		}
		task, ok := e.pickFollow(a, bestC, bestK, best)
		if !ok {
			t = best.Add(e.opt.Recheck)
			continue
		}
		tasks = append(tasks, task)
		a.followsDay++
		bestC.backlog[bestK]++
		gap := r.MinGap + time.Duration(e.opt.Rand.Float64()*a.jitter*float64(r.MinGap))
		a.followNext = best.Add(ceilSecond(gap))
		t = a.followNext
	}
	return tasks
}

// pickFollow takes the next queued prospect of c for sender k to follow.
func (e *Engine) pickFollow(a *account, c *campaign, k int, t time.Time) (wire.Task, bool) {
	tn := t.UnixNano()
	for pops := 0; pops < maxPops; pops++ {
		var idx int32 = -1
		for _, q := range []*fifo{&c.pinned[k], &c.shared} {
			for q.len() > 0 && idx < 0 {
				i := q.pop()
				if p := &c.ps[i]; p.state == lifecycle.StateQueued && !p.out {
					idx = i
				}
			}
			if idx >= 0 {
				break
			}
		}
		if idx < 0 {
			return wire.Task{}, false
		}
		key := c.src.Key(int(idx))
		v := e.eligible(e.personOf(c, idx), int16(a.idx), c.c.Dedupe, tn)
		if v.skip != "" {
			e.skip(c, idx, a, key, t, v.skip)
			continue
		}
		p := &c.ps[idx]
		p.out, p.acct = true, int16(a.idx)
		return e.issue(Ref{c.idx, idx}, wire.Task{
			Kind: wire.KindFollow, At: t, Account: a.cfg.ID, Campaign: c.c.Name, Person: key,
			Key: e.key(c, key, "follow", 0), NotAfter: notAfter(c.cals[k], t),
		}), true
	}
	return wire.Task{}, false
}
