package templates

import (
	"errors"
	"fmt"
	"slices"
)

// Blank is the variant name meaning "no note": a blank invitation.
const Blank = "blank"

// Reason says why a variant was not used.
type Reason string

// The reasons recorded for a fallback (see docs/design.md, invariant 3).
const (
	ReasonNone          Reason = ""
	ReasonTooLong       Reason = "too_long"       // the note exceeds the account's limit
	ReasonMissingField  Reason = "missing_field"  // a field is absent or empty, or the note renders empty
	ReasonNoteAllowance Reason = "note_allowance" // the account's monthly note allowance is spent
)

// Variant is a named note template.
type Variant struct {
	Name     string
	Template *Template
}

// Set is the note variants of one connect step plus its fallback order. It
// is immutable and safe for concurrent use.
type Set struct {
	variants []Variant
	index    map[string]int // variant name -> position in variants
	order    []string       // what is tried after the first choice
	blankOK  bool           // Blank may be chosen
}

// NewSet builds the Set of a connect step. fallback is the order tried after
// the preferred variant; it may name variants and Blank. An empty fallback
// means the remaining variants in list order, and never Blank. No variants
// at all (the note is omitted) means every invitation is blank.
//
// NewSet fails if a variant has no name or template, is named "blank" or
// repeats a name, or if a fallback entry is neither a variant nor "blank".
// Repeated fallback entries are ignored.
func NewSet(variants []Variant, fallback []string) (*Set, error) {
	s := &Set{
		variants: slices.Clone(variants),
		index:    make(map[string]int, len(variants)),
		blankOK:  len(variants) == 0,
	}
	for i, v := range variants {
		switch _, dup := s.index[v.Name]; {
		case v.Name == "":
			return nil, fmt.Errorf("variant %d has no name", i+1)
		case v.Name == Blank:
			return nil, fmt.Errorf("variant name %q is reserved for no note", Blank)
		case dup:
			return nil, fmt.Errorf("variant %q is defined twice", v.Name)
		case v.Template == nil:
			return nil, fmt.Errorf("variant %q has no template", v.Name)
		}
		s.index[v.Name] = i
	}
	for _, name := range fallback {
		if _, ok := s.index[name]; !ok && name != Blank {
			return nil, fmt.Errorf("fallback %q names no variant", name)
		}
		if name == Blank {
			s.blankOK = true
		}
		if !slices.Contains(s.order, name) {
			s.order = append(s.order, name)
		}
	}
	if len(fallback) == 0 {
		s.order = s.Variants()
	}
	return s, nil
}

// Variants returns the variant names in list order.
func (s *Set) Variants() []string {
	names := make([]string, len(s.variants))
	for i, v := range s.variants {
		names[i] = v.Name
	}
	return names
}

// ChooseOptions are the account's constraints for one invitation.
type ChooseOptions struct {
	Limit     int    // the account's note limit in UTF-16 code units; must be > 0
	NoNotes   bool   // the monthly personalized-note allowance is spent
	Preferred string // the variant to try first; "" means the first variant; Blank if the set may choose it
}

// Attempt is a variant tried and not used.
type Attempt struct {
	Variant string
	Reason  Reason
	Detail  string // e.g. `missing field "event"` or `312 chars > 300`
}

// Note is the note chosen for one invitation.
type Note struct {
	Variant  string    // the chosen variant, or Blank
	Text     string    // the rendered, trimmed note; "" for Blank
	Chars    int       // Count(Text)
	Reason   Reason    // why the preferred variant was not used; ReasonNone if it was
	Attempts []Attempt // the failed attempts in order; nil if the preferred variant was used
}

const allowanceDetail = "monthly note allowance spent"

// Choose picks the note for a prospect. It tries opt.Preferred (or the first
// variant), then the fallback order, skipping a name already tried. A
// variant fails with ReasonNoteAllowance when opt.NoNotes is set, with
// ReasonMissingField when a field it needs is absent or empty, and with
// ReasonTooLong when its note exceeds opt.Limit; Blank always fits. With no
// variants Choose returns a blank Note. If nothing fits, the error is a
// *NoFitError listing the attempts. An unknown Preferred, a Limit <= 0 or a
// template execution error is an error too.
func (s *Set) Choose(f Fields, opt ChooseOptions) (Note, error) {
	if opt.Limit <= 0 {
		return Note{}, fmt.Errorf("note limit %d: must be > 0", opt.Limit)
	}
	first := opt.Preferred
	switch {
	case first == "" && len(s.variants) == 0:
		first = Blank
	case first == "":
		first = s.variants[0].Name
	case first == Blank && !s.blankOK:
		return Note{}, fmt.Errorf("preferred variant %q is not in the fallback order", Blank)
	case first != Blank:
		if _, ok := s.index[first]; !ok {
			return Note{}, fmt.Errorf("unknown preferred variant %q", first)
		}
	}
	note, failed, err := s.try(first, f, opt)
	if err != nil || failed.Reason == ReasonNone {
		return note, err
	}
	attempts := []Attempt{failed}
	for _, name := range s.order {
		if name == first {
			continue
		}
		note, failed, err = s.try(name, f, opt)
		if err != nil {
			return Note{}, err
		}
		if failed.Reason == ReasonNone {
			note.Reason = attempts[0].Reason
			note.Attempts = attempts
			return note, nil
		}
		attempts = append(attempts, failed)
	}
	return Note{}, &NoFitError{Attempts: attempts}
}

// try renders one variant: it returns the note if it fits, or else the
// failed attempt (with a non-empty Reason).
func (s *Set) try(name string, f Fields, opt ChooseOptions) (Note, Attempt, error) {
	if name == Blank {
		return Note{Variant: Blank}, Attempt{}, nil
	}
	if opt.NoNotes {
		return Note{}, Attempt{Variant: name, Reason: ReasonNoteAllowance, Detail: allowanceDetail}, nil
	}
	text, err := s.variants[s.index[name]].Template.Render(f)
	if errors.Is(err, ErrMissingField) {
		return Note{}, Attempt{Variant: name, Reason: ReasonMissingField, Detail: err.Error()}, nil
	}
	if err != nil {
		return Note{}, Attempt{}, fmt.Errorf("variant %q: %w", name, err)
	}
	n := Count(text)
	if n > opt.Limit {
		return Note{}, Attempt{Variant: name, Reason: ReasonTooLong, Detail: tooLongDetail(n, opt.Limit)}, nil
	}
	return Note{Variant: name, Text: text, Chars: n}, Attempt{}, nil
}

// Fits returns the names of the variants that render completely for f and
// fit opt.Limit, in list order, followed by Blank if the set may choose it
// (Blank is in the fallback order, or there are no variants). With
// opt.NoNotes only Blank can fit. opt.Preferred is ignored. A variant whose
// template fails to execute does not fit.
func (s *Set) Fits(f Fields, opt ChooseOptions) []string {
	var names []string
	if !opt.NoNotes && opt.Limit > 0 {
		for _, v := range s.variants {
			if text, err := v.Template.Render(f); err == nil && Count(text) <= opt.Limit {
				names = append(names, v.Name)
			}
		}
	}
	if s.blankOK {
		names = append(names, Blank)
	}
	return names
}
