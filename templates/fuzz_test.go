package templates

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"
)

func FuzzCount(f *testing.F) {
	for _, s := range []string{"", "abc", "André", "Andre\u0301", "你好", "😀", "👍🏽", "👨‍👩‍👧‍👦", "🇫🇷", "1️⃣", "\xff", "\xed\xa0\x80", "a\xe2\x82"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		// []rune turns each invalid byte into U+FFFD, so the reference
		// holds for any input; the contract is stated for valid UTF-8.
		if got, want := Count(s), len(utf16.Encode([]rune(s))); got != want {
			t.Fatalf("Count(%q) = %d, want %d (valid UTF-8: %v)", s, got, want, utf8.ValidString(s))
		}
	})
}

func FuzzParseRender(f *testing.F) {
	seeds := []struct{ text, a, b string }{
		{"Hi {{.first_name}}, great meeting you at {{.event}}.", "Ana", "GopherCon"},
		{"{{.first_name | lower | title}} {{upper .event}}", "JEAN-LUC", "dotGo"},
		{"{{truncate 10 .event}}|{{first .first_name}}|{{trim .event}}", "  Ana Lima ", "Payments summit 2026"},
		{"{{if .event}}{{.event}}{{else}}x{{end}}", "", "e"},
		{"{{range $i, $c := .first_name}}{{$c}}{{end}}", "ab", "c"},
		{"{{range 100000000}}{{end}}", "a", "b"},
		{`{{define "a"}}{{template "b" (printf "%s%s" . .)}}{{end}}{{define "b"}}{{template "a" .}}{{end}}{{template "a" "x"}}`, "a", "b"},
		{`{{or .first_name "there"}} {{.event | default "x" | title}}`, " ", "e"},
		{"{{if not .event}}x{{else}}{{.event}}{{end}}{{with .first_name}}{{.}}{{end}}", "", "e"},
		{`{{define "t"}}{{.event}}{{end}}{{template "t" .}}`, "a", "😀"},
		{`{{index . "first_name"}} {{printf "%q" $.event}}`, "\xff", "\t"},
		{"  \n{{.first_name}}\n  ", " ", "x"},
		{"{{.first_name.x}}", "a", "b"},
		{"{{.event}", "a", "b"},
		{"{{with .event}}{{.}}{{end}}", "a", "👨‍👩‍👧‍👦"},
		{"{{- .first_name -}} {{.event | truncate 3}}", "Andre\u0301", "1️⃣ 🇫🇷"},
	}
	for _, s := range seeds {
		f.Add(s.text, s.a, s.b)
	}
	f.Fuzz(func(t *testing.T, text, a, b string) {
		// No input is skipped for being slow: Parse refuses any template
		// over the render budget (budget.go).
		if len(text) > 4096 {
			t.Skip()
		}
		tm, err := Parse("fuzz", text)
		if err != nil {
			if strings.HasPrefix(err.Error(), "template:") {
				t.Fatalf("Parse(%q) error not cleaned: %v", text, err)
			}
			return
		}
		fields := Fields{"first_name": a, "event": b}
		out, err := tm.Render(fields)
		if err != nil {
			if out != "" {
				t.Fatalf("Render returned %q with error %v", out, err)
			}
			if strings.HasPrefix(err.Error(), "template:") {
				t.Fatalf("Render(%q) error not cleaned: %v", text, err)
			}
			return
		}
		if out == "" || out != strings.TrimSpace(out) {
			t.Fatalf("Render(%q) = %q: empty or not trimmed", text, out)
		}
		if Count(out) != len(utf16.Encode([]rune(out))) {
			t.Fatalf("Count(%q) = %d, want %d", out, Count(out), len(utf16.Encode([]rune(out))))
		}
		for _, f := range tm.Fields() {
			if !f.Optional && blank(fields[f.Name]) {
				t.Fatalf("Render(%q) succeeded without field %q", text, f.Name)
			}
		}
		// The fast renderer and text/template agree.
		var ref bytes.Buffer
		if err := tm.t.Execute(&ref, tm.data(fields)); err != nil && !errors.Is(err, errTooLarge) {
			t.Fatalf("text/template fails where Render succeeded: %q: %v", text, err)
		}
		if want := strings.TrimSpace(ref.String()); out != want {
			t.Fatalf("Render(%q) = %q, text/template gives %q (simple %v)", text, out, want, tm.simple)
		}
		// Choose agrees with Render and Count.
		s, err := NewSet([]Variant{{Name: "v", Template: tm}}, []string{Blank})
		if err != nil {
			t.Fatal(err)
		}
		limit := Count(out)
		if n, err := s.Choose(fields, ChooseOptions{Limit: limit}); err != nil || n.Variant != "v" || n.Text != out || n.Chars != limit {
			t.Fatalf("Choose at limit %d = %+v, %v", limit, n, err)
		}
		if n, err := s.Choose(fields, ChooseOptions{Limit: limit - 1}); limit > 1 && (err != nil || n.Variant != Blank || n.Reason != ReasonTooLong) {
			t.Fatalf("Choose at limit %d = %+v, %v", limit-1, n, err)
		}
	})
}

func FuzzTruncate(f *testing.F) {
	f.Add(10, "hello world again")
	f.Add(3, "ab😀c")
	f.Add(5, "Andre\u0301 x")
	f.Add(4, "👨‍👩‍👧‍👦")
	f.Add(2, "a\xffb")
	f.Fuzz(func(t *testing.T, n int, s string) {
		n %= 400
		got, err := truncate(n, s)
		if n < 0 {
			if err == nil {
				t.Fatalf("truncate(%d, %q): no error", n, s)
			}
			return
		}
		switch {
		case err != nil:
			t.Fatalf("truncate(%d, %q): %v", n, s, err)
		case Count(s) <= n && got != s:
			t.Fatalf("truncate(%d, %q) = %q, want it unchanged", n, s, got)
		case Count(got) > n:
			t.Fatalf("truncate(%d, %q) = %q: %d units", n, s, got, Count(got))
		case !strings.HasPrefix(s, got):
			t.Fatalf("truncate(%d, %q) = %q: not a prefix", n, s, got)
		case utf8.ValidString(s) && !utf8.ValidString(got):
			t.Fatalf("truncate(%d, %q) = %q: split a rune", n, s, got)
		}
	})
}
