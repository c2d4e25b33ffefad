package templates

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrMissingField is matched (errors.Is) by every error reporting that a
// note cannot be rendered because a field it needs is absent or empty.
var ErrMissingField = errors.New("missing field")

// MissingFieldError reports the field a template needs and the prospect
// lacks. Field is "" when every field was present but the note rendered
// empty (white space only), which is as much a hole as a missing field.
type MissingFieldError struct {
	Field string
}

func (e *MissingFieldError) Error() string {
	if e.Field == "" {
		return "missing field (the note renders empty)"
	}
	return "missing field " + strconv.Quote(e.Field)
}

// Is reports whether target is ErrMissingField.
func (e *MissingFieldError) Is(target error) bool { return target == ErrMissingField }

// Error is a template syntax or execution error, without text/template's
// "template: NAME:" prefix. Line is 1-based within the template text (0 if
// text/template gave none), so a caller that knows where the text starts in
// its file can report FILE:LINE.
type Error struct {
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line == 0 {
		return e.Msg
	}
	return "line " + strconv.Itoa(e.Line) + ": " + e.Msg
}

// NoFitError is returned by Set.Choose when no variant in the fallback order
// renders completely within the limit and "blank" is not in the order.
type NoFitError struct {
	Attempts []Attempt
}

func (e *NoFitError) Error() string {
	var b strings.Builder
	b.WriteString("no note fits")
	for i, a := range e.Attempts {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(a.Variant)
		b.WriteString(": ")
		b.WriteString(a.describe())
	}
	return b.String()
}

// WaitsForNotes reports whether err is a NoFitError in which the spent
// monthly note allowance stood in the way (a variant failed with
// ReasonNoteAllowance): the planner then holds the prospect until next
// month instead of skipping it.
func WaitsForNotes(err error) bool {
	var nf *NoFitError
	if !errors.As(err, &nf) {
		return false
	}
	for _, at := range nf.Attempts {
		if at.Reason == ReasonNoteAllowance {
			return true
		}
	}
	return false
}

// tooLongDetail is the Detail of a too_long attempt.
func tooLongDetail(chars, limit int) string {
	return fmt.Sprintf("%d chars > %d", chars, limit)
}

// describe words an attempt for NoFitError.
func (a Attempt) describe() string {
	if a.Reason == ReasonTooLong {
		var chars, limit int
		if _, err := fmt.Sscanf(a.Detail, "%d chars > %d", &chars, &limit); err == nil {
			return fmt.Sprintf("too long (%d > %d chars)", chars, limit)
		}
		return "too long: " + a.Detail
	}
	if a.Detail != "" {
		return a.Detail
	}
	return string(a.Reason)
}

// cleanError turns a text/template error into one that carries the line
// within the template text and no "template: NAME:" prefix.
func cleanError(name string, err error) error {
	msg := err.Error()
	rest, ok := strings.CutPrefix(msg, "template: "+name+":")
	if !ok {
		return &Error{Msg: strings.TrimPrefix(msg, "template: ")}
	}
	// rest is "LINE: msg" (parse) or "LINE:COL: msg" (execution).
	i := strings.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })
	line, err2 := strconv.Atoi(rest[:max(i, 0)])
	if i <= 0 || err2 != nil {
		return &Error{Msg: strings.TrimPrefix(rest, " ")}
	}
	rest = rest[i:]
	if col, ok := strings.CutPrefix(rest, ":"); ok {
		// Skip the column of an execution error.
		j := strings.IndexFunc(col, func(r rune) bool { return r < '0' || r > '9' })
		if j > 0 {
			rest = col[j:]
		}
	}
	rest = strings.TrimPrefix(rest, ": ")
	rest = strings.TrimPrefix(rest, "template: ")
	// An execution error says `executing "NAME" at <ACTION>: msg`.
	if after, ok := strings.CutPrefix(rest, "executing "); ok {
		if q, err := strconv.QuotedPrefix(after); err == nil {
			rest = strings.TrimPrefix(after[len(q):], " ")
		}
	}
	return &Error{Line: line, Msg: rest}
}
