package templates

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func mustSet(t testing.TB, fallback []string, variants ...string) *Set {
	t.Helper()
	var vs []Variant
	for i := 0; i < len(variants); i += 2 {
		tm, err := Parse(variants[i], variants[i+1])
		if err != nil {
			t.Fatal(err)
		}
		vs = append(vs, Variant{Name: variants[i], Template: tm})
	}
	s, err := NewSet(vs, fallback)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestNewSetErrors(t *testing.T) {
	a := mustParse(t, "a")
	tests := []struct {
		name     string
		variants []Variant
		fallback []string
		want     string
	}{
		{"unknown fallback", []Variant{{"event", a}}, []string{"short", "blank"}, `fallback "short" names no variant`},
		{"variant named blank", []Variant{{"blank", a}}, nil, `variant name "blank" is reserved for no note`},
		{"duplicate", []Variant{{"event", a}, {"event", a}}, nil, `variant "event" is defined twice`},
		{"no name", []Variant{{"", a}}, nil, "variant 1 has no name"},
		{"no template", []Variant{{"event", nil}}, nil, `variant "event" has no template`},
		{"fallback without variants", nil, []string{"short"}, `fallback "short" names no variant`},
	}
	for _, tt := range tests {
		_, err := NewSet(tt.variants, tt.fallback)
		if err == nil || err.Error() != tt.want {
			t.Errorf("%s: NewSet error = %v, want %q", tt.name, err, tt.want)
		}
	}
	for _, fb := range [][]string{nil, {"blank"}, {"event", "blank", "event"}} {
		if _, err := NewSet([]Variant{{"event", a}}, fb); err != nil {
			t.Errorf("NewSet(fallback %q): %v", fb, err)
		}
	}
	if _, err := NewSet(nil, nil); err != nil {
		t.Errorf("NewSet(nil, nil): %v", err)
	}
}

func TestVariants(t *testing.T) {
	s := mustSet(t, nil, "b", "x", "a", "y", "c", "z")
	if got := s.Variants(); !slices.Equal(got, []string{"b", "a", "c"}) {
		t.Errorf("Variants() = %q", got)
	}
}

const (
	eventText = "Hi {{.first_name}}, great meeting you at {{.event}}. I enjoyed our chat about {{.topic}}."
	shortText = "Hi {{.first_name}}, enjoyed {{.event}} too. Would love to connect!"
)

func TestChoose(t *testing.T) {
	full := Fields{"first_name": "Ana", "event": "GopherCon", "topic": "payments"}
	noTopic := Fields{"first_name": "Ana", "event": "GopherCon", "topic": ""}
	longEvent := Fields{"first_name": "Ana", "event": strings.Repeat("x", 300), "topic": "payments"}
	// eventNote and shortNote are the notes for full.
	eventNote := "Hi Ana, great meeting you at GopherCon. I enjoyed our chat about payments."
	shortNote := "Hi Ana, enjoyed GopherCon too. Would love to connect!"
	event := []string{"event", eventText}
	both := append(slices.Clone(event), "short", shortText)
	tooLong := func(v string, n, limit int) Attempt {
		return Attempt{Variant: v, Reason: ReasonTooLong, Detail: tooLongDetail(n, limit)}
	}
	missing := func(v, field string) Attempt {
		return Attempt{Variant: v, Reason: ReasonMissingField, Detail: `missing field "` + field + `"`}
	}
	allowance := func(v string) Attempt {
		return Attempt{Variant: v, Reason: ReasonNoteAllowance, Detail: allowanceDetail}
	}

	tests := []struct {
		name     string
		variants []string
		fallback []string
		f        Fields
		opt      ChooseOptions
		want     Note
		noFit    []Attempt // when Choose must fail with a *NoFitError
	}{
		{
			name: "preferred used", variants: both, fallback: []string{"short", "blank"}, f: full,
			opt:  ChooseOptions{Limit: 300},
			want: Note{Variant: "event", Text: eventNote, Chars: Count(eventNote)},
		},
		{
			name: "explicit preferred", variants: both, fallback: []string{"short", "blank"}, f: full,
			opt:  ChooseOptions{Limit: 300, Preferred: "short"},
			want: Note{Variant: "short", Text: shortNote, Chars: Count(shortNote)},
		},
		{
			name: "missing field falls back", variants: both, fallback: []string{"short", "blank"}, f: noTopic,
			opt: ChooseOptions{Limit: 300},
			want: Note{Variant: "short", Text: shortNote, Chars: Count(shortNote), Reason: ReasonMissingField,
				Attempts: []Attempt{missing("event", "topic")}},
		},
		{
			name: "too long falls back to blank", variants: both, fallback: []string{"short", "blank"}, f: longEvent,
			opt: ChooseOptions{Limit: 300},
			want: Note{Variant: "blank", Reason: ReasonTooLong,
				Attempts: []Attempt{tooLong("event", 365, 300), tooLong("short", 344, 300)}},
		},
		{
			name: "too long then shorter variant", variants: both, fallback: []string{"short"}, f: full,
			opt: ChooseOptions{Limit: 60},
			want: Note{Variant: "short", Text: shortNote, Chars: 53, Reason: ReasonTooLong,
				Attempts: []Attempt{{Variant: "event", Reason: ReasonTooLong, Detail: "74 chars > 60"}}},
		},
		{
			name: "note allowance spent", variants: both, fallback: []string{"short", "blank"}, f: full,
			opt: ChooseOptions{Limit: 300, NoNotes: true},
			want: Note{Variant: "blank", Reason: ReasonNoteAllowance,
				Attempts: []Attempt{allowance("event"), allowance("short")}},
		},
		{
			name: "note allowance without blank fails", variants: both, fallback: []string{"short"}, f: full,
			opt:   ChooseOptions{Limit: 300, NoNotes: true},
			noFit: []Attempt{allowance("event"), allowance("short")},
		},
		{
			name: "default fallback: other variants, not blank", variants: both, f: noTopic,
			opt: ChooseOptions{Limit: 300},
			want: Note{Variant: "short", Text: shortNote, Chars: Count(shortNote), Reason: ReasonMissingField,
				Attempts: []Attempt{missing("event", "topic")}},
		},
		{
			name: "default fallback never blank", variants: both, f: longEvent,
			opt:   ChooseOptions{Limit: 300},
			noFit: []Attempt{tooLong("event", 365, 300), tooLong("short", 344, 300)},
		},
		{
			name: "default fallback from a preferred later variant", variants: append(slices.Clone(both), "third", "Hello {{.first_name}}"),
			f: Fields{"first_name": "Ana"}, opt: ChooseOptions{Limit: 300, Preferred: "short"},
			want: Note{Variant: "third", Text: "Hello Ana", Chars: 9, Reason: ReasonMissingField,
				Attempts: []Attempt{missing("short", "event"), missing("event", "event")}},
		},
		{
			name: "fallback order is the list, skipping the preferred", variants: append(slices.Clone(both), "third", "Hello {{.first_name}}"),
			fallback: []string{"third", "event", "short"}, f: Fields{"first_name": "Ana", "event": "GopherCon"},
			opt: ChooseOptions{Limit: 300, Preferred: "event"},
			want: Note{Variant: "third", Text: "Hello Ana", Chars: 9, Reason: ReasonMissingField,
				Attempts: []Attempt{missing("event", "topic")}},
		},
		{
			name: "fallback list limits what is tried", variants: append(slices.Clone(both), "third", "Hello {{.first_name}}"),
			fallback: []string{"short"}, f: Fields{"first_name": "Ana"},
			opt:   ChooseOptions{Limit: 300},
			noFit: []Attempt{missing("event", "event"), missing("short", "event")},
		},
		{
			name: "blank first in fallback", variants: both, fallback: []string{"blank", "short"}, f: noTopic,
			opt: ChooseOptions{Limit: 300},
			want: Note{Variant: "blank", Reason: ReasonMissingField,
				Attempts: []Attempt{missing("event", "topic")}},
		},
		{
			name: "blank preferred", variants: both, fallback: []string{"short", "blank"}, f: full,
			opt:  ChooseOptions{Limit: 300, Preferred: "blank"},
			want: Note{Variant: "blank"},
		},
		{
			name: "no variants", f: full, opt: ChooseOptions{Limit: 300},
			want: Note{Variant: "blank"},
		},
		{
			name: "no variants, no notes left", f: nil, opt: ChooseOptions{Limit: 200, NoNotes: true},
			want: Note{Variant: "blank"},
		},
		{
			name: "single variant, missing, blank fallback", variants: event, fallback: []string{"blank"}, f: Fields{},
			opt: ChooseOptions{Limit: 300},
			want: Note{Variant: "blank", Reason: ReasonMissingField,
				Attempts: []Attempt{missing("event", "event")}},
		},
		{
			name: "empty rendering is missing_field", variants: []string{"cond", "{{if false}}x{{end}}"}, fallback: []string{"blank"},
			opt: ChooseOptions{Limit: 300},
			want: Note{Variant: "blank", Reason: ReasonMissingField,
				Attempts: []Attempt{{Variant: "cond", Reason: ReasonMissingField, Detail: (&MissingFieldError{}).Error()}}},
		},
		{
			name: "exactly at the limit with emoji", variants: []string{"e", "{{.x}}😀"}, f: Fields{"x": strings.Repeat("a", 298)},
			opt:  ChooseOptions{Limit: 300},
			want: Note{Variant: "e", Text: strings.Repeat("a", 298) + "😀", Chars: 300},
		},
		{
			name: "one over the limit because the emoji counts 2", variants: []string{"e", "{{.x}}😀"}, fallback: []string{"blank"},
			f: Fields{"x": strings.Repeat("a", 299)}, opt: ChooseOptions{Limit: 300},
			want: Note{Variant: "blank", Reason: ReasonTooLong, Attempts: []Attempt{tooLong("e", 301, 300)}},
		},
		{
			name: "limit counts after trimming", variants: []string{"e", "  {{.x}}  \n"}, f: Fields{"x": strings.Repeat("é", 200)},
			opt:  ChooseOptions{Limit: 200},
			want: Note{Variant: "e", Text: strings.Repeat("é", 200), Chars: 200},
		},
		{
			name: "free account limit 200", variants: both, fallback: []string{"short", "blank"},
			f: Fields{"first_name": "Ana", "event": strings.Repeat("x", 150), "topic": "payments"}, opt: ChooseOptions{Limit: 200},
			want: Note{Variant: "short", Text: "Hi Ana, enjoyed " + strings.Repeat("x", 150) + " too. Would love to connect!",
				Chars: 194, Reason: ReasonTooLong, Attempts: []Attempt{tooLong("event", 215, 200)}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustSet(t, tt.fallback, tt.variants...)
			got, err := s.Choose(tt.f, tt.opt)
			if tt.noFit != nil {
				var nf *NoFitError
				if !errors.As(err, &nf) {
					t.Fatalf("Choose = %+v, %v; want *NoFitError", got, err)
				}
				if !reflect.DeepEqual(nf.Attempts, tt.noFit) {
					t.Errorf("NoFitError.Attempts = %+v\nwant %+v", nf.Attempts, tt.noFit)
				}
				return
			}
			if err != nil {
				t.Fatalf("Choose: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Choose =\n %+v\nwant\n %+v", got, tt.want)
			}
			if got.Chars != Count(got.Text) || got.Chars > tt.opt.Limit {
				t.Errorf("Chars = %d for %q (limit %d)", got.Chars, got.Text, tt.opt.Limit)
			}
		})
	}
}

func TestChooseErrors(t *testing.T) {
	s := mustSet(t, []string{"short"}, "event", eventText, "short", shortText)
	f := Fields{"first_name": "Ana", "event": "GopherCon", "topic": "x"}
	tests := []struct {
		name string
		opt  ChooseOptions
		want string
	}{
		{"unknown preferred", ChooseOptions{Limit: 300, Preferred: "nope"}, `unknown preferred variant "nope"`},
		{"blank not allowed", ChooseOptions{Limit: 300, Preferred: "blank"}, `preferred variant "blank" is not in the fallback order`},
		{"zero limit", ChooseOptions{}, "note limit 0: must be > 0"},
		{"negative limit", ChooseOptions{Limit: -5}, "note limit -5: must be > 0"},
	}
	for _, tt := range tests {
		if _, err := s.Choose(f, tt.opt); err == nil || err.Error() != tt.want {
			t.Errorf("%s: Choose error = %v, want %q", tt.name, err, tt.want)
		}
	}
	// A template bug is an error, not a silent fallback.
	bad := mustSet(t, []string{"blank"}, "bad", "{{.first_name.x}}")
	_, err := bad.Choose(f, ChooseOptions{Limit: 300})
	if err == nil || err.Error() != `variant "bad": line 1: at <.first_name.x>: can't evaluate field x in type string` {
		t.Errorf("Choose with a template bug: %v", err)
	}
}

func TestNoFitErrorMessage(t *testing.T) {
	s := mustSet(t, []string{"short"}, "event", eventText, "short", shortText)
	_, err := s.Choose(Fields{"first_name": "Ana", "event": strings.Repeat("x", 268)}, ChooseOptions{Limit: 300})
	want := `no note fits: event: missing field "topic"; short: too long (312 > 300 chars)`
	if err == nil || err.Error() != want {
		t.Errorf("Choose error = %v\nwant %s", err, want)
	}
	err = &NoFitError{Attempts: []Attempt{{Variant: "a", Reason: ReasonNoteAllowance, Detail: allowanceDetail}, {Variant: "b", Reason: ReasonTooLong, Detail: "odd"}, {Variant: "c", Reason: ReasonMissingField}}}
	want = "no note fits: a: monthly note allowance spent; b: too long: odd; c: missing_field"
	if err.Error() != want {
		t.Errorf("Error() = %q\nwant %q", err, want)
	}
}

func TestFits(t *testing.T) {
	s := mustSet(t, []string{"blank"}, "event", eventText, "short", shortText)
	noBlank := mustSet(t, nil, "event", eventText, "short", shortText)
	full := Fields{"first_name": "Ana", "event": "GopherCon", "topic": "payments"}
	tests := []struct {
		name string
		s    *Set
		f    Fields
		opt  ChooseOptions
		want []string
	}{
		{"all fit", s, full, ChooseOptions{Limit: 300}, []string{"event", "short", "blank"}},
		{"preferred ignored", s, full, ChooseOptions{Limit: 300, Preferred: "short"}, []string{"event", "short", "blank"}},
		{"missing field", s, Fields{"first_name": "Ana", "event": "GopherCon"}, ChooseOptions{Limit: 300}, []string{"short", "blank"}},
		{"too long", s, full, ChooseOptions{Limit: 60}, []string{"short", "blank"}},
		{"no notes", s, full, ChooseOptions{Limit: 300, NoNotes: true}, []string{"blank"}},
		{"blank not listed", noBlank, full, ChooseOptions{Limit: 60}, []string{"short"}},
		{"nothing", noBlank, Fields{}, ChooseOptions{Limit: 300}, nil},
		{"no variants", mustSet(t, nil), full, ChooseOptions{Limit: 300}, []string{"blank"}},
	}
	for _, tt := range tests {
		if got := tt.s.Fits(tt.f, tt.opt); !slices.Equal(got, tt.want) {
			t.Errorf("%s: Fits = %q, want %q", tt.name, got, tt.want)
		}
	}
}
