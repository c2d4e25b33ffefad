package sim

import (
	"fmt"
	"time"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/lifecycle"
	"github.com/outreach-scheduler/outreach/platform/sandbox"
	"github.com/outreach-scheduler/outreach/worker"
)

// AnswerShare is the share of the answers the forecast dates: a campaign's
// AnswersBy is when this share of the answers to its invitations is in.
const AnswerShare = 0.95

// Week is one week of a forecast: weeks run from the forecast's start in
// steps of seven days in the start's zone (the last one ends with the
// forecast and may be shorter). It counts what happened in the week, and
// what was pending at its end.
type Week struct {
	Start     time.Time `json:"week"`
	Followed  int       `json:"followed"`
	Invited   int       `json:"invited"`
	Accepted  int       `json:"accepted"`
	Declined  int       `json:"declined"`
	Withdrawn int       `json:"withdrawn"`
	Expired   int       `json:"expired"`
	Messaged  int       `json:"messaged"`
	Replied   int       `json:"replied"` // prospects who replied (no message followed)
	Skipped   int       `json:"skipped"`
	Pending   int       `json:"pending"` // invited and unanswered at the week's end
	// Acceptance is accepted / invited from the forecast's start to the
	// week's end, rounded to 3 decimals (0 before the first invitation):
	// invitations still pending pull it down.
	Acceptance float64 `json:"acceptance"`
	// WeeklyCap (accounts only) is the account's weekly cap at the week's
	// start, as the limiter applies it: limits.weekly, warm-up included.
	WeeklyCap int `json:"weekly_cap,omitempty"`
}

// dayClock maps times to the days of a forecast: day i is
// [start.AddDate(0, 0, i), start.AddDate(0, 0, i+1)), calendar days in the
// start's zone. It remembers the last day found, as events come in time
// order.
type dayClock struct {
	start  time.Time
	n      int
	idx    int
	lo, hi time.Time
}

func newDayClock(start time.Time, days int) dayClock {
	return dayClock{start: start, n: days, lo: start, hi: start.AddDate(0, 0, 1)}
}

// day is the index of t's day, clamped to [0, n).
func (c *dayClock) day(t time.Time) int {
	if !t.Before(c.lo) && t.Before(c.hi) {
		return c.idx
	}
	i := int(t.Sub(c.start) / (24 * time.Hour))
	// A calendar day is 23 or 25 hours when the zone changes its clock.
	for i > 0 && t.Before(c.start.AddDate(0, 0, i)) {
		i--
	}
	for i < c.n-1 && !t.Before(c.start.AddDate(0, 0, i+1)) {
		i++
	}
	i = min(max(i, 0), c.n-1)
	c.idx, c.lo, c.hi = i, c.start.AddDate(0, 0, i), c.start.AddDate(0, 0, i+1)
	return i
}

// countDay counts ev on day d of days (n long, allocated on first use);
// the days hold each day's own counts until finishTimeline sums them.
func countDay(days []Counts, n, d int, ev lifecycle.Event) []Counts {
	if days == nil {
		days = make([]Counts, n)
	}
	days[d].Add(ev)
	return days
}

// addDays adds src's days to dst's (nil dst: src).
func addDays(dst, src []Counts) []Counts {
	if dst == nil {
		return src
	}
	for i := range src {
		dst[i] = dst[i].Plus(src[i])
	}
	return dst
}

// finishTimeline turns the days' counts into running totals and derives
// the weeks, the accounts' weekly caps, and each campaign's AnswersBy; Run
// calls it once, after the shards' results are merged.
func finishTimeline(res *Result, cfg *config.Config, camps []*campaigns.Campaign, days int) error {
	opt, err := sandbox.OptionsFromConfig(cfg, 1)
	if err != nil {
		return fmt.Errorf("sim: %w", err)
	}
	res.AnswerDelay = sandbox.DelayQuantile(opt.Delays, AnswerShare)
	rules := worker.ConfigRules(cfg)
	for i := range res.Accounts {
		a := &res.Accounts[i]
		a.Days = cumulate(a.Days, days)
		a.Weeks = weeks(res.Start, a.Days)
		for k := range a.Weeks {
			if r, err := rules(a.ID, a.Weeks[k].Start); err == nil {
				a.Weeks[k].WeeklyCap = r.Weekly
			}
		}
	}
	withdraw := map[string]time.Duration{}
	for _, c := range camps {
		withdraw[c.Name] = cfg.Defaults.WithdrawAfter
		if cn := c.ConnectStep(); cn != nil && cn.WithdrawAfter > 0 {
			withdraw[c.Name] = cn.WithdrawAfter
		}
	}
	for i := range res.Campaigns {
		c := &res.Campaigns[i]
		c.Days = cumulate(c.Days, days)
		c.Weeks = weeks(res.Start, c.Days)
		if !c.Completed.IsZero() && !c.LastInvited.IsZero() {
			c.AnswersBy = c.LastInvited.Add(min(res.AnswerDelay, withdraw[c.Name]))
		}
	}
	return nil
}

// cumulate turns each day's counts into the totals at the day's end.
func cumulate(d []Counts, days int) []Counts {
	if d == nil {
		return make([]Counts, days)
	}
	for i := 1; i < len(d); i++ {
		d[i] = d[i].Plus(d[i-1])
	}
	return d
}

// weeks are the weekly rows of the running daily totals d.
func weeks(start time.Time, d []Counts) []Week {
	var out []Week
	var prev Counts
	for k := 0; k < len(d); k += 7 {
		end := d[min(k+7, len(d))-1]
		w := Week{
			Start:     start.AddDate(0, 0, k),
			Followed:  end.Followed - prev.Followed,
			Invited:   end.Invited - prev.Invited,
			Accepted:  end.Accepted - prev.Accepted,
			Declined:  end.Declined - prev.Declined,
			Withdrawn: end.Withdrawn - prev.Withdrawn,
			Expired:   end.Expired - prev.Expired,
			Messaged:  end.Messaged - prev.Messaged,
			Replied:   end.Replied - prev.Replied,
			Skipped:   end.Skipped - prev.Skipped,
			Pending:   end.Pending,
		}
		w.Acceptance = round3(end.AcceptanceRate())
		out = append(out, w)
		prev = end
	}
	return out
}
