package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/outreach-scheduler/outreach/pacing"
)

// Weekdays is a set of days of the week (pacing.Weekdays). In YAML it is a
// list of three-letter lower-case names, mon to sun.
type Weekdays = pacing.Weekdays

// Common sets of days.
const (
	WorkWeek = pacing.WorkWeek
	AllWeek  = pacing.AllWeek
)

// dayNames are the YAML names of the days, in display order (Monday first).
var dayNames = []struct {
	name string
	day  time.Weekday
}{
	{"mon", time.Monday}, {"tue", time.Tuesday}, {"wed", time.Wednesday}, {"thu", time.Thursday},
	{"fri", time.Friday}, {"sat", time.Saturday}, {"sun", time.Sunday},
}

// ParseWeekday parses a day name: mon, tue, wed, thu, fri, sat or sun.
func ParseWeekday(s string) (time.Weekday, error) {
	for _, n := range dayNames {
		if s == n.name {
			return n.day, nil
		}
	}
	hint := "want mon, tue, wed, thu, fri, sat or sun"
	if lower := strings.ToLower(s); len(lower) >= 3 {
		for _, n := range dayNames {
			if strings.HasPrefix(lower, n.name) {
				hint = fmt.Sprintf("did you mean %q?", n.name)
			}
		}
	}
	return 0, fmt.Errorf("unknown day %q (%s)", s, hint)
}

// ParseWeekdays parses a list of day names into a set. The list must not
// be empty nor name a day twice.
func ParseWeekdays(names []string) (Weekdays, error) {
	if len(names) == 0 {
		return 0, fmt.Errorf("no days given; name at least one of mon, tue, wed, thu, fri, sat, sun")
	}
	var w Weekdays
	for _, s := range names {
		d, err := ParseWeekday(s)
		if err != nil {
			return 0, err
		}
		if w.Has(d) {
			return 0, fmt.Errorf("day %q is listed twice", s)
		}
		w = w.With(d)
	}
	return w, nil
}

// Hours is a daily window of working hours, as offsets from local
// midnight: [Start, End). In YAML it is "HH:MM-HH:MM" (e.g. "09:00-18:00");
// End may be "24:00". Start must be before End: a window across midnight
// is not supported (split the days instead).
type Hours struct {
	Start, End time.Duration
}

// DefaultHours is the default working-hours window, 09:00-18:00.
var DefaultHours = Hours{Start: 9 * time.Hour, End: 18 * time.Hour}

// ParseHours parses "HH:MM-HH:MM" (hours may have one digit).
func ParseHours(s string) (Hours, error) {
	startText, endText, ok := strings.Cut(s, "-")
	if !ok {
		return Hours{}, fmt.Errorf("bad hours %q: want HH:MM-HH:MM, e.g. 09:00-18:00", s)
	}
	start, err := parseClock(strings.TrimSpace(startText))
	if err != nil {
		return Hours{}, fmt.Errorf("bad hours %q: %v", s, err)
	}
	end, err := parseClock(strings.TrimSpace(endText))
	if err != nil {
		return Hours{}, fmt.Errorf("bad hours %q: %v", s, err)
	}
	if start >= end {
		return Hours{}, fmt.Errorf("bad hours %q: start must be before end (windows across midnight are not supported)", s)
	}
	return Hours{Start: start, End: end}, nil
}

// parseClock parses H:MM or HH:MM, 00:00 to 24:00.
func parseClock(s string) (time.Duration, error) {
	hh, mm, ok := strings.Cut(s, ":")
	h, errH := strconv.Atoi(hh)
	m, errM := strconv.Atoi(mm)
	if !ok || errH != nil || errM != nil || len(hh) < 1 || len(hh) > 2 || len(mm) != 2 ||
		hh[0] == '+' || hh[0] == '-' || mm[0] == '+' || mm[0] == '-' {
		return 0, fmt.Errorf("want HH:MM-HH:MM, e.g. 09:00-18:00")
	}
	if h > 24 || m > 59 || (h == 24 && m != 0) {
		return 0, fmt.Errorf("%s is not a time of day (00:00 to 24:00)", s)
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute, nil
}

// IsZero reports whether h is unset.
func (h Hours) IsZero() bool { return h == Hours{} }

// Contains reports whether offset (time since local midnight) is inside
// the window: Start <= offset < End.
func (h Hours) Contains(offset time.Duration) bool { return offset >= h.Start && offset < h.End }

// Len returns the length of the window.
func (h Hours) Len() time.Duration { return h.End - h.Start }

// String writes the window as in YAML: "09:00-18:00".
func (h Hours) String() string { return clock(h.Start) + "-" + clock(h.End) }

func clock(d time.Duration) string {
	return fmt.Sprintf("%02d:%02d", int(d/time.Hour), int(d%time.Hour/time.Minute))
}
