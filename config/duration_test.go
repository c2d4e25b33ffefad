package config

import (
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
	bad := []struct{ in, msg string }{
		{"", `bad duration "": empty; write a number and a unit, e.g. 90s, 3m, 21d`},
		{"3x", `bad duration "3x": unit must be one of s, m, h, d, w`},
		{"3ms", `bad duration "3ms": unit must be one of s, m, h, d, w`},
		{"10us", `bad duration "10us": unit must be one of s, m, h, d, w`},
		{"1M", `bad duration "1M": unit must be one of s, m, h, d, w`},
		{"-3m", `bad duration "-3m": must not be negative`},
		{"+3m", `bad duration "+3m": want a number followed by a unit, e.g. 90s, 3m, 21d`},
		{"30", `bad duration "30": missing unit after 30 (one of s, m, h, d, w)`},
		{"1h30", `bad duration "1h30": missing unit after 30 (one of s, m, h, d, w)`},
		{"1.5h", `bad duration "1.5h": fractions are not allowed; combine units instead, e.g. 1h30m`},
		{"h", `bad duration "h": want a number followed by a unit, e.g. 90s, 3m, 21d`},
		{"1 h", `bad duration "1 h": unexpected " " after 1`},
		{"1h ", `bad duration "1h ": want a number followed by a unit, e.g. 90s, 3m, 21d`},
		{"3é", `bad duration "3é": unexpected "é" after 3`},
		{"15260w", `bad duration "15260w": too large`},
		{"99999999999999999999s", `bad duration "99999999999999999999s": too large`},
		{"15000w15000w", `bad duration "15000w15000w": too large`},
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

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"90s", "1w2d", "1d12h", "3x", "", "-1m", "1.5h", "99999999999w"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			return
		}
		if d < 0 {
			t.Fatalf("ParseDuration(%q) = %v < 0", s, d)
		}
		if back, err := ParseDuration(FormatDuration(d)); err != nil || back != d {
			t.Fatalf("round trip of %q: %v -> %q -> %v, %v", s, d, FormatDuration(d), back, err)
		}
	})
}
