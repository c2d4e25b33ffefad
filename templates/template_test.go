package templates

import (
	"errors"
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

func TestFields(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{"no fields", nil},
		{"Hi {{.first_name}}, {{.first_name}} again", []string{"first_name"}},
		{"{{.b}} {{.a}} {{.c}}", []string{"a", "b", "c"}},
		{"{{if .event}}at {{.event}}{{else}}{{.topic}}{{end}}", []string{"event", "topic"}},
		{"{{range $i, $e := .items}}{{$e}}{{end}}", []string{"items"}},
		{"{{with .company}}{{.}}{{else}}{{.school}}{{end}}", []string{"company", "school"}},
		{"{{.first_name | lower | title}}", []string{"first_name"}},
		{"{{truncate 20 .headline}} {{printf \"%s-%s\" .a (upper .b)}}", []string{"a", "b", "headline"}},
		{"{{$.event}} {{$x := .topic}}{{$x}}", []string{"event", "topic"}},
		{"{{.company.name}}", []string{"company"}},
		{"{{(.a).b}}", []string{"a"}},
		{`{{index . "2nd_degree"}} {{index $ "x"}} {{index .list 0}}`, []string{"2nd_degree", "list", "x"}},
		{`{{define "greet"}}Hi {{.first_name}}{{end}}{{template "greet" .}} {{.event}}`, []string{"event", "first_name"}},
		{`{{block "b" .}}{{.school}}{{end}}`, []string{"school"}},
		{"{{if and .a (not .b)}}{{end}}{{if eq .c \"x\"}}{{end}}", []string{"a", "b", "c"}},
		{"{{- .a -}}", []string{"a"}},
		{"{{/* {{.hidden}} */}}{{.a}}", []string{"a"}},
	}
	for _, tt := range tests {
		got := mustParse(t, tt.text).Fields()
		if !slices.Equal(got, tt.want) {
			t.Errorf("Fields(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}

func TestFieldsIsACopy(t *testing.T) {
	tm := mustParse(t, "{{.a}}")
	tm.Fields()[0] = "zzz"
	if got := tm.Fields(); got[0] != "a" {
		t.Errorf("Fields() after caller change = %q", got)
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
		{"if does not make it optional", "Hi{{if .topic}} {{.topic}}{{end}}", "topic"},
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
	if got := tm.Fields(); !slices.Equal(got, []string{"first_name"}) {
		t.Fatalf("Fields() = %q; the test needs topic to be invisible to it", got)
	}
	f := Fields{"first_name": "Ana", "topic": "   "}
	_, err := tm.Render(f)
	var mf *MissingFieldError
	if !errors.As(err, &mf) || mf.Field != "topic" {
		t.Fatalf("Render: %v, want missing field topic", err)
	}
	// The slow path's data conversion: an accessed blank value is missing.
	f2 := Fields{"a": "x", "b": ""}
	data := present(f2)
	if _, ok := data["b"]; ok || data["a"] != "x" {
		t.Errorf("present(%q) = %q", f2, data)
	}
	f3 := Fields{"a": "x"}
	if data := present(f3); len(data) != 1 {
		t.Errorf("present(%q) = %q", f3, data)
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
	tm := mustParse(t, "{{range 100000}}{{$.a}}{{end}}")
	if _, err := tm.Render(Fields{"a": "xyz"}); !errors.Is(err, errTooLarge) {
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
		{"{{if .a}}x{{end}}", false},
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
	tm := mustParse(t, "Hi {{.n}}, {{if .n}}{{.n}}{{end}}")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := strings.Repeat("x", i+1)
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
