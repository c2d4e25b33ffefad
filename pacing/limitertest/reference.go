package limitertest

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/outreach-scheduler/outreach/pacing"
)

// reference is a deliberately naive model of the Limiter contract, written
// from the definitions rather than from either implementation: brute-force
// counts over every window, no sorted logs, no fast paths. The randomized
// test holds both implementations to it, decision by decision.
type reference struct {
	accounts map[string]*refAccount
}

type refAccount struct {
	sends map[string]*refSend
	pause int64
}

type refSend struct {
	at       int64
	note     bool
	noteOnly bool // trimmed from the send log, still in the note log
}

const weekMS = int64(pacing.Week / time.Millisecond)

func newReference() *reference { return &reference{accounts: map[string]*refAccount{}} }

func (m *reference) account(name string) *refAccount {
	a := m.accounts[name]
	if a == nil {
		a = &refAccount{sends: map[string]*refSend{}}
		m.accounts[name] = a
	}
	return a
}

// times are the send times still in the send log.
func (a *refAccount) times() []int64 {
	var ts []int64
	for _, s := range a.sends {
		if !s.noteOnly {
			ts = append(ts, s.at)
		}
	}
	return ts
}

// weeklyOK: for every window [s, s+7d) containing u, count+1 <= weekly. The
// count as a function of s only changes at s = e+1 (e leaves) and s = e-7d+1
// (e enters), so those starts, and the first one u-7d+1, cover every window.
func weeklyOK(ts []int64, u int64, weekly int) bool {
	starts := []int64{u - weekMS + 1}
	for _, e := range ts {
		for _, s := range []int64{e + 1, e - weekMS + 1} {
			if s > u-weekMS && s <= u {
				starts = append(starts, s)
			}
		}
	}
	for _, s := range starts {
		n := 1
		for _, e := range ts {
			if e >= s && e < s+weekMS {
				n++
			}
		}
		if n > weekly {
			return false
		}
	}
	return true
}

func gapOK(ts []int64, u, gap int64) bool {
	for _, e := range ts {
		if e > u-gap && e < u+gap {
			return false
		}
	}
	return true
}

// earliest is the first candidate after (or, with orAt, at) t passing ok.
func earliest(t int64, orAt bool, cands []int64, ok func(int64) bool) int64 {
	if orAt {
		cands = append(cands, t)
	}
	slices.Sort(cands)
	for _, u := range cands {
		if (u > t || (orAt && u == t)) && ok(u) {
			return u
		}
	}
	return 0
}

func (m *reference) reserve(r pacing.Request) pacing.Decision {
	a := m.account(r.Account)
	t, u := r.At.UnixMilli(), r.Rules
	gap := u.MinGap.Milliseconds()
	// retention, as documented on pacing.SendRetention and NoteRetention
	for id, s := range a.sends {
		if s.at < t-pacing.SendRetention.Milliseconds()-gap {
			s.noteOnly = true
		}
		if s.noteOnly && (!s.note || s.at < t-pacing.NoteRetention.Milliseconds()) {
			delete(a.sends, id)
		}
	}
	if s, ok := a.sends[r.ID]; ok && !s.noteOnly {
		return pacing.Decision{Granted: true, Existing: true}
	}
	ts := a.times()
	var denial pacing.Denial
	var retry int64
	unknown := false
	deny := func(d pacing.Denial, at int64) {
		if denial == "" {
			denial = d
		}
		if at == 0 {
			unknown = true
		}
		retry = max(retry, at)
	}
	if a.pause > t {
		deny(pacing.DenyPaused, a.pause)
	}
	if !weeklyOK(ts, t, u.Weekly) {
		var cands []int64
		for _, e := range ts {
			cands = append(cands, e+weekMS)
		}
		deny(pacing.DenyWeekly, earliest(t, false, cands, func(v int64) bool { return weeklyOK(ts, v, u.Weekly) }))
	}
	if u.Daily != pacing.Unlimited {
		n := 0
		for _, e := range ts {
			if e >= u.DayStart.UnixMilli() && e < u.DayEnd.UnixMilli() {
				n++
			}
		}
		if n >= u.Daily {
			deny(pacing.DenyDaily, u.DayEnd.UnixMilli())
		}
	}
	if gap > 0 && !gapOK(ts, t, gap) {
		var cands []int64
		for _, e := range ts {
			cands = append(cands, e+gap)
		}
		deny(pacing.DenyGap, earliest(t, false, cands, func(v int64) bool { return gapOK(ts, v, gap) }))
	}
	if denial != "" {
		d := pacing.Decision{Denial: denial}
		if !unknown {
			d.RetryAt = time.UnixMilli(retry).UTC()
		}
		return d
	}
	if r.Note && u.NotesPerMonth != pacing.Unlimited &&
		m.notesIn(a, u.MonthStart, u.MonthEnd) >= u.NotesPerMonth {
		return pacing.Decision{Denial: pacing.DenyNoteAllowance}
	}
	if old, ok := a.sends[r.ID]; ok && old.noteOnly {
		// the ID was forgotten; its old note stays in the note log
		a.sends[fmt.Sprintf("%s\x00%d", r.ID, old.at)] = old
	}
	a.sends[r.ID] = &refSend{at: t, note: r.Note}
	return pacing.Decision{Granted: true}
}

func (m *reference) notesIn(a *refAccount, start, end time.Time) int {
	n := 0
	for _, s := range a.sends {
		if s.note && s.at >= start.UnixMilli() && s.at < end.UnixMilli() {
			n++
		}
	}
	return n
}

func (m *reference) release(account, id string) error {
	a := m.account(account)
	s, ok := a.sends[id]
	if !ok || s.noteOnly {
		return nil
	}
	delete(a.sends, id)
	return nil
}

func (m *reference) pauseUntil(account string, until time.Time) {
	a := m.account(account)
	a.pause = max(a.pause, until.UnixMilli())
}

func (m *reference) usage(account string, now time.Time, r pacing.Rules) pacing.Usage {
	a := m.account(account)
	n := now.UnixMilli()
	var u pacing.Usage
	var last int64
	for _, s := range a.sends {
		if s.noteOnly {
			continue
		}
		last = max(last, s.at)
		if s.at > n-weekMS && s.at <= n {
			u.Week++
		}
		if s.at >= r.DayStart.UnixMilli() && s.at < r.DayEnd.UnixMilli() {
			u.Day++
		}
	}
	u.NotesMonth = m.notesIn(a, r.MonthStart, r.MonthEnd)
	if last != 0 {
		u.Last = time.UnixMilli(last).UTC()
	}
	if a.pause > n {
		u.PausedUntil = time.UnixMilli(a.pause).UTC()
	}
	return u
}

// sortedTimes is for failure messages.
func sortedTimes(ts []int64) []time.Time {
	out := make([]time.Time, len(ts))
	for i, v := range ts {
		out[i] = time.UnixMilli(v).UTC()
	}
	slices.SortFunc(out, func(a, b time.Time) int { return cmp.Compare(a.UnixMilli(), b.UnixMilli()) })
	return out
}
