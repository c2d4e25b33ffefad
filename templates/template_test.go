package templates

import (
	"errors"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
)

func mustParse(t testing.TB, text string) *Template {
	t.Helper()
	tm, err := Parse("note", text)
	if err != nil {
		t.Fatalf("Parse(%q): %v", text, err)
	}
	return tm
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		text string
		want string // the whole error message
		line int
	}{
		{"Hi {{.first_name}},\n{{printf \"%s\" }x}}", `line 2: unexpected "}" in operand`, 2},
		{"Hi {{.first_name}},\n\n{{.event}", `line 3: bad character U+007D '}'`, 3},
		{"Hi {{.first_name", "line 1: unclosed action", 1},
		{"a\nb\n{{nosuch .x}}", `line 3: function "nosuch" not defined`, 3},
		{"{{if .x}}yes", "line 1: unexpected EOF", 1},
		{"{{end}}", "line 1: unexpected {{end}}", 1},
		{"one\ntwo {{|}}", `line 2: unexpected "|" in command`, 2},
		{`{{define "a"}}x{{end}}{{define "a"}}{{.y}}{{end}}`, `line 1: multiple definition of template "a"`, 1},
	}
	for _, tt := range tests {
		_, err := Parse("event-topic", tt.text)
		if err == nil {
			t.Errorf("Parse(%q): no error", tt.text)
			continue
		}
		if err.Error() != tt.want {
			t.Errorf("Parse(%q) error = %q, want %q", tt.text, err, tt.want)
		}
		var te *Error
		if !errors.As(err, &te) || te.Line != tt.line {
			t.Errorf("Parse(%q) error %#v: want *Error with Line %d", tt.text, err, tt.line)
		}
	}
}

func TestParseErrorOddName(t *testing.T) {
	for _, name := range []string{"", "a:1:b", "campaign.yaml:12"} {
		_, err := Parse(name, "x\n{{.a)}}")
		if err == nil || err.Error() != "line 2: unexpected right paren" {
			t.Errorf("Parse(%q, ...) error = %v", name, err)
		}
	}
}

// fieldSpec writes refs as names, "?" marking an optional one.
func fieldSpec(refs []FieldRef) []string {
	var out []string
	for _, r := range refs {
		if r.Optional {
			out = append(out, r.Name+"?")
		} else {
			out = append(out, r.Name)
		}
	}
	return out
}

