package config

import (
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/outreach-scheduler/outreach/internal/strictyaml"
	// The binary embeds the time zone database; so does this package, so
	// that validation gives the same answers on every machine.
	_ "time/tzdata"
)

// The decoders below read fields shared by config.yaml and campaign files,
// so both report the same messages. Each returns true when key was present
// and valid, and leaves its destination unchanged otherwise.

// DecodeDuration decodes key with ParseDuration.
func DecodeDuration(m *strictyaml.Map, key string, dst *time.Duration) bool {
	return strictyaml.Scalar(m, key, dst, ParseDuration)
}

// DecodeDays decodes key as a list of day names (mon..sun), reporting each
// bad or repeated name at its own line and an empty list at the key.
func DecodeDays(m *strictyaml.Map, key string, dst *Weekdays) bool {
	items, ok := m.Seq(key)
	if !ok {
		return false
	}
	if len(items) == 0 {
		m.Errorf(key, "no days given; name at least one of mon, tue, wed, thu, fri, sat, sun")
		return false
	}
	d := m.Decoder()
	var w Weekdays
	for i, item := range items {
		path := strictyaml.Index(m.KeyPath(key), i)
		day, good := strictyaml.ParseScalar(d, item, path, ParseWeekday)
		switch {
		case !good:
			ok = false
		case w.Has(day):
			d.Errorf(item.Line, path, "day %q is listed twice", item.Value)
			ok = false
		default:
			w = w.With(day)
		}
	}
	if ok {
		*dst = w
	}
	return ok
}

// DecodeHours decodes key with ParseHours.
func DecodeHours(m *strictyaml.Map, key string, dst *Hours) bool {
	return strictyaml.Scalar(m, key, dst, ParseHours)
}

// DecodeTimezone decodes key as an IANA time zone name, loading it.
func DecodeTimezone(m *strictyaml.Map, key string, name *string, loc **time.Location) bool {
	var s string
	if !m.String(key, &s) {
		return false
	}
	l, err := LoadLocation(s)
	if err != nil {
		m.Errorf(key, "%v", err)
		return false
	}
	*name, *loc = s, l
	return true
}

// LoadLocation loads an IANA time zone such as Europe/Berlin or UTC.
// "Local" and "" are refused: they would make a file mean different things
// on different machines.
func LoadLocation(name string) (*time.Location, error) {
	if name == "" || name == "Local" {
		return nil, fmt.Errorf("time zone %q is not allowed; name a zone such as UTC or Europe/Berlin", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %s", strictyaml.Quote(name))
	}
	return loc, nil
}

// CheckWindow reports whether working hours leave room for the minimum
// gap, returning the message to report when they do not.
func CheckWindow(h Hours, minGap time.Duration) (string, bool) {
	if h.IsZero() || h.Len() >= minGap {
		return "", true
	}
	return fmt.Sprintf("hours %s leave no time for min_gap %s", h, FormatDuration(minGap)), false
}

var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// decodeEnvName decodes key as the name of an environment variable.
func decodeEnvName(m *strictyaml.Map, key string, dst *string) bool {
	var s string
	if !m.String(key, &s) {
		return false
	}
	if !envNameRE.MatchString(s) {
		m.Errorf(key, "%s is not an environment variable name (want letters, digits and _)", strictyaml.Quote(s))
		return false
	}
	*dst = s
	return true
}

// checkHostPort checks a host:port address; port 0 is allowed only when
// listening (it picks a free port).
func checkHostPort(s string, listen bool) error {
	_, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Errorf("want host:port, got %s", strictyaml.Quote(s))
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p > 65535 || (p == 0 && !listen) || strings.HasPrefix(port, "+") {
		return fmt.Errorf("bad port %s in %s", strictyaml.Quote(port), strictyaml.Quote(s))
	}
	return nil
}

// decodeAddr decodes key as a host:port address.
func decodeAddr(m *strictyaml.Map, key string, dst *string, listen bool) bool {
	var s string
	if !m.String(key, &s) {
		return false
	}
	if err := checkHostPort(s, listen); err != nil {
		m.Errorf(key, "%v", err)
		return false
	}
	*dst = s
	return true
}

// decodeAddrs decodes key as a non-empty list of host:port addresses.
func decodeAddrs(m *strictyaml.Map, key string, dst *[]string) bool {
	items, ok := m.Seq(key)
	if !ok {
		return false
	}
	if len(items) == 0 {
		m.Errorf(key, "empty list; give at least one host:port")
		return false
	}
	d := m.Decoder()
	addrs := make([]string, 0, len(items))
	for i, item := range items {
		path := strictyaml.Index(m.KeyPath(key), i)
		s, good := d.String(item, path)
		if good {
			if err := checkHostPort(s, false); err != nil {
				d.Errorf(item.Line, path, "%v", err)
				good = false
			}
		}
		ok = ok && good
		addrs = append(addrs, s)
	}
	if ok {
		*dst = addrs
	}
	return ok
}
