package sim

import (
	"context"
	"maps"
	"reflect"
	"testing"
	"time"
)

// timelineWorld: two campaigns sharing account a (one shard), a third
// alone (a second shard) with its own withdraw_after and a follow-up
// message; c warms up from the start, d limits itself to 40 a week.
func timelineWorld(t *testing.T) *world {
	return buildWorld(t, worldSpec{
		defaults: "min_gap: 5m\njitter: 1.0\n",
		accounts: []string{"id: a\ntier: premium", "id: b\ntier: free",
			"id: c\ntier: sales_navigator\nwarmup_start: 2026-11-23", "id: d\ntier: premium\nlimits: {weekly: 40}"},
		prospects: 300,
		campaigns: []string{
			"name: one\naccounts: [a, b]\nsteps:\n  - connect: {}\n",
			"name: two\naccounts: [a, c]\nsteps:\n  - connect: {}\n",
			"name: three\naccounts: [d]\nsteps:\n  - connect: {withdraw_after: 10d}\n" +
				"  - message:\n      wait: 1h\n      text: \"Thanks for connecting, {{.first_name}}!\"\n",
		},
	})
}

// TestTimelineFromEvents recomputes the weeks from the event stream, the
// ground truth, and compares: counts per week, pending at each week's end,
// the cumulative acceptance, the last invitation, the weekly caps, and
// AnswersBy.
func TestTimelineFromEvents(t *testing.T) {
	w := timelineWorld(t)
	opt := w.options()
	opt.Start = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	opt.Days = 45 // six weeks and three days
	opt.Seed = 3
	type key struct {
		name string
		week int
	}
	got := map[key]*Week{}
	last := map[string]time.Time{}
	week := func(name string, t time.Time) *Week {
		k := 0
		for !t.Before(opt.Start.AddDate(0, 0, 7*(k+1))) {
			k++
		}
		if got[key{name, k}] == nil {
			got[key{name, k}] = &Week{Start: opt.Start.AddDate(0, 0, 7*k)}
		}
		return got[key{name, k}]
	}
	skips := map[string]map[string]int{}
	opt.OnEvent = func(e Event) {
		for _, name := range []string{"campaign " + e.Campaign, "account " + e.Account} {
			w := week(name, e.T)
			switch e.Event {
			case "followed":
				w.Followed++
			case "invited":
				w.Invited++
				last[name] = e.T
			case "accepted":
				w.Accepted++
			case "declined":
				w.Declined++
			case "withdrawn":
				w.Withdrawn++
			case "expired":
				w.Expired++
			case "messaged":
				w.Messaged++
			case "replied":
				w.Replied++
			case "skipped":
				w.Skipped++
			}
		}
		if e.Event == "skipped" || e.Event == "message_skipped" {
			if skips[e.Campaign+" "+e.Event] == nil {
				skips[e.Campaign+" "+e.Event] = map[string]int{}
			}
			skips[e.Campaign+" "+e.Event][e.Reason]++
		}
	}
	res, err := Run(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(shards(w.camps, w.options().sources)) != 2 {
		t.Fatal("the world should run as two shards")
	}
	check := func(name string, weeks []Week, days []Counts, total Counts, caps []int) {
		t.Helper()
		if len(weeks) != 7 || len(days) != 45 {
			t.Fatalf("%s: %d weeks, %d days; want 7 and 45", name, len(weeks), len(days))
		}
		if days[44] != total {
			t.Errorf("%s: the last day's totals %+v, the forecast's %+v", name, days[44], total)
		}
		var cum Counts
		for k, have := range weeks {
			want := Week{Start: opt.Start.AddDate(0, 0, 7*k)}
			if g := got[key{name, k}]; g != nil {
				want = *g
			}
			cum.Invited += want.Invited
			cum.Accepted += want.Accepted
			cum.Pending += want.Invited - want.Accepted - want.Declined - want.Withdrawn - want.Expired
			want.Pending = cum.Pending
			want.Acceptance = round3(cum.AcceptanceRate())
			if caps != nil {
				want.WeeklyCap = caps[k]
			}
			if have != want {
				t.Errorf("%s week %d:\n got  %+v\n want %+v", name, k, have, want)
			}
		}
		if weeks[6].Pending != total.Pending {
			t.Errorf("%s: pending %d at the last week's end, %d at the forecast's", name, weeks[6].Pending, total.Pending)
		}
	}
	active := 0
	for _, c := range res.Campaigns {
		name := "campaign " + c.Name
		check(name, c.Weeks, c.Days, c.Counts, nil)
		if !c.LastInvited.Equal(last[name]) {
			t.Errorf("%s: last invited %v, the events' %v", name, c.LastInvited, last[name])
		}
		if !maps.Equal(c.Skips, skips[c.Name+" skipped"]) || !maps.Equal(c.MessageSkips, skips[c.Name+" message_skipped"]) {
			t.Errorf("%s: skips %v %v, the events' %v %v", name, c.Skips, c.MessageSkips, skips[c.Name+" skipped"], skips[c.Name+" message_skipped"])
		}
		withdraw := 21 * 24 * time.Hour
		if c.Name == "three" {
			withdraw = 10 * 24 * time.Hour
			if c.Messaged == 0 || c.Withdrawn == 0 {
				t.Errorf("three: messaged %d, withdrawn %d: the world should exercise both", c.Messaged, c.Withdrawn)
			}
		}
		want := time.Time{}
		if !c.Completed.IsZero() {
			want = c.LastInvited.Add(min(withdraw, res.AnswerDelay))
			active++
		}
		if !c.AnswersBy.Equal(want) {
			t.Errorf("%s: answers by %v, want %v (completed %v, last invited %v)", name, c.AnswersBy, want, c.Completed, c.LastInvited)
		}
	}
	if active == 0 {
		t.Error("no campaign completed: AnswersBy is not exercised")
	}
	if d := res.AnswerDelay; d < 21*24*time.Hour || d > 22*24*time.Hour {
		t.Errorf("AnswerDelay %v, want the default curve's 95%% point, 21d 15h", d)
	}
	caps := map[string][]int{
		"a": {150, 150, 150, 150, 150, 150, 150},
		"b": {100, 100, 100, 100, 100, 100, 100},
		"c": {20, 40, 60, 80, 100, 120, 140}, // warm-up from midnight before the start
		"d": {40, 40, 40, 40, 40, 40, 40},
	}
	for _, a := range res.Accounts {
		check("account "+a.ID, a.Weeks, a.Days, a.Counts, caps[a.ID])
	}
}

// TestDayClock: days are calendar days in the start's zone, 23 or 25
// hours long when the clock changes.
func TestDayClock(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip(err)
	}
	start := time.Date(2026, 10, 20, 9, 0, 0, 0, berlin) // summer time ends on 25 October
	c := newDayClock(start, 30)
	for _, i := range []int{0, 1, 4, 5, 6, 12, 29} {
		at := start.AddDate(0, 0, i)
		if got := c.day(at); got != i {
			t.Errorf("day(%v) = %d, want %d", at, got, i)
		}
		if got := c.day(at.Add(-time.Nanosecond)); i > 0 && got != i-1 {
			t.Errorf("day(%v - 1ns) = %d, want %d", at, got, i-1)
		}
	}
	for _, tc := range []struct {
		at   time.Time
		want int
	}{{start.Add(-time.Hour), 0}, {start.AddDate(0, 0, 31), 29}, {start.AddDate(0, 0, 6).Add(-30 * time.Minute), 5}} {
		if got := c.day(tc.at); got != tc.want {
			t.Errorf("day(%v) = %d, want %d", tc.at, got, tc.want)
		}
	}
}

