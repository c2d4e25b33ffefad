package pacing_test

import (
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/pacing"
)

func TestWarmup(t *testing.T) {
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	week := pacing.Week
	for _, c := range []struct {
		name  string
		start time.Time
		cap   int
		at    time.Time
		want  int
	}{
		{"no warm-up", time.Time{}, 150, start, 150},
		{"before start", start, 150, start.Add(-time.Hour), 20},
		{"first instant", start, 150, start, 20},
		{"end of week 1", start, 150, start.Add(week - time.Millisecond), 20},
		{"week 2", start, 150, start.Add(week), 40},
		{"week 3", start, 150, start.Add(2*week + time.Hour), 60},
		{"week 7", start, 150, start.Add(6 * week), 140},
		{"week 8: capped", start, 150, start.Add(7 * week), 150},
		{"a year on", start, 150, start.AddDate(1, 0, 0), 150},
		{"cap below the step", start, 15, start, 15},
		{"cap equal to a step", start, 100, start.Add(4 * week), 100},
		{"cap between steps", start, 90, start.Add(4 * week), 90},
		{"cap between steps, earlier", start, 90, start.Add(3 * week), 80},
		{"decades on", start, 200, start.AddDate(80, 0, 0), 200},
	} {
		if got := pacing.Warmup(c.start, c.cap, c.at); got != c.want {
			t.Errorf("%s: Warmup(%v, %d, %v) = %d, want %d", c.name, c.start, c.cap, c.at, got, c.want)
		}
	}
}

func TestRulesFor(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	l := pacing.Limits{Weekly: 150, Daily: 30, NotesPerMonth: 5, MinGap: 3 * time.Minute}
	// 02:30 UTC on Nov 2 is still Nov 1 in New York; Nov 1 2026 has 25 hours there
	at := time.Date(2026, 11, 2, 2, 30, 0, 0, time.UTC)
	r := pacing.RulesFor(l, time.Date(2026, 10, 30, 0, 0, 0, 0, time.UTC), ny, at)
	wantDay := time.Date(2026, 11, 1, 0, 0, 0, 0, ny)
	if !r.DayStart.Equal(wantDay) || r.DayEnd.Sub(r.DayStart) != 25*time.Hour {
		t.Errorf("day [%v, %v), want the 25-hour Nov 1 in New York", r.DayStart, r.DayEnd)
	}
	if !r.MonthStart.Equal(wantDay) || !r.MonthEnd.Equal(time.Date(2026, 12, 1, 0, 0, 0, 0, ny)) {
		t.Errorf("month [%v, %v), want November in New York", r.MonthStart, r.MonthEnd)
	}
	if r.Weekly != 20 || r.Daily != 4 || r.MinGap != l.MinGap || r.NotesPerMonth != 5 {
		t.Errorf("rules %+v: want weekly 20 (warm-up), daily 4 (a fifth of the ramp week)", r)
	}
	if err := (pacing.Request{Account: "a", ID: "1", At: at, Note: true, Rules: r}).Validate(); err != nil {
		t.Errorf("RulesFor gives an invalid request: %v", err)
	}
	r = pacing.RulesFor(pacing.Limits{Weekly: 100, Daily: pacing.Unlimited, NotesPerMonth: pacing.Unlimited}, time.Time{}, nil, at)
	if r.Weekly != 100 || r.Daily != pacing.Unlimited || r.DayStart.Location() != time.UTC {
		t.Errorf("rules %+v: want weekly 100, daily unlimited, UTC", r)
	}
}

func TestEffectiveDaily(t *testing.T) {
	cases := []struct{ daily, weekly, cap, want int }{
		{30, 150, 150, 30}, // no warm-up: the daily cap
		{30, 20, 150, 4},   // first warm-up week: a fifth of 20
		{30, 140, 150, 28}, // late in the ramp
		{3, 20, 150, 3},    // an explicit daily cap below the ramp's share
		{30, 3, 150, 1},    // at least one a day
		{pacing.Unlimited, 20, 150, pacing.Unlimited}, // no daily cap
		{50, 40, 40, 40}, // never above the week
	}
	for _, c := range cases {
		if got := pacing.EffectiveDaily(c.daily, c.weekly, c.cap); got != c.want {
			t.Errorf("EffectiveDaily(%d, %d, %d) = %d, want %d", c.daily, c.weekly, c.cap, got, c.want)
		}
	}
}
