package templates

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// A template that could loop long is refused by Parse, at its line, before
// anything runs: these would take seconds (or, for 2e9, minutes) per
// render.
func TestBudgetRefused(t *testing.T) {
	tooMuch := "is too much work: a note or message may take at most 10000 steps to render"
	chain := func(n int) string { // template dN calls dN-1 twice: 2^n calls
		var b strings.Builder
		b.WriteString(`{{define "d0"}}{{end}}`)
		for i := 1; i <= n; i++ {
			fmt.Fprintf(&b, `{{define "d%d"}}{{template "d%d"}}{{template "d%d"}}{{end}}`, i, i-1, i-1)
		}
		fmt.Fprintf(&b, "\n{{template \"d%d\"}}", n)
		return b.String()
	}
	tests := []struct {
		text string
		want string
	}{
		{"{{range 100000000}}{{end}}", "line 1: {{range 100000000}} " + tooMuch},
		{"Hi\n{{range 2000000000}}x{{end}}", "line 2: {{range 2000000000}} " + tooMuch},
		{"{{range 18446744073709551615}}{{end}}", "line 1: {{range 18446744073709551615}} " + tooMuch},
		{"{{range $i := 9223372036854775807}}{{end}}", "line 1: {{range $i := 9223372036854775807}} " + tooMuch},
		{"{{range 100}}\n{{range 100}}\n{{range 100}}{{end}}{{end}}{{end}}", "line 2: {{range 100}} " + tooMuch},
		{"{{range 3000}}x{{end}}\n{{range 3000}}x{{end}}", "line 2: the template up to {{range 3000}} " + tooMuch},
		{"{{range 4999}}x{{end}}\n{{.a}}{{.b}}", "line 2: the template up to here " + tooMuch},
		{"{{if .a}}{{range 9999}}x{{end}}{{else}}{{range 9999}}{{end}}{{end}}", "line 1: {{range 9999}} " + tooMuch},
		{chain(20), "line 1: the template up to {{template \"d12\"}} " + tooMuch},
		{"{{range .items}}{{.}}{{end}}", "line 1: {{range .items}}: range takes a whole number, such as {{range 3}}: fields are text, not lists"},
		{"{{range $i, $c := .first_name}}{{$c}}{{end}}", "line 1: {{range $i, $c := .first_name}}: range takes a whole number, such as {{range 3}}: fields are text, not lists"},
		{"x\n{{range len .a}}{{end}}", "line 2: {{range len .a}}: range takes a whole number, such as {{range 3}}: fields are text, not lists"},
		{"{{range (3)}}{{end}}", "line 1: {{range (3)}}: range takes a whole number, such as {{range 3}}: fields are text, not lists"},
		{"{{range printf \"%s%s%s%s%s%s%s%s%s%s%s%s%s%s%s\" .a}}{{end}}", `line 1: {{range printf "%s%s%s%s%s%s%s%s%s%s%s%s%s%s%s"…}}: range takes a whole number, such as {{range 3}}: fields are text, not lists`},
		{`{{define "a"}}{{template "a" .}}{{end}}{{template "a" .}}`, `line 1: {{template "a"}}: template "a" calls itself, which a template may not do`},
		{"{{define \"a\"}}{{if .}}\n{{template \"b\" (slice . 1)}}{{template \"b\" (slice . 1)}}{{end}}{{end}}{{define \"b\"}}{{template \"a\" .}}{{end}}",
			`line 2: {{template "a"}}: template "a" calls itself, which a template may not do`},
		// A template never called is checked too.
		{`{{define "a"}}{{range .x}}{{end}}{{end}}Hi`, "line 1: {{range .x}}: range takes a whole number, such as {{range 3}}: fields are text, not lists"},
	}
	for _, tt := range tests {
		_, err := Parse("note", tt.text)
		if err == nil || err.Error() != tt.want {
			t.Errorf("Parse(%q) error = %v\nwant %s", tt.text, err, tt.want)
		}
		var te *Error
		if !errors.As(err, &te) || te.Line == 0 {
			t.Errorf("Parse(%q) error %#v: want an *Error with a line", tt.text, err)
		}
	}
}

func TestBudgetAccepted(t *testing.T) {
	tests := []struct{ text, want string }{
		{"{{range 3}}🎉{{end}}", "🎉🎉🎉"},
		{"{{range $i := 3}}{{$i}}{{end}}", "012"},
		{"x{{range -5}}y{{end}}", "x"},
		{"x{{range 0}}y{{else}}z{{end}}", "xz"},
		{"{{range 3333}}{{end}}x", "x"},
		{"{{range 98}}{{range 99}}{{end}}{{end}}x", "x"},
		{`{{define "t"}}{{.a}}{{end}}{{template "t" .}}{{template "t" .}}`, "AA"},
	}
	for _, tt := range tests {
		tm, err := Parse("note", tt.text)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.text, err)
			continue
		}
		if got, err := tm.Render(Fields{"a": "A"}); err != nil || got != tt.want {
			t.Errorf("Render(%q) = %q, %v; want %q", tt.text, got, err, tt.want)
		}
	}
	// The bound is a number of steps: the largest empty range taken is
	// 9999 (1 step for the range, 1 per iteration).
	for _, n := range []int{9999, 10000} {
		_, err := Parse("note", fmt.Sprintf("{{range %d}}{{end}}", n))
		if (err == nil) != (n+1 <= maxSteps) {
			t.Errorf("range %d: %v", n, err)
		}
	}
}