// TestTimelineShardsAgree: the weeks are the same whether the campaigns
// run as one shard or apart (a campaign's timeline cannot depend on how
// the world was split).
func TestTimelineShardsAgree(t *testing.T) {
	w := timelineWorld(t)
	run := func(camps []int) *Result {
		opt := w.options()
		opt.Campaigns = nil
		for _, i := range camps {
			opt.Campaigns = append(opt.Campaigns, w.camps[i])
		}
		opt.Start = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
		opt.Days = 30
		opt.Seed = 3
		res, err := Run(context.Background(), opt)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	all, alone := run([]int{0, 1, 2}), run([]int{2})
	if !reflect.DeepEqual(all.Campaigns[2].Weeks, alone.Campaigns[0].Weeks) || !reflect.DeepEqual(all.Accounts[3].Weeks, alone.Accounts[3].Weeks) {
		t.Errorf("campaign three's weeks differ with the other shard:\n%+v\n%+v", all.Campaigns[2].Weeks, alone.Campaigns[0].Weeks)
	}
	if len(alone.Accounts[0].Weeks) != 5 || alone.Accounts[0].Weeks[0].WeeklyCap != 150 || alone.Accounts[0].Invited != 0 {
		t.Errorf("an account nobody used still has its weeks and its cap: %+v", alone.Accounts[0].Weeks)
	}
}
