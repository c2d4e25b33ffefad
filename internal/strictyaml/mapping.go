package strictyaml

import (
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Map is a YAML mapping being decoded against a fixed set of known keys.
// Unknown and duplicate keys are reported when the Map is made; the
// accessors then read known keys. A Map made from an absent node, or from a
// node that is not a mapping, has no keys, so decoding code runs unchanged
// and reports nothing more about it.
type Map struct {
	d     *Decoder
	path  string
	line  int
	ok    bool // a mapping (or an empty value) was there
	known []string
	// schema is the object schema the keys came from (Decoder.Object),
	// nil when they were listed by hand.
	schema *Schema
	keys   map[string]*yaml.Node // key nodes by name, first occurrence
	vals   map[string]*yaml.Node // value nodes (aliases resolved) by name
	// suggested are the known keys suggested for unknown ones: a key
	// misspelt is reported once, as unknown, not also as missing.
	suggested map[string]bool
}

// Map checks that n is a mapping whose keys are all in known and returns it.
// n may be nil (the key was absent: nothing is reported) or an empty value
// (an empty mapping).
func (d *Decoder) Map(n *yaml.Node, path string, known ...string) *Map {
	m := &Map{d: d, path: path, known: known, keys: map[string]*yaml.Node{}, vals: map[string]*yaml.Node{},
		suggested: map[string]bool{}}
	if d.Trace != nil {
		d.Trace(path, known)
	}
	n = resolve(n)
	if n == nil {
		return m
	}
	m.line = n.Line
	if isNull(n) {
		m.ok = true
		return m
	}
	if n.Kind != yaml.MappingNode {
		if path == "" {
			d.Errorf(n.Line, "", "the top level must be a mapping, got %s", describe(n))
		} else {
			d.TypeError(n, path, "a mapping")
		}
		return m
	}
	m.ok = true
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.Errorf(k.Line, path, "a key must be a string, got %s", describe(k))
			continue
		}
		name := k.Value
		switch first, dup := m.keys[name]; {
		case k.ShortTag() == "!!merge":
			d.Errorf(k.Line, path, "merge keys (<<) are not supported; write the keys out")
		case dup:
			d.Errorf(k.Line, "", "duplicate key %s%s (first on line %d)", Quote(name), in(path), first.Line)
		case !slices.Contains(known, name):
			suggestion := Suggest(name, known)
			if suggestion != "" {
				m.suggested[suggestion] = true
			}
			d.Errorf(k.Line, "", "unknown key %s%s%s", Quote(name), in(path), didYouMean(suggestion))
		default:
			m.keys[name] = k
			m.vals[name] = resolve(v)
		}
	}
	return m
}

func in(path string) string {
	if path == "" {
		return ""
	}
	return " in " + path
}

func didYouMean(suggestion string) string {
	if suggestion == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", suggestion)
}

func (m *Map) check(key string) {
	if !slices.Contains(m.known, key) {
		panic(fmt.Sprintf("strictyaml: key %q read from %q but not declared known", key, m.path))
	}
	if m.d.TraceRead != nil {
		m.d.TraceRead(m.path, key)
	}
}

// Present reports whether the node was there at all (possibly with the
// wrong type).
func (m *Map) Present() bool { return m.line > 0 }

// IsMapping reports whether the node was a mapping (or an empty value).
func (m *Map) IsMapping() bool { return m.ok }

// Line returns the line of the mapping (0 when absent): the line of its
// key when it was made by Map.Map, else of its first entry.
func (m *Map) Line() int { return m.line }

// Path returns the mapping's path.
func (m *Map) Path() string { return m.path }

// KeyPath returns the path of key in the mapping.
func (m *Map) KeyPath(key string) string { return Join(m.path, key) }

// Has reports whether key is present.
func (m *Map) Has(key string) bool {
	m.check(key)
	_, ok := m.vals[key]
	return ok
}

// Node returns the value of key (aliases resolved), or nil when absent.
func (m *Map) Node(key string) *yaml.Node {
	m.check(key)
	return m.vals[key]
}

// KeyLine returns the line of key, or of the mapping when key is absent.
func (m *Map) KeyLine(key string) int {
	m.check(key)
	if k, ok := m.keys[key]; ok {
		return k.Line
	}
	return m.line
}

// ValueLine returns the line for findings about key's value: the value's
// line for a scalar, the key's for a list or mapping (which may start on
// the next line), the mapping's when key is absent.
func (m *Map) ValueLine(key string) int {
	m.check(key)
	v, ok := m.vals[key]
	switch {
	case !ok:
		return m.line
	case v.Kind == yaml.ScalarNode:
		return v.Line
	}
	return m.keys[key].Line
}

// Errorf records an error about key's value, at its line and path.
func (m *Map) Errorf(key, format string, args ...any) {
	m.d.Errorf(m.ValueLine(key), m.KeyPath(key), format, args...)
}

// Warnf records a warning about key's value, at its line and path.
func (m *Map) Warnf(key, format string, args ...any) {
	m.d.Warnf(m.ValueLine(key), m.KeyPath(key), format, args...)
}

// Suggested reports whether key was suggested for an unknown key ("did
// you mean"): it is then probably there, misspelt.
func (m *Map) Suggested(key string) bool {
	m.check(key)
	return m.suggested[key]
}

// Required reports each of keys that is missing, at the mapping's line, and
// returns whether all are present. Nothing is reported for a mapping that is
// absent or of the wrong type, nor for a key suggested for a misspelt one
// (that was reported already).
func (m *Map) Required(keys ...string) bool {
	all := true
	for _, k := range keys {
		if m.Has(k) {
			continue
		}
		all = false
		if m.ok && !m.suggested[k] {
			m.d.Errorf(m.line, m.path, "missing required key %q", k)
		}
	}
	return all
}

