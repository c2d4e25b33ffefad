package templates

import (
	"strings"
	"testing"
)

func benchSet(b *testing.B) *Set {
	b.Helper()
	event, err := Parse("event-topic", "Hi {{.first_name}}, great meeting you at {{.event}}. I enjoyed our chat about {{.topic}} and would love to stay in touch here.")
	if err != nil {
		b.Fatal(err)
	}
	short, err := Parse("short", "Hi {{.first_name}}, enjoyed {{.event}} too. Would love to connect!")
	if err != nil {
		b.Fatal(err)
	}
	s, err := NewSet([]Variant{{"event-topic", event}, {"short", short}}, []string{"short", Blank})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// prospects is a realistic mix: most fit the first variant, some lack the
// topic, one has an event name too long for any note.
var prospects = []Fields{
	{"first_name": "Ana", "last_name": "Lima", "event": "GopherCon EU", "topic": "payment rails", "company": "Acme"},
	{"first_name": "Jean-Luc", "last_name": "Picard", "event": "dotGo", "topic": "", "company": "Starfleet"},
	{"first_name": "Ōsaka", "last_name": "Tanaka", "event": "Fintech Week 東京", "topic": "open banking 🏦", "company": "Mizu"},
	{"first_name": "Zoë", "last_name": "Smith", "event": strings.Repeat("Very Long Event Name ", 14), "topic": "risk", "company": "Z"},
}

func BenchmarkChoose(b *testing.B) {
	s := benchSet(b)
	opt := ChooseOptions{Limit: 300}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := s.Choose(prospects[i%len(prospects)], opt); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkChoosePreferred is the common case: the first variant fits.
func BenchmarkChoosePreferred(b *testing.B) {
	s := benchSet(b)
	opt := ChooseOptions{Limit: 300}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Choose(prospects[0], opt); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRenderExecute renders a template with an {{if}}: through
// text/template until the fast renderer took if/with/or/default.
func BenchmarkRenderExecute(b *testing.B) {
	t, err := Parse("n", "Hi {{.first_name}}, great meeting you at {{.event}}.{{if .topic}} I enjoyed our chat about {{.topic}}.{{end}}")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := t.Render(prospects[0]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRenderGuarded is the guard idioms, on the fast path.
func BenchmarkRenderGuarded(b *testing.B) {
	t, err := Parse("n", `{{if .first_name}}Hi {{.first_name}}{{else}}Hi there{{end}}, great meeting you at {{or .event "the event"}}.{{with .topic}} I enjoyed our chat about {{.}}.{{end}}`)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := t.Render(prospects[0]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRenderText is the text/template path (printf: a template the
// fast renderer does not take).
func BenchmarkRenderText(b *testing.B) {
	t, err := Parse("n", `Hi {{.first_name}}, great meeting you at {{printf "%s" .event}}.{{if .topic}} I enjoyed our chat about {{.topic}}.{{end}}`)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := t.Render(prospects[0]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCount(b *testing.B) {
	for _, bc := range []struct{ name, s string }{
		{"ascii", "Hi Ana, great meeting you at GopherCon EU. I enjoyed our chat about payment rails and would love to stay in touch here."},
		{"mixed", "Hi Zoë, great meeting you at Fintech Week 東京. I enjoyed our chat about open banking 🏦 and would love to stay in touch 👍🏽"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.s)))
			b.ReportAllocs()
			for b.Loop() {
				Count(bc.s)
			}
		})
	}
}
