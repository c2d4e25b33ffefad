package sandbox

import (
	"math"
	"time"
)

// weeklyFull reports whether one more invitation at t would put Weekly+1
// invitations of the account within less than 7 days: for requests in time
// order, whether (t-7d, t] already holds Weekly. Requests arriving out of
// time order are checked against every window that would contain them.
func (a *acct) weeklyFull(t int64) bool {
	w := a.cfg.Weekly
	s := a.sends
	if w <= 0 {
		return true
	}
	n := len(s)
	if n == 0 || t >= s[n-1] { // in order
		return n >= w && t-s[n-w] < int64(week)
	}
	p := upperBound(s, t)
	at := func(k int) int64 { // the sorted sequence with t inserted at p
		switch {
		case k < p:
			return s[k]
		case k == p:
			return t
		}
		return s[k-1]
	}
	for j := max(0, p-w); j <= p && j+w <= n; j++ {
		if at(j+w)-at(j) < int64(week) {
			return true
		}
	}
	return false
}

// addSend records an accepted invitation at t, keeping at least 14 days of
// history before the latest one.
func (a *acct) addSend(t int64) {
	s := a.sends
	if n := len(s); n > 0 && n == cap(s) && n >= 64 {
		latest := max(s[n-1], t)
		if cut := upperBound(s, latest-2*int64(week)); cut >= n/4 {
			s = s[:copy(s, s[cut:])]
		}
	}
	if n := len(s); n == 0 || t >= s[n-1] {
		a.sends = append(s, t)
		return
	}
	p := upperBound(s, t)
	s = append(s, 0)
	copy(s[p+1:], s[p:])
	s[p] = t
	a.sends = s
}

// upperBound returns the index of the first element of s greater than t.
func upperBound(s []int64, t int64) int {
	lo, hi := 0, len(s)
	for lo < hi {
		h := int(uint(lo+hi) >> 1)
		if s[h] <= t {
			lo = h + 1
		} else {
			hi = h
		}
	}
	return lo
}

// monthOf returns the calendar month of t in the account's zone, as
// year*12+month, caching the current month's bounds.
func (a *acct) monthOf(t int64) int {
	if a.notes == nil {
		a.notes = map[int]int{}
	}
	if t >= a.monthLo && t < a.monthHi {
		return a.month
	}
	y, mo, _ := time.Unix(0, t).In(a.loc).Date()
	lo := time.Date(y, mo, 1, 0, 0, 0, 0, a.loc)
	a.monthLo, a.monthHi, a.month = lo.UnixNano(), lo.AddDate(0, 1, 0).UnixNano(), y*12+int(mo)
	return a.month
}

// utf16Len counts s in UTF-16 code units, as a browser's text box does: a
// character outside the Basic Multilingual Plane (most emoji) counts 2.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r >= 0x10000 {
			n++
		}
	}
	return n
}

// Representable request times (int64 nanoseconds since 1970: 1678-2262).
const minSec, maxSec = -9_000_000_000, 9_000_000_000

// unixNano converts t to nanoseconds, reporting whether it is representable
// (the zero time is not). Unrepresentable times clamp to the extremes.
func unixNano(t time.Time) (int64, bool) {
	switch sec := t.Unix(); {
	case sec < minSec:
		return math.MinInt64, false
	case sec > maxSec:
		return math.MaxInt64, false
	}
	return t.UnixNano(), true
}

func toTime(ns int64) time.Time {
	if ns == math.MinInt64 || ns == math.MaxInt64 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}

func fmtTime(ns int64) string { return toTime(ns).Format(time.RFC3339) }
