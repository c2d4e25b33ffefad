package sim

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/pacing"
	"github.com/outreach-scheduler/outreach/platform/sandbox"
)

// tcMonday is Monday 2026-11-23, 00:00 UTC.
var tcMonday = time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)

func tcBoundAccount(weekly, daily int, gap time.Duration, days pacing.Weekdays, hours config.Hours) *config.Account {
	a := tcAccount("a")
	a.Days, a.Hours = days, hours
	a.Limits.Weekly, a.Limits.Daily, a.Limits.MinGap = weekly, daily, gap
	return &a
}

func TestCapacityBound(t *testing.T) {
	nineToTen := config.Hours{Start: 9 * time.Hour, End: 10 * time.Hour}
	cases := []struct {
		name       string
		a          *config.Account
		s          *campaigns.Schedule
		start, end time.Time
		want       int
	}{
		// 09:00, 09:10, ..., 09:50.
		{"hours and gap", tcBoundAccount(1000, 100, 10*time.Minute, pacing.AllWeek, nineToTen), nil, tcMonday, tcMonday.Add(day), 6},
		{"end excluded", tcBoundAccount(1000, 100, 10*time.Minute, pacing.AllWeek, nineToTen), nil, tcMonday, tcMonday.Add(9*time.Hour + 50*time.Minute), 5},
		{"start inside", tcBoundAccount(1000, 100, 10*time.Minute, pacing.AllWeek, nineToTen), nil, tcMonday.Add(9*time.Hour + 55*time.Minute), tcMonday.Add(day), 1},
		{"a week of hours", tcBoundAccount(1000, 100, 10*time.Minute, pacing.AllWeek, nineToTen), nil, tcMonday, tcMonday.Add(7 * day), 42},
		{"daily cap", tcBoundAccount(1000, 4, 10*time.Minute, pacing.AllWeek, nineToTen), nil, tcMonday, tcMonday.Add(7 * day), 28},
		// Ten on Monday from 09:00; the first leaves the window at 09:00 a week later.
		{"weekly cap", tcBoundAccount(10, 100, 3*time.Minute, pacing.AllWeek, config.DefaultHours), nil, tcMonday, tcMonday.Add(7*day + 9*time.Hour), 10},
		{"weekly window is (t-7d, t]", tcBoundAccount(10, 100, 3*time.Minute, pacing.AllWeek, config.DefaultHours), nil, tcMonday, tcMonday.Add(7*day + 9*time.Hour + time.Millisecond), 11},
		{"two weeks", tcBoundAccount(10, 100, 3*time.Minute, pacing.AllWeek, config.DefaultHours), nil, tcMonday, tcMonday.Add(14 * day), 20},
		// Premium defaults: 30 a day on five days make the 150 a week.
		{"premium week", tcBoundAccount(150, 30, 3*time.Minute, pacing.WorkWeek, config.DefaultHours), nil, tcMonday, tcMonday.Add(7 * day), 150},
		{"premium day", tcBoundAccount(150, 30, 3*time.Minute, pacing.WorkWeek, config.DefaultHours), nil, tcMonday, tcMonday.Add(day), 30},
		{"weekend", tcBoundAccount(150, 30, 3*time.Minute, pacing.WorkWeek, config.DefaultHours), nil, tcMonday.Add(5 * day), tcMonday.Add(7 * day), 0},
		// The schedule's hours (10:00-11:00) replace the account's.
		{"schedule", tcBoundAccount(1000, 100, 10*time.Minute, pacing.AllWeek, config.DefaultHours),
			&campaigns.Schedule{Hours: config.Hours{Start: 10 * time.Hour, End: 11 * time.Hour}}, tcMonday, tcMonday.Add(day), 6},
		{"weekly zero", tcBoundAccount(0, 1, 3*time.Minute, pacing.AllWeek, config.DefaultHours), nil, tcMonday, tcMonday.Add(7 * day), 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := CapacityBound(tc.a, tc.s, tc.start, tc.end); got != tc.want {
				t.Errorf("CapacityBound = %d, want %d", got, tc.want)
			}
		})
	}
}

// TestCapacityBoundWarmup: 20 in the first week of warm-up, at 4 a day,
// even with a daily cap of 100.
func TestCapacityBoundWarmup(t *testing.T) {
	a := tcBoundAccount(100, 100, 3*time.Minute, pacing.AllWeek, config.DefaultHours)
	if got := CapacityBound(a, nil, tcMonday, tcMonday.Add(7*day)); got != 100 {
		t.Errorf("without warm-up: %d, want 100", got)
	}
	a.WarmupStart = tcMonday
	if got := CapacityBound(a, nil, tcMonday, tcMonday.Add(7*day)); got != 20 {
		t.Errorf("first week of warm-up: %d, want 20", got)
	}
	if got := CapacityBound(a, nil, tcMonday, tcMonday.Add(day)); got != 4 {
		t.Errorf("first day of warm-up: %d, want 4", got)
	}
	// Around the clock: the first week's 20 go by Friday; the cap rises at
	// midnight a week after the start, before any of them leaves the
	// window, and the new day allows 8.
	a.Hours = config.Hours{Start: 0, End: 24 * time.Hour}
	if got := CapacityBound(a, nil, tcMonday.Add(12*time.Hour), tcMonday.Add(7*day+12*time.Hour)); got != 28 {
		t.Errorf("across the first raise: %d, want 20+8", got)
	}
	a.Hours = config.DefaultHours
	// The second week allows 40 in any 7 days, 8 a day: more than 20, at
	// most 40 in days 7 to 13.
	two := CapacityBound(a, nil, tcMonday, tcMonday.Add(14*day))
	if two < 20+8*4 || two > 20+40 {
		t.Errorf("two weeks of warm-up: %d, want 52 to 60", two)
	}
}

