package config

import (
	"testing"
	"time"
)

func TestWeekdays(t *testing.T) {
	if WorkWeek.String() != "mon,tue,wed,thu,fri" || AllWeek.String() != "mon,tue,wed,thu,fri,sat,sun" || Weekdays(0).String() != "" {
		t.Errorf("String: %q %q", WorkWeek, AllWeek)
	}
	for d := time.Sunday; d <= time.Saturday; d++ {
		if WorkWeek.Has(d) != (d != time.Saturday && d != time.Sunday) || !AllWeek.Has(d) || Weekdays(0).Has(d) {
			t.Errorf("Has(%v) wrong", d)
		}
	}
	if AllWeek.Has(7) || AllWeek.Has(-1) {
		t.Error("Has of an invalid day")
	}
	w, err := ParseWeekdays([]string{"sun", "mon"})
	if err != nil || w.String() != "mon,sun" || !w.Has(time.Sunday) || w.Has(time.Tuesday) {
		t.Errorf("ParseWeekdays = %q, %v", w, err)
	}
	for _, c := range []struct {
		in  []string
		msg string
	}{
		{nil, "no days given; name at least one of mon, tue, wed, thu, fri, sat, sun"},
		{[]string{"mon", "mon"}, `day "mon" is listed twice`},
		{[]string{"Monday"}, `unknown day "Monday" (did you mean "mon"?)`},
		{[]string{"Mon"}, `unknown day "Mon" (did you mean "mon"?)`},
		{[]string{"mo"}, `unknown day "mo" (want mon, tue, wed, thu, fri, sat or sun)`},
		{[]string{"weekend"}, `unknown day "weekend" (want mon, tue, wed, thu, fri, sat or sun)`},
	} {
		if _, err := ParseWeekdays(c.in); err == nil || err.Error() != c.msg {
			t.Errorf("ParseWeekdays(%q) error = %v, want %q", c.in, err, c.msg)
		}
	}
}

func TestHours(t *testing.T) {
	h, err := ParseHours("09:00-18:00")
	if err != nil || h != DefaultHours || h.String() != "09:00-18:00" || h.Len() != 9*time.Hour {
		t.Fatalf("ParseHours = %v, %v", h, err)
	}
	for _, c := range []struct {
		offset time.Duration
		in     bool
	}{{0, false}, {9*time.Hour - 1, false}, {9 * time.Hour, true}, {12 * time.Hour, true}, {18*time.Hour - 1, true}, {18 * time.Hour, false}} {
		if h.Contains(c.offset) != c.in {
			t.Errorf("Contains(%v) = %v", c.offset, !c.in)
		}
	}
	for in, want := range map[string]string{
		"9:30-17:00":    "09:30-17:00",
		"00:00-24:00":   "00:00-24:00",
		"22:15-23:45":   "22:15-23:45",
		"08:00 - 12:00": "08:00-12:00",
	} {
		if h, err := ParseHours(in); err != nil || h.String() != want {
			t.Errorf("ParseHours(%q) = %v, %v; want %s", in, h, err, want)
		}
	}
	all, _ := ParseHours("00:00-24:00")
	if !all.Contains(0) || !all.Contains(24*time.Hour-1) || all.Contains(24*time.Hour) {
		t.Error("00:00-24:00 should hold the whole day")
	}
	for in, msg := range map[string]string{
		"":             `bad hours "": want HH:MM-HH:MM, e.g. 09:00-18:00`,
		"9-17":         `bad hours "9-17": want HH:MM-HH:MM, e.g. 09:00-18:00`,
		"09:00":        `bad hours "09:00": want HH:MM-HH:MM, e.g. 09:00-18:00`,
		"9:0-10:00":    `bad hours "9:0-10:00": want HH:MM-HH:MM, e.g. 09:00-18:00`,
		"009:00-10:00": `bad hours "009:00-10:00": want HH:MM-HH:MM, e.g. 09:00-18:00`,
		"+9:00-10:00":  `bad hours "+9:00-10:00": want HH:MM-HH:MM, e.g. 09:00-18:00`,
		"09:00-25:00":  `bad hours "09:00-25:00": 25:00 is not a time of day (00:00 to 24:00)`,
		"09:60-10:00":  `bad hours "09:60-10:00": 09:60 is not a time of day (00:00 to 24:00)`,
		"09:00-24:30":  `bad hours "09:00-24:30": 24:30 is not a time of day (00:00 to 24:00)`,
		"18:00-09:00":  `bad hours "18:00-09:00": start must be before end (windows across midnight are not supported)`,
		"09:00-09:00":  `bad hours "09:00-09:00": start must be before end (windows across midnight are not supported)`,
		"24:00-24:00":  `bad hours "24:00-24:00": start must be before end (windows across midnight are not supported)`,
	} {
		if _, err := ParseHours(in); err == nil || err.Error() != msg {
			t.Errorf("ParseHours(%q) error = %v, want %q", in, err, msg)
		}
	}
	if (Hours{}).IsZero() != true || DefaultHours.IsZero() {
		t.Error("IsZero")
	}
}

func TestCheckWindow(t *testing.T) {
	h, _ := ParseHours("09:00-09:01")
	if msg, ok := CheckWindow(h, 3*time.Minute); ok || msg != "hours 09:00-09:01 leave no time for min_gap 3m" {
		t.Errorf("CheckWindow = %q, %v", msg, ok)
	}
	if _, ok := CheckWindow(h, time.Minute); !ok {
		t.Error("a window as long as the gap is enough for one send")
	}
}
