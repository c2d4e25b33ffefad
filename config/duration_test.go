package config

import (
	"strings"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	good := []struct {
		in   string
		want time.Duration
	}{
		{"0", 0},
		{"90s", 90 * time.Second},
		{"3m", 3 * time.Minute},
		{"2h", 2 * time.Hour},
		{"21d", 21 * 24 * time.Hour},
		{"1w", 7 * 24 * time.Hour},
		{"1w2d", 9 * 24 * time.Hour},
		{"1d12h", 36 * time.Hour},
		{"1h30m15s", time.Hour + 30*time.Minute + 15*time.Second},
		{"30m1h", 90 * time.Minute}, // any order, like Go
		{"0s", 0},
		{"0d", 0},
		{"007m", 7 * time.Minute},
	}
	for _, c := range good {
		got, err := ParseDuration(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	// Every error says what is wrong and then either the value rewritten
	// in the syntax (when that is clear) or the syntax itself.
	const syntax = "; write whole numbers with units s, m, h, d (days) or w (weeks), e.g. 90s, 3m, 1h30m, 21d, 3w"
	bad := []struct{ in, msg string }{
		{"", `bad duration "": empty` + syntax},
		{"3x", `bad duration "3x": unknown unit "x"` + syntax},
		{"3ms", `bad duration "3ms": unknown unit "ms"` + syntax},
		{"10us", `bad duration "10us": unknown unit "us"` + syntax},
		{"1M", `bad duration "1M": unknown unit "M"` + syntax},
		{"-3m", `bad duration "-3m": must not be negative` + syntax},
		{"+3m", `bad duration "+3m": want a number before each unit` + syntax},
		{"30", `bad duration "30": missing unit after 30` + syntax},
		{"1h30", `bad duration "1h30": missing unit after 30` + syntax},
		{"1.5h", `bad duration "1.5h": fractions are not allowed (did you mean "1h30m"?)`},
		{"h", `bad duration "h": want a number before each unit` + syntax},
		{"1 h", `bad duration "1 h": unexpected " " after 1 (did you mean "1h"?)`},
		{"1h ", `bad duration "1h ": want a number before each unit (did you mean "1h"?)`},
		{"3é", `bad duration "3é": unexpected "é" after 3` + syntax},
		{"15260w", `bad duration "15260w": too large` + syntax},
		{"99999999999999999999s", `bad duration "99999999999999999999s": too large` + syntax},
		{"15000w15000w", `bad duration "15000w15000w": too large` + syntax},
		{"3 weeks", `bad duration "3 weeks": unexpected " " after 3 (did you mean "3w"?)`},
		{"3 Weeks", `bad duration "3 Weeks": unexpected " " after 3 (did you mean "3w"?)`},
		{"1 day 12 hours", `bad duration "1 day 12 hours": unexpected " " after 1 (did you mean "1d12h"?)`},
		{"1 week and 2 days", `bad duration "1 week and 2 days": unexpected " " after 1 (did you mean "1w2d"?)`},
		{"1,5 days", `bad duration "1,5 days": fractions are not allowed (did you mean "1d12h"?)`},
		{"1d 2h", `bad duration "1d 2h": want a number before each unit (did you mean "1d2h"?)`},
		{"007 m", `bad duration "007 m": unexpected " " after 007 (did you mean "7m"?)`},
		{"2 months", `bad duration "2 months": unexpected " " after 2` + syntax},
		{"0.5s", `bad duration "0.5s": fractions are not allowed` + syntax},
	}
	for _, c := range bad {
		got, err := ParseDuration(c.in)
		if err == nil || err.Error() != c.msg {
			t.Errorf("ParseDuration(%q) = %v, %v; want error %q", c.in, got, err, c.msg)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0"},
		{3 * time.Minute, "3m"},
		{90 * time.Second, "1m30s"},
		{21 * Day, "21d"},
		{36 * time.Hour, "1d12h"},
		{-time.Minute, "-1m"},
		{500 * time.Millisecond, "500ms"},
	} {
		if got := FormatDuration(c.d); got != c.want {
			t.Errorf("FormatDuration(%v) = %q, want %q", c.d, got, c.want)
		}
		if c.d >= 0 && c.d%time.Second == 0 {
			if back, err := ParseDuration(FormatDuration(c.d)); err != nil || back != c.d {
				t.Errorf("round trip of %v: %v, %v", c.d, back, err)
			}
		}
	}
}

// FuzzParseDuration: a duration parses to a non-negative value that
// FormatDuration writes back; every error carries a hint (the syntax, or
// a suggestion), and a suggestion always parses.
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"90s", "1w2d", "1d12h", "3x", "", "-1m", "1.5h", "99999999999w",
		"3 weeks", "1 day 12 hours", "2 months", "1,5 days", "007 m"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		fix := SuggestDuration(s)
		if err != nil {
			msg := err.Error()
			if !strings.HasSuffix(msg, durationSyntax) && !strings.HasSuffix(msg, "?)") {
				t.Fatalf("ParseDuration(%q): no hint in %q", s, msg)
			}
			if fix != "" {
				if _, err := ParseDuration(fix); err != nil {
					t.Fatalf("SuggestDuration(%q) = %q, which does not parse: %v", s, fix, err)
				}
			}
			return
		}
		if fix != "" {
			t.Fatalf("SuggestDuration(%q) = %q for a valid duration", s, fix)
		}
		if d < 0 {
			t.Fatalf("ParseDuration(%q) = %v < 0", s, d)
		}
		if back, err := ParseDuration(FormatDuration(d)); err != nil || back != d {
			t.Fatalf("round trip of %q: %v -> %q -> %v, %v", s, d, FormatDuration(d), back, err)
		}
	})
}