// No string value grows past maxOutput: a value doubled in a few steps (a
// variable, or a chain of template calls, each within the step budget)
// fails instead of taking the machine's memory.
func TestValueBound(t *testing.T) {
	double := `{{$x := .a}}` + strings.Repeat(`{{$x = printf "%s%s" $x $x}}`, 40) + `{{len $x}}`
	var chain strings.Builder
	chain.WriteString(`{{define "d0"}}{{len .}}{{end}}`)
	for i := 1; i <= 40; i++ {
		fmt.Fprintf(&chain, `{{define "d%d"}}{{template "d%d" (print . .)}}{{end}}`, i, i-1)
	}
	chain.WriteString(`{{template "d40" .a}}`)
	big := `{{$x := printf "%060000d" 0}}`
	for _, text := range []string{
		double,
		chain.String(),
		`{{$x := .a}}` + strings.Repeat(`{{$x = html $x $x}}`, 40) + `{{len $x}}`,
		`{{$x := .a}}` + strings.Repeat(`{{$x = js $x $x}}`, 40) + `{{len $x}}`,
		`{{$x := .a}}` + strings.Repeat(`{{$x = urlquery $x $x}}`, 40) + `{{len $x}}`,
		`{{$x := .a}}` + strings.Repeat(`{{$x = println $x $x}}`, 40) + `{{len $x}}`,
		big + `{{len (print $x $x)}}`,
		big + `{{len (printf "%.1s" $x $x)}}`,
		big + `{{len (printf "%s%010000d" $x 0)}}`,
		// Case mappings that lengthen a string (2 to 3 bytes a rune).
		`{{len (upper .upper)}}`,
		`{{len (lower .lower)}}`,
		`{{len (title .title)}}`,
	} {
		tm, err := Parse("note", text)
		if err != nil {
			t.Fatalf("Parse(%.60q): %v", text, err)
		}
		f := Fields{
			"a":     "ab",
			"upper": strings.Repeat("ȿ", 30000),
			"lower": strings.Repeat("Ⱥ", 30000),
			"title": strings.Repeat("ȿ ", 20000),
		}
		if got, err := tm.Render(f); !errors.Is(err, errTooLarge) {
			t.Errorf("Render(%.60q) = %.20q, %v; want errTooLarge", text, got, err)
		}
	}
	// Within the bound, the functions work as the builtins do.
	tm := mustParse(t, `{{print "a" 1}} {{println "b"}}{{printf "%03d" 7}} {{html "<"}} {{js "'"}} {{urlquery "a b"}} {{upper "é"}}`)
	if got, err := tm.Render(nil); err != nil || got != "a1 b\n007 &lt; \\' a+b É" {
		t.Errorf("Render = %q, %v", got, err)
	}
}

// The string functions of one render handle at most maxWork bytes: a loop
// within the step budget over a large value stops after a millisecond or
// so instead of seconds. Each render has its own meter.
func TestWorkBound(t *testing.T) {
	f := Fields{"a": strings.Repeat("x", 60000), "small": "ab"}
	chain := "{{.a" + strings.Repeat(" | upper | lower", 10) + "}}"
	for _, text := range []string{
		"{{range 3000}}{{$y := upper $.a}}{{end}}x",
		"{{range 3000}}{{$y := html $.a}}{{end}}x",
		"{{range 3000}}{{$y := printf \"%s\" $.a}}{{end}}x",
		"{{range 3000}}{{$y := truncate 10 $.a}}{{end}}x",
		"{{if .small}}" + chain + "{{end}}", // the fast path
		"{{if .small}}{{$x := 1}}" + chain + "{{end}}",
	} {
		tm := mustParse(t, text)
		for range 3 { // a meter reused from the pool starts at 0
			if got, err := tm.Render(f); !errors.Is(err, errTooMuchWork) {
				t.Errorf("Render(%.50q) = %.20q, %v; want errTooMuchWork", text, got, err)
			}
			if got, err := tm.Render(Fields{"a": "ab", "small": "x"}); err != nil || got == "" {
				t.Errorf("Render(%.50q) with small values = %q, %v", text, got, err)
			}
		}
	}
	if !mustParse(t, "{{if .small}}"+chain+"{{end}}").simple {
		t.Error("the fast path case is not simple")
	}
}
