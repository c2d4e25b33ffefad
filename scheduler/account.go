package scheduler

import (
	"sort"
	"time"

	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/pacing"
)

// account is the engine's view of one sender account.
type account struct {
	cfg    *config.Account
	idx    int
	cal    pacing.Calendar // the account's own working time
	jitter float64
	camps  []*campaign // the campaigns it sends for
	rr     int         // round-robin position among camps

	// log holds the times (unix ns) of the invitations planned or sent in
	// the last eight days, ascending: the engine's copy of the limiter's
	// log, so that planning ahead never oversteps what Reserve will grant.
	log []int64

	rules pacing.Rules // cache of rulesAt, before the pace factor
	gov   governor     // the safety governor (governor.go)

	next     time.Time // heap key: when to plan next
	earliest time.Time // no invitation before this (the drawn gap)
	heapIdx  int

	pending     int
	pendQ       []Ref // invitations in the order sent (may hold resolved ones)
	connections int
	pausedUntil time.Time
	hold        holdState // an operator's pause (hold.go)

	monthStart time.Time
	notesMonth int  // personalized notes planned this month
	notesOut   bool // the platform said the allowance is spent this month

	followNext  time.Time // earliest next follow
	followArmed bool      // a follow timer is queued
	followDay   time.Time
	followsDay  int
}

func newAccount(cfg *config.Account, idx int, d config.Defaults) *account {
	return &account{
		cfg: cfg,
		idx: idx,
		cal: pacing.Calendar{
			Location: cfg.Location,
			Days:     cfg.Days,
			Start:    cfg.Hours.Start,
			End:      cfg.Hours.End,
		},
		jitter:      d.Jitter,
		heapIdx:     -1,
		connections: cfg.Connections,
	}
}

func (a *account) status() AccountStatus {
	return AccountStatus{Pending: a.pending, Connections: a.connections, PausedUntil: a.pausedUntil, NotesMonth: a.notesMonth}
}

// countSince counts the log entries after the time after (unix ns): the
// invitations of a rolling window that starts there.
func (a *account) countSince(after int64) int {
	i := sort.Search(len(a.log), func(i int) bool { return a.log[i] > after })
	return len(a.log) - i
}

// countIn counts the log entries in [from, to) (unix ns): the invitations
// of a calendar day.
func (a *account) countIn(from, to int64) int {
	i := sort.Search(len(a.log), func(i int) bool { return a.log[i] >= from })
	j := sort.Search(len(a.log), func(i int) bool { return a.log[i] >= to })
	return j - i
}

// record adds a planned invitation at t and trims entries no window needs.
func (a *account) record(t time.Time) {
	v := t.UnixNano()
	a.log = append(a.log, v)
	for i := len(a.log) - 1; i > 0 && a.log[i-1] > v; i-- { // keep sorted
		a.log[i-1], a.log[i] = a.log[i], a.log[i-1]
	}
	cut := v - int64(pacing.SendRetention)
	n := 0
	for n < len(a.log) && a.log[n] < cut {
		n++
	}
	if n > 0 {
		a.log = append(a.log[:0], a.log[n:]...)
	}
}

// unrecord removes a planned invitation that did not happen.
func (a *account) unrecord(t time.Time) {
	v := t.UnixNano()
	for i := len(a.log) - 1; i >= 0; i-- {
		if a.log[i] == v {
			a.log = append(a.log[:i], a.log[i+1:]...)
			return
		}
	}
}

// capsAt checks the caps for an invitation at t. When they refuse, it
// returns the earliest time worth trying again: when enough sends leave
// the window, the day ends, or warm-up raises the caps, whichever is first;
// and which of them refused (Next reports it).
func (a *account) capsAt(r pacing.Rules, t time.Time) (ok bool, retry time.Time, why Block) {
	ok, retry, why = a.capsAtNoRaise(r, t)
	if !ok {
		if raise, raises := pacing.NextRaise(a.cfg.WarmupStart, a.cfg.Limits.Weekly, t); raises && raise.Before(retry) && !t.Before(a.pausedUntil) {
			retry = raise
		}
	}
	return ok, retry, why
}