// Map returns the mapping under key, with its known keys. Its line is the
// line of key, where findings about the mapping as a whole (missing keys)
// are reported.
func (m *Map) Map(key string, known ...string) *Map {
	sub := m.d.Map(m.Node(key), m.KeyPath(key), known...)
	if sub.Present() {
		sub.line = m.KeyLine(key)
	}
	return sub
}

// Seq returns the items of the list under key, and whether key was present
// and a list. It reports a type error each time it is called: call it once.
func (m *Map) Seq(key string) ([]*yaml.Node, bool) {
	return m.d.Seq(m.Node(key), m.KeyPath(key))
}

// Decoder returns the decoder the mapping reports to.
func (m *Map) Decoder() *Decoder { return m.d }

// String decodes key as a string into dst. It returns true when the key was
// present and valid; otherwise dst is unchanged.
func (m *Map) String(key string, dst *string) bool { return set(dst, m.d.String, m, key) }

// Int decodes key as an integer into dst; see String.
func (m *Map) Int(key string, dst *int) bool { return set(dst, m.d.Int, m, key) }

// Int64 decodes key as a 64-bit integer into dst; see String.
func (m *Map) Int64(key string, dst *int64) bool { return set(dst, m.d.Int64, m, key) }

// Float decodes key as a number into dst; see String.
func (m *Map) Float(key string, dst *float64) bool { return set(dst, m.d.Float, m, key) }

// Bool decodes key as true or false into dst; see String.
func (m *Map) Bool(key string, dst *bool) bool { return set(dst, m.d.Bool, m, key) }

// Strings decodes key as a list of strings into dst; see String. An item of
// the wrong type is reported and left out; the result is still set.
func (m *Map) Strings(key string, dst *[]string) bool { return set(dst, m.d.Strings, m, key) }

func set[T any](dst *T, decode func(*yaml.Node, string) (T, bool), m *Map, key string) bool {
	n := m.Node(key)
	if n == nil {
		return false
	}
	v, ok := decode(n, m.KeyPath(key))
	if ok {
		*dst = v
	}
	return ok
}

// Scalar decodes key with parse, which gets the scalar's text as written
// (any non-empty scalar). A parse error is reported as "PATH: ERROR" at
// the value's line. It returns true when the key was present and valid;
// otherwise dst is unchanged.
func Scalar[T any](m *Map, key string, dst *T, parse func(string) (T, error)) bool {
	n := m.Node(key)
	if n == nil {
		return false
	}
	v, ok := ParseScalar(m.d, n, m.KeyPath(key), parse)
	if ok {
		*dst = v
	}
	return ok
}

// ParseScalar decodes the scalar n with parse; see Scalar.
func ParseScalar[T any](d *Decoder, n *yaml.Node, path string, parse func(string) (T, error)) (T, bool) {
	var zero T
	s, ok := d.String(n, path)
	if !ok {
		return zero, false
	}
	v, err := parse(s)
	if err != nil {
		d.Errorf(resolve(n).Line, path, "%s", strings.TrimSpace(err.Error()))
		return zero, false
	}
	return v, true
}

// Entry is one key and value of a free-form mapping.
type Entry struct {
	Key   string
	Path  string     // the value's path
	Line  int        // the key's line
	Value *yaml.Node // aliases resolved
}

// Entries returns the entries of a mapping whose keys are data, not schema
// (variant_accept_rates), reporting duplicate keys. n may be nil or empty.
func (d *Decoder) Entries(n *yaml.Node, path string) []Entry {
	n = resolve(n)
	if n == nil || isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		d.TypeError(n, path, "a mapping")
		return nil
	}
	var out []Entry
	first := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), n.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.ShortTag() == "!!merge" {
			d.Errorf(k.Line, path, "a key must be a string, got %s", describe(k))
			continue
		}
		if line, dup := first[k.Value]; dup {
			d.Errorf(k.Line, "", "duplicate key %s%s (first on line %d)", Quote(k.Value), in(path), line)
			continue
		}
		first[k.Value] = k.Line
		out = append(out, Entry{Key: k.Value, Path: Join(path, k.Value), Line: k.Line, Value: resolve(v)})
	}
	return out
}

// OneOf decodes key as one of the allowed strings into dst; see String.
// Another value is reported as `unknown NOUN "x"` with a suggestion or the
// allowed values.
func (m *Map) OneOf(key string, dst *string, noun string, allowed ...string) bool {
	n := m.Node(key)
	if n == nil {
		return false
	}
	v, ok := m.d.OneOf(n, m.KeyPath(key), noun, allowed...)
	if ok {
		*dst = v
	}
	return ok
}

// OneOf decodes n as one of the allowed strings; see Map.OneOf.
func (d *Decoder) OneOf(n *yaml.Node, path, noun string, allowed ...string) (string, bool) {
	s, ok := d.String(n, path)
	if !ok {
		return "", false
	}
	if !slices.Contains(allowed, s) {
		d.Errorf(resolve(n).Line, path, "%s", Unknown(noun, s, allowed))
		return "", false
	}
	return s, true
}

// Unknown returns the message `unknown NOUN "value"` followed by the closest
// allowed value, `(did you mean "x"?)`, or else the allowed values,
// `(want a, b or c)`.
func Unknown(noun, value string, allowed []string) string {
	if c := Suggest(value, allowed); c != "" {
		return fmt.Sprintf("unknown %s %s (did you mean %q?)", noun, Quote(value), c)
	}
	return fmt.Sprintf("unknown %s %s (want %s)", noun, Quote(value), Or(allowed))
}

// Or lists words as "a, b or c".
func Or(words []string) string {
	switch len(words) {
	case 0:
		return ""
	case 1:
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}
