package pacing

import (
	"testing"
	"time"
)

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestCalendarNextOpen(t *testing.T) {
	ny := mustLoc(t, "America/New_York")
	weekdays := WeekdaysOf(time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday)
	c := Calendar{Location: ny, Days: weekdays, Start: 9 * time.Hour, End: 18 * time.Hour}
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, ny)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cases := []struct {
		name, now, want, end string
	}{
		{"inside hours", "2026-11-23 10:30", "2026-11-23 10:30", "2026-11-23 18:00"},
		{"before hours", "2026-11-23 07:00", "2026-11-23 09:00", "2026-11-23 18:00"},
		{"after hours", "2026-11-23 18:00", "2026-11-24 09:00", "2026-11-24 18:00"},
		{"friday evening to monday", "2026-11-27 19:00", "2026-11-30 09:00", "2026-11-30 18:00"},
		{"saturday", "2026-11-28 12:00", "2026-11-30 09:00", "2026-11-30 18:00"},
		// DST ends 2026-11-01 (a Sunday); the next Monday's hours are wall-clock 09:00 EST.
		{"after DST end", "2026-10-30 18:30", "2026-11-02 09:00", "2026-11-02 18:00"},
		// DST starts 2026-03-08 (a Sunday).
		{"after DST start", "2026-03-06 20:00", "2026-03-09 09:00", "2026-03-09 18:00"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, end, ok := c.NextOpen(at(tc.now))
			if !ok || !got.Equal(at(tc.want)) || !end.Equal(at(tc.end)) {
				t.Fatalf("NextOpen(%s) = %v, %v, %v; want %s, %s", tc.now, got.In(ny), end.In(ny), ok, tc.want, tc.end)
			}
			if !c.Open(got) || c.Open(end) {
				t.Fatalf("Open disagrees with NextOpen at %v / %v", got, end)
			}
		})
	}
}

func TestCalendarDSTDayLengths(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	c := Calendar{Location: berlin, Days: AllWeek, Start: 0, End: 24 * time.Hour}
	cases := []struct {
		day  string
		want time.Duration
	}{
		{"2026-03-29", 23 * time.Hour}, // spring forward
		{"2026-10-25", 25 * time.Hour}, // fall back
		{"2026-11-22", 24 * time.Hour},
	}
	for _, tc := range cases {
		d, _ := time.ParseInLocation("2006-01-02", tc.day, berlin)
		start, end := c.Day(d.Add(12 * time.Hour))
		if got := end.Sub(start); got != tc.want {
			t.Errorf("%s lasts %v, want %v", tc.day, got, tc.want)
		}
		from, to, ok := c.NextOpen(start)
		if !ok || !from.Equal(start) || !to.Equal(end) {
			t.Errorf("%s: around-the-clock period = %v-%v, want the whole day", tc.day, from, to)
		}
	}
}

func TestCalendarNeverOpen(t *testing.T) {
	for _, c := range []Calendar{
		{Days: 0, Start: 0, End: time.Hour},
		{Days: AllWeek, Start: time.Hour, End: time.Hour},
	} {
		if _, _, ok := c.NextOpen(time.Unix(0, 0)); ok {
			t.Errorf("%+v: NextOpen ok on a calendar that is never open", c)
		}
		if c.Validate() == nil {
			t.Errorf("%+v: Validate accepted an empty calendar", c)
		}
	}
}

func TestCalendarMonth(t *testing.T) {
	tokyo := mustLoc(t, "Asia/Tokyo")
	c := Calendar{Location: tokyo}
	// 2026-11-30 20:00 UTC is already December 1st in Tokyo.
	start, end := c.Month(time.Date(2026, 11, 30, 20, 0, 0, 0, time.UTC))
	if want := time.Date(2026, 12, 1, 0, 0, 0, 0, tokyo); !start.Equal(want) {
		t.Errorf("month start %v, want %v", start, want)
	}
	if want := time.Date(2027, 1, 1, 0, 0, 0, 0, tokyo); !end.Equal(want) {
		t.Errorf("month end %v, want %v", end, want)
	}
}

func TestWeekdaysString(t *testing.T) {
	w := WeekdaysOf(time.Sunday, time.Monday, time.Friday)
	if got := w.String(); got != "mon,fri,sun" {
		t.Errorf("got %q", got)
	}
}
