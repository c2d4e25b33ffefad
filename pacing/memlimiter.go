package pacing

import (
	"context"
	"slices"
	"sync"
	"time"
)

// MemLimiter is the in-memory Limiter, for simulations and single-process
// use: the same semantics as RedisLimiter (both pass pacing/limitertest),
// one mutex, per-account logs as sorted slices trimmed as time moves on.
// Its state is lost with the process. The zero value is not usable: call
// NewMemLimiter.
type MemLimiter struct {
	mu       sync.Mutex
	accounts map[string]*memAccount
}

// NewMemLimiter returns an empty in-memory limiter.
func NewMemLimiter() *MemLimiter {
	return &MemLimiter{accounts: make(map[string]*memAccount)}
}

// memEntry is one send (or note) in a log sorted by at.
type memEntry struct {
	at   int64 // unix ms
	id   string
	note bool // (sends only) it carries a note
}

type memAccount struct {
	sends []memEntry // every send still in the log, sorted by at
	notes []memEntry // the personalized ones, sorted by at, kept longer
	// ids maps the ID of every send in the log to its time. Trimming does
	// not touch it (on 1,000 accounts, deleting from cold maps was the
	// largest cost): it may also hold IDs trimmed since, which find checks
	// against the log and drops; trim rebuilds it when they pile up.
	ids   map[string]int64
	pause int64 // unix ms; Reserve denies while At < pause
}

func newMemAccount() *memAccount { return &memAccount{ids: make(map[string]int64)} }

// find returns the index in sends of the send with that ID, or -1.
func (a *memAccount) find(id string) int {
	at, ok := a.ids[id]
	if !ok {
		return -1
	}
	for i := lowerBound(a.sends, at); i < len(a.sends) && a.sends[i].at == at; i++ {
		if a.sends[i].id == id {
			return i
		}
	}
	delete(a.ids, id) // trimmed
	return -1
}

var _ Limiter = (*MemLimiter)(nil)

// Reserve implements Limiter.
func (l *MemLimiter) Reserve(ctx context.Context, r Request) (Decision, error) {
	if err := ctx.Err(); err != nil {
		return Decision{}, err
	}
	if err := r.Validate(); err != nil {
		return Decision{}, err
	}
	t, u := ms(r.At), r.Rules
	gap := int64(u.MinGap / time.Millisecond)
	sendCutoff, noteCutoff := cutoffs(t, gap)

	l.mu.Lock()
	defer l.mu.Unlock()
	a := l.accounts[r.Account]
	if a == nil {
		a = newMemAccount()
		l.accounts[r.Account] = a
	}
	a.trim(sendCutoff, noteCutoff)
	if a.find(r.ID) >= 0 {
		return Decision{Granted: true, Existing: true}, nil
	}

	var c denials
	if a.pause > t {
		c.deny(DenyPaused, a.pause)
	}
	if weeklyMax(a.sends, t) >= u.Weekly {
		c.deny(DenyWeekly, weeklyRetry(a.sends, t, u.Weekly))
	}
	if u.Daily != Unlimited && countRange(a.sends, ms(u.DayStart), ms(u.DayEnd)) >= u.Daily {
		c.deny(DenyDaily, ms(u.DayEnd))
	}
	if gap > 0 {
		if at := gapClear(a.sends, t, gap); at != t {
			c.deny(DenyGap, at)
		}
	}
	if c.denial != "" {
		return c.decision(), nil
	}
	if r.Note && u.NotesPerMonth != Unlimited &&
		countRange(a.notes, ms(u.MonthStart), ms(u.MonthEnd)) >= u.NotesPerMonth {
		return Decision{Denial: DenyNoteAllowance}, nil
	}

	e := memEntry{at: t, id: r.ID, note: r.Note}
	a.sends = insertEntry(a.sends, e)
	if r.Note {
		a.notes = insertEntry(a.notes, memEntry{at: t, id: r.ID})
	}
	a.ids[r.ID] = t
	return Decision{Granted: true}, nil
}

// Release implements Limiter. It never returns ErrConfirmed: only a send
// restored from the platform's record (RedisLimiter.Restore) is confirmed,
// and MemLimiter has no Restore.
func (l *MemLimiter) Release(ctx context.Context, account, id string) error {
	if err := checkID(account, id); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	a := l.accounts[account]
	if a == nil {
		return nil
	}
	i := a.find(id)
	if i < 0 {
		return nil
	}
	s := a.sends[i]
	delete(a.ids, id)
	a.sends = slices.Delete(a.sends, i, i+1)
	if s.note {
		a.notes = removeEntry(a.notes, s.at, id)
	}
	return nil
}

// Pause implements Limiter.
func (l *MemLimiter) Pause(ctx context.Context, account string, until time.Time) error {
	if err := checkAccount(account); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	a := l.accounts[account]
	if a == nil {
		a = newMemAccount()
		l.accounts[account] = a
	}
	a.pause = max(a.pause, ms(until))
	return nil
}