// TestDailyCap: warm-up spreads the week over the days; afterwards the
// account's own daily cap holds, even above Weekly/5.
func TestDailyCap(t *testing.T) {
	a := tcBoundAccount(150, 50, time.Minute, pacing.AllWeek, config.DefaultHours)
	if got := DailyCap(a, tcMonday); got != 50 {
		t.Errorf("DailyCap without warm-up = %d, want the account's 50", got)
	}
	a.WarmupStart = tcMonday
	for _, tc := range []struct {
		at   time.Time
		want int
	}{{tcMonday.Add(-day), 4}, {tcMonday, 4}, {tcMonday.Add(8 * day), 8}, {tcMonday.Add(35 * day), 24}, {tcMonday.Add(49 * day), 50}} {
		if got := DailyCap(a, tc.at); got != tc.want {
			t.Errorf("DailyCap at %v of warm-up = %d, want %d", tc.at.Sub(tcMonday), got, tc.want)
		}
	}
}

// TestCapacityBoundAgainstReferee cross-checks the bound and the referee
// on random accounts: the greedy schedule keeps every rule, moving any of
// its sends a millisecond earlier breaks one (each send is the earliest
// possible), and random slower schedules, feasible too, never send more.
func TestCapacityBoundAgainstReferee(t *testing.T) {
	zones := []string{"UTC", "America/New_York", "Europe/Berlin", "Australia/Sydney", "Asia/Kolkata"}
	hours := []config.Hours{config.DefaultHours, {Start: 8*time.Hour + 30*time.Minute, End: 12 * time.Hour}, {Start: 0, End: 24 * time.Hour}, {Start: 22 * time.Hour, End: 24 * time.Hour}}
	days := []pacing.Weekdays{pacing.WorkWeek, pacing.AllWeek, pacing.WeekdaysOf(time.Monday, time.Wednesday, time.Friday)}
	for seed := range uint64(40) {
		r := rand.New(rand.NewPCG(seed, 7))
		a := tcBoundAccount(5+r.IntN(60), 0, time.Duration(1+r.IntN(90))*time.Minute, days[r.IntN(len(days))], hours[r.IntN(len(hours))])
		a.Limits.Daily = 1 + r.IntN(a.Limits.Weekly)
		a.Location = tcLoc(t, zones[r.IntN(len(zones))])
		if r.IntN(2) == 0 {
			a.WarmupStart = tcMonday.AddDate(0, 0, -r.IntN(20))
		}
		c := tcCampaign("c", "")
		if r.IntN(3) == 0 {
			c.Schedule = &campaigns.Schedule{Days: days[r.IntN(len(days))], Hours: hours[r.IntN(2)], Location: tcLoc(t, zones[r.IntN(len(zones))])}
		}
		// Over the end of daylight-saving time in the north (2026-10-25,
		// 2026-11-01) and its start in the south (2026-10-04).
		start := time.Date(2026, 9, 28, 7, 0, 0, 0, time.UTC).Add(time.Duration(r.IntN(48*60)) * time.Minute)
		end := start.Add(time.Duration(20+r.IntN(30)) * day)
		cfg := tcConfig(*a)
		camps := []*campaigns.Campaign{c}
		name := fmt.Sprintf("seed %d (weekly %d, daily %d, gap %v, %s %s %s, warm-up %v, schedule %v)", seed,
			a.Limits.Weekly, a.Limits.Daily, a.Limits.MinGap, a.Days, a.Hours, a.Location, a.WarmupStart, c.Schedule != nil)

		var greedy []time.Time
		n := greedySends(a, c.Schedule, start, end, nil, func(t time.Time) { greedy = append(greedy, t) })
		if n != CapacityBound(a, c.Schedule, start, end) || n != len(greedy) || n == 0 {
			t.Fatalf("%s: %d sends, bound %d", name, n, CapacityBound(a, c.Schedule, start, end))
		}
		if vs := CheckInvariants(cfg, camps, tcSends(greedy), nil); len(vs) > 0 {
			t.Fatalf("%s: the greedy schedule breaks a rule: %v", name, vs[0])
		}
		for k := range greedy {
			earlier := greedy[k].Add(-time.Millisecond)
			if earlier.Before(start) {
				continue
			}
			moved := append(append([]time.Time(nil), greedy[:k]...), earlier)
			if vs := CheckInvariants(cfg, camps, tcSends(moved), nil); len(vs) == 0 {
				t.Fatalf("%s: send %d at %v could have been a millisecond earlier", name, k, greedy[k])
			}
		}
		for range 3 {
			var slow []time.Time
			m := greedySends(a, c.Schedule, start, end, func() time.Duration { return time.Duration(r.IntN(600)) * time.Minute },
				func(t time.Time) { slow = append(slow, t) })
			if m > n {
				t.Fatalf("%s: a slower schedule sent %d, more than the bound %d", name, m, n)
			}
			if vs := CheckInvariants(cfg, camps, tcSends(slow), nil); len(vs) > 0 {
				t.Fatalf("%s: a slower schedule breaks a rule: %v", name, vs[0])
			}
		}
	}
}

// tcSends is a record of blank invitations of account "a" in campaign "c"
// at the given times, each to a new person.
func tcSends(times []time.Time) []sandbox.Entry {
	r := &tcRecord{}
	for i, at := range times {
		r.invite("a", fmt.Sprint("p", i), "c", at)
	}
	return r.record
}