func (a *account) capsAtNoRaise(r pacing.Rules, t time.Time) (ok bool, retry time.Time, why Block) {
	if t.Before(a.pausedUntil) {
		return false, a.pausedUntil, BlockRestricted
	}
	v := t.UnixNano()
	// r is rulesAt(a, t)'s: a.rules holds the same day's caps before the
	// pace factor, to tell the governor's refusals from the caps' own.
	if r.Daily != pacing.Unlimited {
		if n := a.countIn(r.DayStart.UnixNano(), r.DayEnd.UnixNano()); n >= r.Daily {
			return false, r.DayEnd, a.capBlock(n < a.rules.Daily, BlockDailyCap)
		}
	}
	if r.Weekly <= 0 {
		return false, t.Add(24 * time.Hour), BlockWeeklyCap
	}
	// The log is ascending and nothing is planned after t, so the fullest
	// week containing t is (t-7d, t].
	week := pacing.Week.Nanoseconds()
	i := sort.Search(len(a.log), func(i int) bool { return a.log[i] > v-week })
	if n := len(a.log) - i; n >= r.Weekly {
		// Enough entries must leave the window: the (n-Weekly+1)-th oldest.
		// (a send exactly 7d before t is out of the window (t-7d, t]).
		return false, time.Unix(0, a.log[i+n-r.Weekly]+week), a.capBlock(n < a.rules.Weekly, BlockWeeklyCap)
	}
	if len(a.log) > 0 {
		if last := a.log[len(a.log)-1]; v-last < r.MinGap.Nanoseconds() {
			return false, time.Unix(0, last+r.MinGap.Nanoseconds()), BlockNone // the pace, not a block
		}
	}
	return true, time.Time{}, BlockNone
}

// capBlock names a cap's refusal: the governor's when the cap before the
// pace factor would have allowed the invitation (governed).
func (a *account) capBlock(governed bool, b Block) Block {
	if governed {
		return BlockSafety
	}
	return b
}

// gapAfter draws the time from an invitation at s to the account's next
// one: at least the minimum gap plus a random jitter of up to jitter x
// min_gap, and, when the day's remaining quota leaves room, the rest of the
// working period spread evenly over it, so that invitations go out across
// the day rather than in a burst at its start. The spread never pushes an
// invitation out of the period: with r sends left and time T, each gap is
// at most 1.5 T/(r+1) < T.
func (a *account) gapAfter(e *Engine, s time.Time) time.Duration {
	// The day's quota sets the pace. When the rolling week has less room
	// than that, the week sets it instead: its room comes back as last
	// week's sends (already spread) leave the window, and capsAt holds each
	// send until then, so no spreading is added on top.
	r := e.rulesAt(a, s)
	left := r.Weekly
	if r.Daily != pacing.Unlimited {
		left = r.Daily - a.countIn(r.DayStart.UnixNano(), r.DayEnd.UnixNano())
	}
	weekRoom := r.Weekly - a.countSince(s.UnixNano()-pacing.Week.Nanoseconds())
	gap := r.MinGap + time.Duration(e.opt.Rand.Float64()*a.jitter*float64(r.MinGap))
	if left > 0 && weekRoom >= left {
		if _, end, ok := a.cal.NextOpen(s); ok && end.After(s) {
			spread := time.Duration(float64(end.Sub(s)) / float64(left+1) * (0.5 + e.opt.Rand.Float64()))
			gap = max(gap, spread)
		}
	}
	return ceilSecond(gap)
}

// ceilSecond rounds d up to a whole second: planned times stay on whole
// seconds (and never move earlier than what the caps allow).
func ceilSecond(d time.Duration) time.Duration {
	return (d + time.Second - 1).Truncate(time.Second)
}

// startOffset draws where in a working period the first invitation goes:
// somewhere in the first share of the period the day's quota leaves.
func (a *account) startOffset(e *Engine, from, end time.Time) time.Duration {
	r := e.rulesAt(a, from)
	left := r.Weekly
	if r.Daily != pacing.Unlimited {
		left = min(left, r.Daily)
	}
	if left <= 0 {
		return 0
	}
	return ceilSecond(time.Duration(float64(end.Sub(from)) / float64(left+1) * e.opt.Rand.Float64()))
}

// accountHeap orders accounts by their next planning time.
type accountHeap []*account

func (h accountHeap) Len() int { return len(h) }
func (h accountHeap) Less(i, j int) bool {
	if !h[i].next.Equal(h[j].next) {
		return h[i].next.Before(h[j].next)
	}
	return h[i].idx < h[j].idx
}
func (h accountHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].heapIdx = i
	h[j].heapIdx = j
}
func (h *accountHeap) Push(x any) {
	a := x.(*account)
	a.heapIdx = len(*h)
	*h = append(*h, a)
}
func (h *accountHeap) Pop() any {
	old := *h
	a := old[len(old)-1]
	*h = old[:len(old)-1]
	a.heapIdx = -1
	return a
}