// Usage implements Limiter.
func (l *MemLimiter) Usage(ctx context.Context, account string, now time.Time, rules Rules) (Usage, error) {
	if err := checkAccount(account); err != nil {
		return Usage{}, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	a := l.accounts[account]
	if a == nil {
		return Usage{}, nil
	}
	n := ms(now)
	lo, hi := upperBound(a.sends, n-weekMS), upperBound(a.sends, n)
	us := Usage{
		Week:       hi - lo,
		Day:        countRange(a.sends, ms(rules.DayStart), ms(rules.DayEnd)),
		NotesMonth: countRange(a.notes, ms(rules.MonthStart), ms(rules.MonthEnd)),
	}
	if len(a.sends) > 0 {
		us.Last = fromMS(a.sends[len(a.sends)-1].at)
	}
	if a.pause > n {
		us.PausedUntil = fromMS(a.pause)
	}
	return us, nil
}

// trim drops sends older than sendCutoff (and forgets their IDs) and notes
// older than noteCutoff.
func (a *memAccount) trim(sendCutoff, noteCutoff int64) {
	if len(a.sends) == 0 || a.sends[0].at >= sendCutoff {
		// nothing to trim (the common case: no search)
	} else if k := lowerBound(a.sends, sendCutoff); k > 0 {
		clear(a.sends[:k])
		a.sends = a.sends[k:]
		if len(a.ids) > 2*len(a.sends)+64 {
			a.ids = make(map[string]int64, 2*len(a.sends)+64) // no growth until the next rebuild
			for _, e := range a.sends {
				a.ids[e.id] = e.at
			}
		}
	}
	if len(a.notes) == 0 || a.notes[0].at >= noteCutoff {
	} else if k := lowerBound(a.notes, noteCutoff); k > 0 {
		clear(a.notes[:k])
		a.notes = a.notes[k:]
	}
}

// cutoffs are the trim horizons of a request at t (unix ms) with the given
// minimum gap: RedisLimiter passes the same to its script.
func cutoffs(t, gap int64) (sendCutoff, noteCutoff int64) {
	return t - int64(SendRetention/time.Millisecond) - gap, t - int64(NoteRetention/time.Millisecond)
}

// denials collects the refusing rules of one request: the first denial and
// the latest retry time (zero if any is unknown).
type denials struct {
	denial  Denial
	retry   int64
	unknown bool
}

func (c *denials) deny(d Denial, retry int64) {
	if c.denial == "" {
		c.denial = d
	}
	if retry == 0 {
		c.unknown = true
	}
	c.retry = max(c.retry, retry)
}

func (c *denials) decision() Decision {
	d := Decision{Denial: c.denial}
	if !c.unknown {
		d.RetryAt = fromMS(c.retry)
	}
	return d
}

// lowerBound is the index of the first entry at or after v.
func lowerBound(es []memEntry, v int64) int {
	lo, hi := 0, len(es)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if es[m].at < v {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// upperBound is the index of the first entry after v.
func upperBound(es []memEntry, v int64) int {
	lo, hi := 0, len(es)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if es[m].at <= v {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// countRange counts the entries in [lo, hi).
func countRange(es []memEntry, lo, hi int64) int {
	if lo >= hi || len(es) == 0 {
		return 0
	}
	end := len(es)
	if es[end-1].at >= hi {
		end = lowerBound(es, hi)
	}
	return end - lowerBound(es, lo)
}

// weeklyMax is the largest number of sends in one rolling week [s, s+7d)
// that contains u: a send at u is allowed iff weeklyMax < Weekly. The best
// window can always be shifted right until it starts at a send (or at u), so
// only those starts are tried, with a sliding window: O(n) over the sends in
// (u-7d, u+7d), and O(log n) when none is after u (the common case).
func weeklyMax(es []memEntry, u int64) int {
	n := len(es)
	if n == 0 || es[n-1].at <= u {
		// every window starting in (u-7d, u] holds them all
		return n - upperBound(es, u-weekMS)
	}
	i, end := upperBound(es, u-weekMS), upperBound(es, u)
	best := countRange(es, u, u+weekMS) // the window starting at u
	j := i
	for k := i; k < end; k++ {
		if k > i && es[k].at == es[k-1].at {
			continue
		}
		lim := es[k].at + weekMS
		for j < n && es[j].at < lim {
			j++
		}
		best = max(best, j-k)
	}
	return best
}

// weeklyRetry is the earliest time after t at which a send passes the
// weekly check, on the current log; 0 if never (weekly <= 0). The check can
// only start passing when a send leaves the window, at some e.at+7d, and not
// before the (c-weekly+1)-th of the c sends in (t-7d, t] has left.
func weeklyRetry(es []memEntry, t int64, weekly int) int64 {
	if weekly <= 0 {
		return 0
	}
	i, end := upperBound(es, t-weekMS), upperBound(es, t)
	prev := int64(0)
	for idx := i + max(end-i-weekly, 0); idx < len(es); idx++ {
		u := es[idx].at + weekMS
		if u == prev {
			continue
		}
		prev = u
		if weeklyMax(es, u) < weekly {
			return u
		}
	}
	return es[len(es)-1].at + weekMS // not reached: no send is in that window
}

// gapClear is the earliest time at or after t with no send in (u-gap, u+gap).
func gapClear(es []memEntry, t, gap int64) int64 {
	if n := len(es); n == 0 || es[n-1].at <= t-gap {
		return t // the common case: the last send is far enough
	}
	u := t
	for {
		hi := lowerBound(es, u+gap)
		if hi == 0 || es[hi-1].at <= u-gap {
			return u
		}
		u = es[hi-1].at + gap
	}
}

// insertEntry inserts e after every entry at or before e.at.
func insertEntry(es []memEntry, e memEntry) []memEntry {
	if n := len(es); n == 0 || es[n-1].at <= e.at {
		return append(es, e)
	}
	return slices.Insert(es, upperBound(es, e.at), e)
}

// removeEntry removes the entry (at, id), if present.
func removeEntry(es []memEntry, at int64, id string) []memEntry {
	for i := lowerBound(es, at); i < len(es) && es[i].at == at; i++ {
		if es[i].id == id {
			return slices.Delete(es, i, i+1)
		}
	}
	return es
}
