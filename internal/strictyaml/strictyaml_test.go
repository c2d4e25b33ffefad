package strictyaml

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// decode parses src and runs fn on its top-level mapping, returning the
// findings as strings.
func decode(t *testing.T, src string, fn func(d *Decoder, m *Map)) []string {
	t.Helper()
	d := New("f.yaml")
	if root := d.Parse([]byte(src)); root != nil && fn != nil {
		fn(d, d.Map(root, "", "name", "count", "rate", "on", "tags", "sub", "wait"))
	}
	d.Findings.Sort()
	if err := CheckLocations("f.yaml", []byte(src), d.Findings); err != nil {
		t.Error(err)
	}
	return d.Findings.Strings()
}

func expect(t *testing.T, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("findings:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestParseDocument(t *testing.T) {
	expect(t, decode(t, "", nil), "f.yaml: file is empty")
	expect(t, decode(t, "# nothing\n\n", nil), "f.yaml: file is empty")
	expect(t, decode(t, "---\n", nil), "f.yaml: file is empty")
	expect(t, decode(t, "~\n", nil), "f.yaml: file is empty")
	expect(t, decode(t, "a: 1\n---\nb: 2\n", nil), "f.yaml:2: a second YAML document starts here; the file must hold one")
	expect(t, decode(t, "a: 1\n---\nb: [\n", nil), "f.yaml:3: YAML syntax: did not find expected node content")
	// Parser errors: yaml.v3 numbers them from 0; they are reported 1-based.
	expect(t, decode(t, "a: 1\nb: 2\nc: [1, 2\n", nil), "f.yaml:3: YAML syntax: did not find expected ',' or ']'")
	expect(t, decode(t, "a: [1, 2\n", nil), "f.yaml:1: YAML syntax: did not find expected ',' or ']'")
	// Scanner errors are numbered from 1 already.
	expect(t, decode(t, "a: 1\nb: @x\n", nil), "f.yaml:2: YAML syntax: found character that cannot start any token")
	expect(t, decode(t, "a: \x01\n", nil), "f.yaml: YAML syntax: control characters are not allowed")
	expect(t, decode(t, "- 1\n", func(d *Decoder, m *Map) {}), "f.yaml:1: the top level must be a mapping, got a list")
}

func TestMapKeys(t *testing.T) {
	src := `name: x
nmae: y
count: 1
count: 2
colour: red
sub:
  inner: 1
  innr: 2
  inner: 3
`
	got := decode(t, src, func(d *Decoder, m *Map) {
		m.Required("name", "rate")
		sub := m.Map("sub", "inner", "outer")
		sub.Required("outer")
		var s string
		if !m.String("name", &s) || s != "x" {
			t.Errorf("name = %q", s)
		}
		if m.KeyLine("count") != 3 || m.ValueLine("rate") != 1 || sub.Line() != 6 || sub.KeyPath("inner") != "sub.inner" {
			t.Error("lines or paths wrong")
		}
	})
	expect(t, got,
		`f.yaml:1: missing required key "rate"`,
		`f.yaml:2: unknown key "nmae" (did you mean "name"?)`,
		`f.yaml:4: duplicate key "count" (first on line 3)`,
		`f.yaml:5: unknown key "colour"`,
		`f.yaml:6: sub: missing required key "outer"`,
		`f.yaml:8: unknown key "innr" in sub (did you mean "inner"?)`,
		`f.yaml:9: duplicate key "inner" in sub (first on line 7)`,
	)
}

func TestMapAbsentEmptyWrong(t *testing.T) {
	got := decode(t, "name: x\nsub:\ntags: {a: 1}\n", func(d *Decoder, m *Map) {
		absent := d.Map(nil, "nothing", "k")
		absent.Required("k") // nothing reported: the parent says what is missing
		if absent.Present() || absent.IsMapping() {
			t.Error("absent map")
		}
		empty := m.Map("sub", "k")
		empty.Required("k")
		if !empty.IsMapping() {
			t.Error("an empty value is an empty mapping")
		}
		wrong := m.Map("name", "k")
		wrong.Required("k")
		if items, ok := m.Seq("tags"); ok || items != nil {
			t.Error("tags is not a list")
		}
	})
	expect(t, got,
		`f.yaml:1: name: want a mapping, got "x"`,
		`f.yaml:2: sub: missing required key "k"`,
		`f.yaml:3: tags: want a list, got a mapping`,
	)
}

func TestMapUndeclaredKeyPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("reading an undeclared key must panic")
		}
	}()
	d := New("f.yaml")
	d.Map(d.Parse([]byte("a: 1\n")), "", "a").Has("b")
}

