package config

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Day and Week are the units d and w of ParseDuration: 24 and 168 hours
// (calendar-free: a "day" ignores daylight-saving shifts).
const (
	Day  = 24 * time.Hour
	Week = 7 * Day
)

var durationUnits = map[string]time.Duration{
	"s": time.Second,
	"m": time.Minute,
	"h": time.Hour,
	"d": Day,
	"w": Week,
}

// ParseDuration parses a duration written as a sequence of whole numbers
// with units s, m, h, d (24h) or w (7d), like Go's time.ParseDuration:
// "90s", "3m", "21d", "1w2d", "1d12h". Units may repeat and come in any
// order; their values add up. "0" alone means zero. Fractions ("1.5h"),
// sub-second units (ms, us, ns), signs, spaces and empty strings are
// rejected, each with a message that says what to write instead.
func ParseDuration(s string) (time.Duration, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("bad duration %q: %s", s, fmt.Sprintf(format, args...))
	}
	switch {
	case s == "":
		return 0, bad("empty; write a number and a unit, e.g. 90s, 3m, 21d")
	case s == "0":
		return 0, nil
	case s[0] == '-':
		return 0, bad("must not be negative")
	}
	var total time.Duration
	for rest := s; rest != ""; {
		i := strings.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })
		if i < 0 {
			return 0, bad("missing unit after %s (one of s, m, h, d, w)", rest)
		}
		if i == 0 {
			return 0, bad("want a number followed by a unit, e.g. 90s, 3m, 21d")
		}
		digits := rest[:i]
		rest = rest[i:]
		if rest[0] == '.' || rest[0] == ',' {
			return 0, bad("fractions are not allowed; combine units instead, e.g. 1h30m")
		}
		j := strings.IndexFunc(rest, func(r rune) bool { return (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') })
		if j < 0 {
			j = len(rest)
		}
		if j == 0 {
			return 0, bad("unexpected %q after %s", firstRune(rest), digits)
		}
		unit, ok := durationUnits[rest[:j]]
		if !ok {
			return 0, bad("unit must be one of s, m, h, d, w")
		}
		rest = rest[j:]
		v, ok := mulAdd(digits, unit, total)
		if !ok {
			return 0, bad("too large")
		}
		total = v
	}
	return total, nil
}

// mulAdd returns total + digits*unit, or false on overflow.
func mulAdd(digits string, unit, total time.Duration) (time.Duration, bool) {
	var n int64
	for _, c := range digits {
		if n > (math.MaxInt64-int64(c-'0'))/10 {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if n > (math.MaxInt64-int64(total))/int64(unit) {
		return 0, false
	}
	return total + time.Duration(n)*unit, true
}

func firstRune(s string) string {
	for _, r := range s {
		return string(r)
	}
	return s
}

// FormatDuration writes d with the units of ParseDuration, largest first
// and without weeks, so that ParseDuration(FormatDuration(d)) == d for
// whole seconds: "21d", "1d12h", "3m", "1m30s". Zero is "0"; durations
// under a second use time.Duration's notation.
func FormatDuration(d time.Duration) string {
	if d <= 0 {
		if d < 0 {
			return "-" + FormatDuration(-d)
		}
		return "0"
	}
	if d < time.Second {
		return d.String()
	}
	var b strings.Builder
	for _, u := range []struct {
		name string
		size time.Duration
	}{{"d", Day}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}} {
		if n := d / u.size; n > 0 {
			fmt.Fprintf(&b, "%d%s", n, u.name)
			d -= n * u.size
		}
	}
	return b.String()
}
