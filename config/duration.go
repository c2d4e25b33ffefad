package config

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
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

// durationSyntax is the hint every duration error ends with, unless a
// rewrite of the value parses (then it is suggested instead).
const durationSyntax = "write whole numbers with units s, m, h, d (days) or w (weeks), e.g. 90s, 3m, 1h30m, 21d, 3w"

// ParseDuration parses a duration written as a sequence of whole numbers
// with units s, m, h, d (24h) or w (7d), like Go's time.ParseDuration:
// "90s", "3m", "21d", "1w2d", "1d12h". Units may repeat and come in any
// order; their values add up. "0" alone means zero. Fractions ("1.5h"),
// sub-second units (ms, us, ns), signs, spaces and empty strings are
// rejected. Every error ends with the unit syntax, or with the value
// rewritten in it when that is clear ("3 weeks": did you mean "3w"?).
func ParseDuration(s string) (time.Duration, error) {
	d, problem := parseDuration(s)
	if problem == "" {
		return d, nil
	}
	if fix := SuggestDuration(s); fix != "" {
		return 0, fmt.Errorf("bad duration %q: %s (did you mean %q?)", s, problem, fix)
	}
	return 0, fmt.Errorf("bad duration %q: %s; %s", s, problem, durationSyntax)
}

// parseDuration parses s, or says what is wrong with it.
func parseDuration(s string) (time.Duration, string) {
	switch {
	case s == "":
		return 0, "empty"
	case s == "0":
		return 0, ""
	case s[0] == '-':
		return 0, "must not be negative"
	}
	var total time.Duration
	for rest := s; rest != ""; {
		i := strings.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })
		if i < 0 {
			return 0, "missing unit after " + rest
		}
		if i == 0 {
			return 0, "want a number before each unit"
		}
		digits := rest[:i]
		rest = rest[i:]
		if rest[0] == '.' || rest[0] == ',' {
			return 0, "fractions are not allowed"
		}
		j := strings.IndexFunc(rest, func(r rune) bool { return (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') })
		if j < 0 {
			j = len(rest)
		}
		if j == 0 {
			return 0, fmt.Sprintf("unexpected %q after %s", firstRune(rest), digits)
		}
		unit, ok := durationUnits[rest[:j]]
		if !ok {
			return 0, fmt.Sprintf("unknown unit %q", rest[:j])
		}
		rest = rest[j:]
		v, ok := mulAdd(digits, unit, total)
		if !ok {
			return 0, "too large"
		}
		total = v
	}
	return total, ""
}

// unitWords maps the ways people write units to the units of
// ParseDuration. Months and years are absent: their length varies.
var unitWords = map[string]string{
	"s": "s", "sec": "s", "secs": "s", "second": "s", "seconds": "s",
	"m": "m", "min": "m", "mins": "m", "minute": "m", "minutes": "m",
	"h": "h", "hr": "h", "hrs": "h", "hour": "h", "hours": "h",
	"d": "d", "day": "d", "days": "d",
	"w": "w", "wk": "w", "wks": "w", "week": "w", "weeks": "w",
}

// durationPartRE is one "number unit" of a duration written loosely:
// "3 weeks", "1.5h", "2 days,".
var durationPartRE = regexp.MustCompile(`^\s*([0-9]+(?:[.,][0-9]+)?)\s*([A-Za-z]+)\s*(?:,|and\b)?`)

// SuggestDuration rewrites a duration written loosely ("3 weeks",
// "1 day 12 hours", "1.5h") in the syntax of ParseDuration ("3w",
// "1d12h", "1h30m"). It returns "" when s already parses, or when it
// cannot tell what s means (a bare number, months, a negative value,
// less than a second). A suggestion always parses.
func SuggestDuration(s string) string {
	if _, problem := parseDuration(s); problem == "" {
		return ""
	}
	var b strings.Builder
	var total float64 // seconds
	whole := true
	rest := strings.TrimSpace(s)
	if rest == "" {
		return ""
	}
	for rest != "" {
		m := durationPartRE.FindStringSubmatch(rest)
		if m == nil {
			return ""
		}
		rest = strings.TrimSpace(rest[len(m[0]):])
		word := m[2]
		if len(word) > 1 {
			word = strings.ToLower(word) // "Days"; but "M" is not "m"
		}
		unit, ok := unitWords[word]
		if !ok {
			return ""
		}
		num := strings.Replace(m[1], ",", ".", 1)
		v, err := strconv.ParseFloat(num, 64)
		if err != nil {
			return ""
		}
		if strings.Contains(num, ".") {
			whole = false
		}
		b.WriteString(strings.TrimLeft(num, "0"))
		if strings.TrimLeft(num, "0") == "" {
			b.WriteString("0")
		}
		b.WriteString(unit)
		total += v * durationUnits[unit].Seconds()
	}
	fix := b.String()
	if !whole {
		if total < 1 || total != math.Trunc(total) || total > float64(math.MaxInt64/int64(time.Second)) {
			return ""
		}
		fix = FormatDuration(time.Duration(total) * time.Second)
	}
	if _, problem := parseDuration(fix); problem != "" || fix == s {
		return ""
	}
	return fix
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