func TestScalars(t *testing.T) {
	type result struct {
		name  string
		count int
		rate  float64
		on    bool
		tags  []string
		wait  time.Duration
	}
	run := func(src string) (result, []string) {
		var r result
		got := decode(t, src, func(d *Decoder, m *Map) {
			m.String("name", &r.name)
			m.Int("count", &r.count)
			m.Float("rate", &r.rate)
			m.Bool("on", &r.on)
			m.Strings("tags", &r.tags)
			Scalar(m, "wait", &r.wait, time.ParseDuration)
		})
		return r, got
	}
	r, got := run("name: 007\ncount: 0x10\nrate: 3\non: false\ntags: [a, 1, 'b']\nwait: 1m\n")
	expect(t, got)
	if r.name != "007" || r.count != 16 || r.rate != 3 || r.on || !slices.Equal(r.tags, []string{"a", "1", "b"}) || r.wait != time.Minute {
		t.Errorf("decoded %+v", r)
	}
	r, got = run("name: [x]\ncount: many\nrate: .inf\non: yes\ntags: [a, {b: 1}, [c]]\nwait: 3x\n")
	expect(t, got,
		`f.yaml:1: name: want a string, got a list`,
		`f.yaml:2: count: want an integer, got "many"`,
		`f.yaml:3: rate: want a number, got ".inf"`,
		`f.yaml:4: on: want true or false, got "yes"`,
		`f.yaml:5: tags[1]: want a string, got a mapping`,
		`f.yaml:5: tags[2]: want a string, got a list`,
		`f.yaml:6: wait: time: unknown unit "x" in duration "3x"`,
	)
	if r.name != "" || r.count != 0 || !slices.Equal(r.tags, []string{"a"}) {
		t.Errorf("bad values must leave destinations alone (lists keep good items): %+v", r)
	}
	_, got = run("name:\ncount: '5'\nrate: '0.5'\non: 1\ntags:\nwait: ~\n")
	expect(t, got,
		`f.yaml:1: name: want a string, got an empty value`,
		`f.yaml:2: count: want an integer, got "5"`,
		`f.yaml:3: rate: want a number, got "0.5"`,
		`f.yaml:4: on: want true or false, got "1"`,
		`f.yaml:5: tags: want a list, got an empty value`,
		`f.yaml:6: wait: want a string, got an empty value`,
	)
	_, got = run("count: 99999999999999999999\nname: " + strings.Repeat("x", 50) + "\nrate: [1]\n")
	expect(t, got[:1], `f.yaml:1: count: want an integer, got "99999999999999999999"`)
}

func TestOneOfAndEntries(t *testing.T) {
	got := decode(t, "name: sandbx\ncount: cat\nsub: {a: 1, b: 2, a: 3}\n", func(d *Decoder, m *Map) {
		var s string
		m.OneOf("name", &s, "driver", "sandbox", "webhook")
		m.OneOf("count", &s, "animal", "dog", "bird")
		es := d.Entries(m.Node("sub"), "sub")
		if len(es) != 2 || es[0].Key != "a" || es[1].Path != "sub.b" || es[1].Value.Value != "2" {
			t.Errorf("entries = %+v", es)
		}
	})
	expect(t, got,
		`f.yaml:1: name: unknown driver "sandbx" (did you mean "sandbox"?)`,
		`f.yaml:2: count: unknown animal "cat" (want dog or bird)`,
		`f.yaml:3: duplicate key "a" in sub (first on line 3)`,
	)
}

func TestAliases(t *testing.T) {
	var n int
	got := decode(t, "sub: &s {name: 1}\ncount: &c 3\nrate: *c\n", func(d *Decoder, m *Map) {
		var f float64
		if !m.Float("rate", &f) || f != 3 {
			t.Errorf("rate = %v", f)
		}
		m.Int("count", &n)
	})
	expect(t, got)
	expect(t, decode(t, "sub: &a\n  - *a\n", nil), "f.yaml:2: alias *a refers to a value that contains it")
	expect(t, decode(t, "sub:\n  <<: {a: 1}\n", func(d *Decoder, m *Map) { m.Map("sub", "a") }),
		"f.yaml:2: sub: merge keys (<<) are not supported; write the keys out")
	// A billion laughs: 10 levels of 10 aliases each.
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&b, "a%d: &a%d [", i, i)
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a" + strconv.Itoa(i-1))
		}
		b.WriteString("]\n")
	}
	expect(t, decode(t, b.String(), nil), "f.yaml: aliases expand the document to more than 1048576 nodes")
}

func TestSuggest(t *testing.T) {
	known := []string{"tier", "timezone", "id", "limits"}
	for in, want := range map[string]string{
		"teir": "tier", "tier": "tier", "timezon": "timezone", "limit": "limits", "Tier": "tier",
		"db": "", "x": "", "connections": "", "tiers": "tier",
	} {
		if got := Suggest(in, known); got != want {
			t.Errorf("Suggest(%q) = %q, want %q", in, got, want)
		}
	}
	if got := Or([]string{"a", "b", "c"}); got != "a, b or c" {
		t.Errorf("Or = %q", got)
	}
	if got := Quote(strings.Repeat("é", 50)); got != strconv.Quote(strings.Repeat("é", 40)+"...") {
		t.Errorf("Quote = %s", got)
	}
}

func TestLineCount(t *testing.T) {
	for in, want := range map[string]int{
		"": 0, "a": 1, "a\n": 1, "a\nb": 2, "a\r\nb\r\n": 2, "a\rb": 2, "\n\n": 2,
		"a\u0085b": 2, "a\u2028b\u2029": 2,
	} {
		if got := LineCount([]byte(in)); got != want {
			t.Errorf("LineCount(%q) = %d, want %d", in, got, want)
		}
	}
}