func TestFields(t *testing.T) {
	tests := []struct {
		text string
		want []string // "?" marks an optional field
	}{
		{"no fields", nil},
		{"Hi {{.first_name}}, {{.first_name}} again", []string{"first_name"}},
		{"{{.b}} {{.a}} {{.c}}", []string{"a", "b", "c"}},
		{"{{range 3}}{{$.items}}{{end}}", []string{"items"}},
		{"{{.first_name | lower | title}}", []string{"first_name"}},
		{"{{truncate 20 .headline}} {{printf \"%s-%s\" .a (upper .b)}}", []string{"a", "b", "headline"}},
		{"{{$.event}} {{$x := .topic}}{{$x}}", []string{"event", "topic"}},
		{"{{.company.name}}", []string{"company"}},
		{"{{(.a).b}}", []string{"a"}},
		{`{{index . "2nd_degree"}} {{index $ "x"}} {{index .list 0}}`, []string{"2nd_degree", "list", "x"}},
		{`{{define "greet"}}Hi {{.first_name}}{{end}}{{template "greet" .}} {{.event}}`, []string{"event", "first_name"}},
		{`{{block "b" .}}{{.school}}{{end}}`, []string{"school"}},
		{"{{- .a -}}", []string{"a"}},
		{"{{/* {{.hidden}} */}}{{.a}}", []string{"a"}},

		// Guards: if and with.
		{"{{if .first_name}}Hi {{.first_name}}{{else}}Hi there{{end}}", []string{"first_name?"}},
		{"{{with .company}} at {{.}}{{end}}", []string{"company?"}},
		{"{{with .company}} at {{$.company}}{{end}}", []string{"company?"}},
		{"{{if .event}}at {{.event}}{{else}}{{.topic}}{{end}}", []string{"event?", "topic"}},
		{"{{with .company}}{{.}}{{else}}{{.school}}{{end}}", []string{"company?", "school"}},
		{"{{if .a}}{{end}}{{.a}}", []string{"a"}},
		{"{{if .a}}{{.b}}{{end}}", []string{"a?", "b"}},
		{"{{if .a}}{{else}}{{.a}}{{end}}", []string{"a"}},
		{"{{if not .a}}there{{else}}{{.a}}{{end}}", []string{"a?"}},
		{"{{if not .a}}{{.a}}{{end}}", []string{"a"}},
		{"{{if and .a (not .b)}}{{.a}}{{end}}{{if eq .c \"x\"}}{{end}}", []string{"a?", "b?", "c?"}},
		{"{{if and .a .b}}{{.a}} {{.b}}{{end}}", []string{"a?", "b?"}},
		{"{{if or .a .b}}{{.a}}{{end}}", []string{"a", "b?"}},
		{"{{if or .a .a}}{{.a}}{{end}}", []string{"a?"}},
		{"{{if lower .a}}{{.a}}{{end}}", []string{"a?"}},
		{"{{if .a | lower}}{{.a}}{{end}}", []string{"a?"}},
		{`{{if index . "a"}}{{index . "a"}}{{end}}`, []string{"a?"}},
		{"{{if .a}}{{if .b}}{{.a}}{{.b}}{{end}}{{end}}", []string{"a?", "b?"}},
		{"{{if .a}}x{{else if .b}}{{.b}}{{else}}{{.a}}{{end}}", []string{"a", "b?"}},
		{"{{with .a}}x{{else with .b}}{{.}}{{$.b}}{{end}}", []string{"a?", "b?"}},
		{"{{with and .a .b}}{{.}}{{end}}", []string{"a?", "b?"}},
		{"{{with lower .a}}{{.}}{{end}}", []string{"a?"}},
		{"{{with printf \"%s!\" .a}}{{.}}{{end}}", []string{"a"}},
		{"{{with or .a .b}}{{.}}{{end}}", []string{"a?", "b"}},
		{"{{if $x := .a}}{{$x}}{{end}}", []string{"a?"}},
		{"{{if $x := printf \"%s!\" .a}}{{$x}}{{end}}", []string{"a"}},
		{"{{range 2}}{{$.a}}{{end}}", []string{"a"}},
		{`{{define "t"}}{{.a}}{{end}}{{if .a}}{{template "t" .}}{{end}}`, []string{"a"}},
		{"{{if .a}}{{$.a.b}}{{end}}", []string{"a?"}},

		// Guards: or and default.
		{`{{or .first_name "there"}}`, []string{"first_name?"}},
		{`{{or .nick .first_name "there"}}`, []string{"first_name?", "nick?"}},
		{`{{or .nick .first_name}}`, []string{"first_name", "nick?"}},
		{`{{or "x" .a}}`, []string{"a"}},
		{`{{.a | or "x"}}`, []string{"a"}},
		{`{{default "there" .first_name}}`, []string{"first_name?"}},
		{`{{default .b .a}}`, []string{"a?", "b"}},
		{`{{.first_name | default "there"}}`, []string{"first_name?"}},
		{`{{.first_name | lower | title | default "there"}}`, []string{"first_name?"}},
		{`{{.first_name | printf "%s!" | default "there"}}`, []string{"first_name"}},
		{`{{default "x" (lower .a)}}`, []string{"a?"}},
		{`{{default "x" (printf "%s" .a)}}`, []string{"a"}},
		{`{{default "x" (and .a .b)}}`, []string{"a?", "b?"}},
		{`{{and .a .b}}`, []string{"a", "b"}},
		{`{{default "x" (truncate 3 .a)}}`, []string{"a?"}},
		{`{{default "x" (truncate .n .a)}}`, []string{"a?", "n"}},
		{`{{default "x" .a.b}}`, []string{"a"}},
		{`{{default "x" (index . "a")}}`, []string{"a?"}},
		{`{{$n := or .a "x"}}{{$n}}`, []string{"a?"}},
		{`{{$n := .a}}{{default "x" $n}}`, []string{"a"}},
		{`{{or .a "x"}} {{.a}}`, []string{"a"}},
		{`{{printf "%s" (or .a "x")}}`, []string{"a?"}},
	}
	for _, tt := range tests {
		got := fieldSpec(mustParse(t, tt.text).Fields())
		if !slices.Equal(got, tt.want) {
			t.Errorf("Fields(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}

func TestFieldsLine(t *testing.T) {
	text := "Hi {{if .a}}\n{{.a}}{{.b}}\n\n{{index . \"c\"}}{{end}}{{define \"t\"}}\n{{$.d}}{{.b}}{{end}}"
	want := []FieldRef{{"a", true, 1}, {"b", false, 2}, {"c", false, 4}, {"d", false, 5}}
	if got := mustParse(t, text).Fields(); !slices.Equal(got, want) {
		t.Errorf("Fields() = %+v, want %+v", got, want)
	}
}

func TestFieldsIsACopy(t *testing.T) {
	tm := mustParse(t, "{{.a}}")
	tm.Fields()[0].Name = "zzz"
	if got := tm.Fields(); got[0].Name != "a" {
		t.Errorf("Fields() after caller change = %+v", got)
	}
}

func TestRender(t *testing.T) {
	f := Fields{
		"first_name": "ana",
		"full_name":  "  Ana Lima ",
		"company":    "ACME corp",
		"event":      "GopherCon",
		"headline":   "Building payment rails for emerging markets",
		"empty":      "",
		"spaces":     "  \t",
	}
	tests := []struct {
		name, text, want string
	}{
		{"plain", "Hi {{.first_name}}, see you at {{.event}}.", "Hi ana, see you at GopherCon."},
		{"trimmed", "\n  Hi {{.first_name}}!  \n\t", "Hi ana!"},
		{"trim markers", "Hi {{- \" \" -}} {{.first_name}}", "Hi ana"},
		{"inner white space kept", "Hi\n\n{{.first_name}}", "Hi\n\nana"},
		{"lower", "{{lower .company}}", "acme corp"},
		{"upper", "{{upper .first_name}}", "ANA"},
		{"title", "{{title .first_name}}", "Ana"},
		{"title of lower", "{{title (lower .company)}}", "Acme Corp"},
		{"pipeline", "{{.company | lower | title}}", "Acme Corp"},
		{"trim", "[{{trim .full_name}}]", "[Ana Lima]"},
		{"first", "Hi {{first .full_name}}", "Hi Ana"},
		{"first piped", "Hi {{.full_name | first | upper}}", "Hi ANA"},
		{"truncate", "{{truncate 20 .headline}}", "Building payment"},
		{"truncate piped", "{{.headline | truncate 8}}", "Building"},
		{"dollar", "{{$.first_name}}", "ana"},
		{"if", "{{if .event}}at {{.event}}{{end}}", "at GopherCon"},
		{"printf", `{{printf "%s/%s" .first_name .event}}`, "ana/GopherCon"},
		{"index", `{{index . "event"}}`, "GopherCon"},
		{"define", `{{define "g"}}Hi {{.first_name}}{{end}}{{template "g" .}}`, "Hi ana"},
		{"variable", "{{$n := .first_name}}{{$n}}{{$n}}", "anaana"},
		{"no fields", "Would love to connect!", "Would love to connect!"},
		{"emoji", "Hi {{.first_name}} 👋", "Hi ana 👋"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := mustParse(t, tt.text).Render(f)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			if got != tt.want {
				t.Errorf("Render = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRenderMissing(t *testing.T) {
	f := Fields{"first_name": "Ana", "empty": "", "spaces": " \t\n", "event": "GopherCon"}
	tests := []struct {
		name, text, field string
	}{
		{"absent", "Hi {{.first_name}}, {{.topic}}", "topic"},
		{"empty", "Hi {{.empty}}", "empty"},
		{"white space only", "Hi {{.spaces}}", "spaces"},
		{"first missing in sorted order", "{{.zz}} {{.aa}}", "aa"},
		{"inside an untaken branch", "{{if false}}{{.topic}}{{end}}Hi", "topic"},
		{"else is not guarded", "Hi{{if .topic}}{{else}} {{.topic}}{{end}}", "topic"},
		{"last argument of or", "Hi {{or .nick .topic}}", "topic"},
		{"required elsewhere", "Hi {{or .topic \"x\"}} {{.topic}}", "topic"},
		{"default value", "Hi {{default .topic .nick}}", "topic"},
		{"printf in with", "Hi {{with printf \"%s\" .topic}}{{.}}{{end}}", "topic"},
		{"guards do not reach a defined template", `{{define "t"}}{{.topic}}{{end}}{{if .topic}}{{template "t" .}}{{end}}Hi`, "topic"},
		{"only optional fields, all blank", "{{if .topic}}{{.topic}}{{end}}{{.empty | default \" \"}}", ""},
		{"dollar", "{{$.topic}}", "topic"},
		{"index literal", `{{index . "topic"}}`, "topic"},
		{"defined template", `{{define "t"}}{{.topic}}{{end}}x`, "topic"},
		{"func argument", "{{lower .topic}}", "topic"},
		{"renders empty", "   {{if false}}x{{end}}\n", ""},
		{"empty template", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := mustParse(t, tt.text).Render(f)
			if !errors.Is(err, ErrMissingField) {
				t.Fatalf("Render = %q, %v; want ErrMissingField", got, err)
			}
			var mf *MissingFieldError
			if !errors.As(err, &mf) || mf.Field != tt.field {
				t.Fatalf("Render error %#v, want field %q", err, tt.field)
			}
			if got != "" {
				t.Errorf("Render returned %q with an error", got)
			}
		})
	}
}

func TestMissingFieldErrorMessage(t *testing.T) {
	if got := (&MissingFieldError{Field: "event"}).Error(); got != `missing field "event"` {
		t.Errorf("Error() = %q", got)
	}
	if got := (&MissingFieldError{}).Error(); !strings.HasPrefix(got, "missing field") {
		t.Errorf("Error() = %q", got)
	}
}

// A computed key the static check cannot see still fails: blank values are
// removed from the data and missingkey=error catches the access.
func TestRenderDynamicMissing(t *testing.T) {
	tm := mustParse(t, `{{$d := .}}Hi {{.first_name}} {{$d.topic}}`)
	if got := fieldSpec(tm.Fields()); !slices.Equal(got, []string{"first_name"}) {
		t.Fatalf("Fields() = %q; the test needs topic to be invisible to it", got)
	}
	f := Fields{"first_name": "Ana", "topic": "   "}
	_, err := tm.Render(f)
	var mf *MissingFieldError
	if !errors.As(err, &mf) || mf.Field != "topic" {
		t.Fatalf("Render: %v, want missing field topic", err)
	}
}

// text/template's data: blank values removed, the template's optional
// fields "" when blank or absent, f itself when nothing changes.
func TestData(t *testing.T) {
	tm := mustParse(t, `{{.a}} {{or .o "x"}} {{if .p}}{{end}}`)
	tests := []struct {
		f, want Fields
		same    bool
	}{
		{Fields{"a": "x", "o": "y", "p": "z"}, Fields{"a": "x", "o": "y", "p": "z"}, true},
		{Fields{"a": "x", "o": "y", "p": "z", "b": " "}, Fields{"a": "x", "o": "y", "p": "z"}, false},
		{Fields{"a": "x", "o": " \t"}, Fields{"a": "x", "o": "", "p": ""}, false},
		{Fields{"a": "x", "o": "y"}, Fields{"a": "x", "o": "y", "p": ""}, false},
	}
	for _, tt := range tests {
		got := tm.data(tt.f)
		if !maps.Equal(got, tt.want) {
			t.Errorf("data(%q) = %q, want %q", tt.f, got, tt.want)
		}
		if same := reflect.ValueOf(got).Pointer() == reflect.ValueOf(tt.f).Pointer(); same != tt.same {
			t.Errorf("data(%q) is f: %v, want %v", tt.f, same, tt.same)
		}
	}
}

// Guarded fields: an empty value takes the other branch or the fallback, on
// the fast path and through text/template alike.
func TestRenderGuards(t *testing.T) {
	tests := []struct {
		text     string
		full     string // with first_name "ana" and company "Acme"
		empty    string // with both "" (a blank value is empty)
		absent   string // with neither
		simpleOK bool   // the fast renderer takes it
	}{
		{"{{if .first_name}}Hi {{.first_name}}{{else}}Hi there{{end}}", "Hi ana", "Hi there", "Hi there", true},
		{"Hi{{with .company}} at {{.}}{{end}}!", "Hi at Acme!", "Hi!", "Hi!", true},
		{`Hi {{or .first_name "there"}}`, "Hi ana", "Hi there", "Hi there", true},
		{`Hi {{or .nick .first_name "there"}}`, "Hi ana", "Hi there", "Hi there", true},
		{`Hi {{default "there" .first_name}}`, "Hi ana", "Hi there", "Hi there", true},
		{`Hi {{.first_name | default "there" | title}}`, "Hi Ana", "Hi There", "Hi There", true},
		{`Hi {{.first_name | title | default "there"}}`, "Hi Ana", "Hi there", "Hi there", true},
		{`Hi {{default "there" (.first_name | title)}}`, "Hi Ana", "Hi there", "Hi there", false},
		{"Hi{{if not .company}} there{{else}} {{.company}} team{{end}}", "Hi Acme team", "Hi there", "Hi there", true},
		{"Hi{{if .company}} {{.company}}{{else if .first_name}} {{.first_name}}{{end}}", "Hi Acme", "Hi", "Hi", true},
		{"Hi{{with .nick}} {{.}}{{else with .first_name}} {{.}}{{end}}", "Hi ana", "Hi", "Hi", true},
		{"Hi{{if and .first_name .company}} {{.first_name}} of {{.company}}{{end}}", "Hi ana of Acme", "Hi", "Hi", false},
		{"Hi{{if eq .company \"Acme\"}} neighbour{{end}}", "Hi neighbour", "Hi", "Hi", false},
		{`Hi {{printf "%s" (or .first_name "there")}}`, "Hi ana", "Hi there", "Hi there", false},
		{"Hi{{if $n := .first_name}} {{$n}}{{end}}", "Hi ana", "Hi", "Hi", false},
	}
	rows := []Fields{
		{"first_name": "ana", "company": "Acme"},
		{"first_name": "", "company": " \t"},
		{},
	}
	for _, tt := range tests {
		tm := mustParse(t, tt.text)
		if tm.simple != tt.simpleOK {
			t.Errorf("Parse(%q).simple = %v, want %v", tt.text, tm.simple, tt.simpleOK)
		}
		for i, want := range []string{tt.full, tt.empty, tt.absent} {
			for _, fast := range []bool{false, true} {
				if fast && !tm.simple {
					continue
				}
				got, err := tm.render(rows[i], fast)
				if err != nil || got != want {
					t.Errorf("render(%q, %q, fast %v) = %q, %v; want %q", tt.text, rows[i], fast, got, err, want)
				}
			}
		}
	}
}

func TestExecErrorMessage(t *testing.T) {
	tests := []struct {
		text, want string
	}{
		{"Hi\n{{.first_name.x}}", "line 2: at <.first_name.x>: can't evaluate field x in type string"},
		{"Hi\n\n{{truncate -1 .first_name}}", "line 3: at <truncate -1 .first_name>: error calling truncate: negative length"},
		{`{{template "nope"}}`, `line 1: at <{{template "nope"}}>: template "nope" not defined`},
	}
	for _, tt := range tests {
		_, err := mustParse(t, tt.text).Render(Fields{"first_name": "Ana"})
		if err == nil || err.Error() != tt.want {
			t.Errorf("Render(%q) error = %v, want %q", tt.text, err, tt.want)
		}
		if errors.Is(err, ErrMissingField) {
			t.Errorf("Render(%q) error %v is ErrMissingField", tt.text, err)
		}
	}
}

func TestRenderOutputCap(t *testing.T) {
	tm := mustParse(t, "{{range 3000}}{{$.a}}{{end}}")
	if _, err := tm.Render(Fields{"a": strings.Repeat("xyz", 10)}); !errors.Is(err, errTooLarge) {
		t.Fatalf("Render: %v, want errTooLarge", err)
	}
	// The fast path too.
	tm = mustParse(t, "{{.a}}")
	if _, err := tm.Render(Fields{"a": strings.Repeat("x", maxOutput+1)}); !errors.Is(err, errTooLarge) {
		t.Fatalf("Render: %v, want errTooLarge", err)
	}
}

func TestPlan(t *testing.T) {
	tests := []struct {
		text   string
		simple bool
	}{
		{"Hi {{.first_name}}", true},
		{"", true},
		{"{{.a | lower}} {{upper .b}} {{$.c | trim | first}}", true},
		{"{{- .a -}}  x", true},
		{"{{.a.b}}", false},
		{"{{truncate 3 .a}}", false},
		{"{{if .a}}x{{end}}", true},
		{"{{if .a}}{{.b | upper}}{{else if not .c}}{{with $.d}}{{.}}{{end}}{{end}}", true},
		{`{{or .a "x" .b}} {{default "x" .a}} {{default .b .a | title}} {{.a | default "x" | lower}}`, true},
		{"{{with .a}}{{.b}}{{end}}", false},
		{"{{with .a}}{{if not .}}{{end}}{{end}}", true},
		{"{{if not .a .b}}{{end}}", false},
		{"{{if $x := .a}}{{end}}", false},
		{"{{if .a.b}}{{end}}", false},
		{"{{or}}", false},
		{"{{or .a 1}}", false},
		{`{{default "x"}}`, false},
		{`{{default "x" .a .b}}`, false},
		{`{{.a | default .b}}`, false},
		{`{{.a | or "x"}}`, false},
		{"{{range 2}}x{{end}}", false},
		{"{{$x := .a}}", false},
		{`{{printf "%s" .a}}`, false},
		{`{{define "x"}}{{end}}{{.a}}`, false},
		{"{{.}}", false},
		{"{{lower .a .b}}", false},
	}
	for _, tt := range tests {
		if got := mustParse(t, tt.text).simple; got != tt.simple {
			t.Errorf("Parse(%q).simple = %v, want %v", tt.text, got, tt.simple)
		}
	}
}

func TestRenderConcurrent(t *testing.T) {
	// Both renderers; text/template's with functions charging a meter of
	// their own per render (bounds.go).
	for _, text := range []string{"Hi {{.n}}, {{if .n}}{{.n}}{{end}}", "Hi {{.n}}, {{if .n}}{{lower .n}}{{end}}{{$x := 1}}"} {
		testRenderConcurrent(t, mustParse(t, text))
	}
}

func testRenderConcurrent(t *testing.T, tm *Template) {
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := strings.Repeat("x", (i+1)*1000) // a meter shared by the renders would run out
			for range 200 {
				got, err := tm.Render(Fields{"n": n})
				if want := "Hi " + n + ", " + n; err != nil || got != want {
					t.Errorf("Render = %q, %v; want %q", got, err, want)
					return
				}
			}
		}()
	}
	wg.Wait()
}
