package sim

// The referee's per-account pass: pacing, notes and withdrawals (see
// CheckInvariants).

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/pacing"
)

// byAccount sorts the items by account and time and checks the pacing
// rules and withdrawals of each account.
func (c *referee) byAccount() {
	items := c.items
	slices.SortFunc(items, func(x, y refItem) int {
		if x.acct != y.acct {
			return cmp.Compare(x.acct, y.acct)
		}
		return refByTime(&x, &y)
	})
	pending := make([]bool, len(c.record)) // by record index of an invitation
	for i := 0; i < len(items); {
		j := i + 1
		for j < len(items) && items[j].acct == items[i].acct {
			j++
		}
		c.checkAccount(&c.cfg.Accounts[items[i].acct], items[i:j], pending)
		i = j
	}
}

// refWindow is a cached calendar day or month: [lo, hi) and a count in it.
type refWindow struct {
	lo, hi time.Time
	n      int
}

// refOpen answers Calendar.Open for times in increasing order, one
// calendar computation per day.
type refOpen struct {
	cal            pacing.Calendar
	dayLo, dayHi   time.Time
	openLo, openHi time.Time
	works          bool
	initialized    bool
}

func (o *refOpen) open(t time.Time) bool {
	if !o.initialized || t.Before(o.dayLo) || !t.Before(o.dayHi) {
		o.initialized = true
		o.dayLo, o.dayHi = o.cal.Day(t)
		var ok bool
		o.openLo, o.openHi, ok = o.cal.NextOpen(o.dayLo)
		o.works = ok && o.openLo.Before(o.dayHi)
	}
	return o.works && !t.Before(o.openLo) && t.Before(o.openHi)
}

// checkAccount checks one account's items, sorted by time.
func (c *referee) checkAccount(a *config.Account, items []refItem, pending []bool) {
	var (
		times      []int64 // invitation times, in order
		lo         int     // first invitation in the rolling week of the latest one
		queue      []int32 // invitations in time order (record index), pending or not
		oldest     int     // no pending invitation in queue before this
		nPending   int
		day, month refWindow
		zone       = pacing.Calendar{Location: a.Location}
		cals       = map[int32]*refOpen{}
		week       = int64(pacing.Week)
	)
	for i := range items {
		it := &items[i]
		switch it.kind {
		case refInvite:
			e := &c.record[it.src]
			t := e.At
			for lo < len(times) && times[lo] <= it.at-week {
				lo++
			}
			if n, limit := len(times)-lo+1, pacing.Warmup(a.WarmupStart, a.Limits.Weekly, t); n > limit {
				c.add(RuleWeekly, a.ID, e.Person, e.Campaign, t, "%d invitations in the 7 days to this one, cap %d", n, limit)
			}
			if n := len(times); n > 0 && it.at-times[n-1] < int64(a.Limits.MinGap) {
				c.add(RuleGap, a.ID, e.Person, e.Campaign, t, "%v after the previous invitation, minimum gap %v",
					time.Duration(it.at-times[n-1]), a.Limits.MinGap)
			}
			times = append(times, it.at)
			if lo > 4096 && lo > len(times)/2 {
				times, lo = append(times[:0], times[lo:]...), 0
			}
			if day.n++; day.hi.IsZero() || !t.Before(day.hi) {
				day.lo, day.hi = zone.Day(t)
				day.n = 1
			}
			if limit := DailyCap(a, t); limit != pacing.Unlimited && day.n > limit {
				c.add(RuleDaily, a.ID, e.Person, e.Campaign, t, "invitation %d of the day of %s, cap %d", day.n, day.lo.Format(time.DateOnly), limit)
			}
			oc := cals[it.camp]
			if oc == nil {
				var s *campaigns.Schedule
				if it.camp >= 0 {
					s = c.camps[it.camp].c.Schedule
				}
				oc = &refOpen{cal: campaigns.Calendar(a, s)}
				cals[it.camp] = oc
			}
			if !oc.open(t) {
				lt := t.In(refLoc(oc.cal.Location))
				c.add(RuleHours, a.ID, e.Person, e.Campaign, t, "sent %s %s, outside working time (%s)",
					lt.Weekday().String()[:3], lt.Format("15:04:05 MST"), refHours(oc.cal))
			}
			if e.Chars > a.Limits.NoteChars {
				c.add(RuleNoteChars, a.ID, e.Person, e.Campaign, t, "a note of %d characters, limit %d", e.Chars, a.Limits.NoteChars)
			}
			if e.HasNote {
				if month.n++; month.hi.IsZero() || !t.Before(month.hi) {
					month.lo, month.hi = zone.Month(t)
					month.n = 1
				}
				if lim := a.Limits.NotesPerMonth; lim != pacing.Unlimited && month.n > lim {
					c.add(RuleNotesMonth, a.ID, e.Person, e.Campaign, t, "personalized note %d of %s, allowance %d", month.n, month.lo.Format("January 2006"), lim)
				}
			}
			if nPending >= a.Limits.MaxPending {
				c.add(RuleMaxPending, a.ID, e.Person, e.Campaign, t, "sent with %d invitations pending, ceiling %d", nPending, a.Limits.MaxPending)
			}
			pending[it.src] = true
			nPending++
			queue = append(queue, it.src)
		case refWithdraw:
			if it.link < 0 {
				continue
			}
			c.checkWithdraw(a, it, nPending, func() int32 {
				for oldest < len(queue) && !pending[queue[oldest]] {
					oldest++
				}
				return queue[oldest] // the withdrawn invitation is pending, so one is
			})
			pending[it.link] = false
			nPending--
		case refAccepted, refDeclined, refExpired:
			if it.link >= 0 {
				pending[it.link] = false
				nPending--
			}
		}
	}
}

// checkWithdraw checks a withdrawal (linked to its invitation) made when
// the account had nPending pending invitations; oldest returns the record
// index of the oldest of them.
func (c *referee) checkWithdraw(a *config.Account, it *refItem, nPending int, oldest func() int32) {
	after := c.cfg.Defaults.WithdrawAfter
	if it.camp >= 0 {
		after = c.camps[it.camp].withdrawAfter
	}
	age := time.Duration(it.at - it.linkAt)
	if age >= after {
		return
	}
	e, inv := &c.record[it.src], &c.record[it.link]
	if nPending < a.Limits.MaxPending {
		c.add(RuleWithdrawAge, a.ID, e.Person, inv.Campaign, e.At, "withdrawn %v after sending, before withdraw_after %v, with %d pending (ceiling %d)",
			age, after, nPending, a.Limits.MaxPending)
	}
	if o := &c.record[oldest()]; o.At.Before(inv.At) {
		c.add(RuleWithdrawOldest, a.ID, e.Person, inv.Campaign, e.At, "withdrew the invitation of %s early while %s's of %s was older",
			inv.At.UTC().Format(time.RFC3339), o.Person, o.At.UTC().Format(time.RFC3339))
	}
}

// refHours describes a calendar's working time: "mon,tue 09:00-18:00 America/New_York".
func refHours(c pacing.Calendar) string {
	return fmt.Sprintf("%s %s %s", c.Days, config.Hours{Start: c.Start, End: c.End}, refLoc(c.Location))
}

// refLoc is loc, with nil meaning UTC as in pacing.Calendar.
func refLoc(loc *time.Location) *time.Location {
	if loc == nil {
		return time.UTC
	}
	return loc
}
