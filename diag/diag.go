package diag

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Severity tells whether a finding makes the input invalid.
type Severity uint8

const (
	// Error makes the input invalid: validate exits 1.
	Error Severity = iota
	// Warning is printed but does not fail validation.
	Warning
)

func (s Severity) String() string {
	if s == Warning {
		return "warning"
	}
	return "error"
}

// Finding is one problem in the user's input, with its location.
type Finding struct {
	File     string   // path as the user named it (or as resolved from the file that names it)
	Line     int      // 1-based line; 0 when the finding has no line
	Prospect string   // key of the prospect the finding is about, if any
	Severity Severity // Error unless stated
	Message  string
}

// String formats the finding as FILE:LINE: message (see the package doc).
func (f Finding) String() string {
	var b strings.Builder
	b.WriteString(f.File)
	switch {
	case f.Line > 0:
		fmt.Fprintf(&b, ":%d: ", f.Line)
	case f.Prospect != "":
		fmt.Fprintf(&b, ": prospect %s: ", f.Prospect)
	default:
		b.WriteString(": ")
	}
	if f.Severity == Warning {
		b.WriteString("warning: ")
	}
	b.WriteString(f.Message)
	return b.String()
}

// Error lets a single finding be returned as an error.
func (f Finding) Error() string { return f.String() }

// Errorf returns an error finding at file:line.
func Errorf(file string, line int, format string, args ...any) Finding {
	return Finding{File: file, Line: line, Message: fmt.Sprintf(format, args...)}
}

// Warnf returns a warning finding at file:line.
func Warnf(file string, line int, format string, args ...any) Finding {
	return Finding{File: file, Line: line, Severity: Warning, Message: fmt.Sprintf(format, args...)}
}

// List is an ordered collection of findings.
type List []Finding

// Add appends findings.
func (l *List) Add(f ...Finding) { *l = append(*l, f...) }

// Errorf appends an error finding at file:line.
func (l *List) Errorf(file string, line int, format string, args ...any) {
	*l = append(*l, Errorf(file, line, format, args...))
}

// HasErrors reports whether any finding is an error.
func (l List) HasErrors() bool { return l.Count(Error) > 0 }

// Count returns the number of findings of the given severity.
func (l List) Count(s Severity) int {
	n := 0
	for _, f := range l {
		if f.Severity == s {
			n++
		}
	}
	return n
}

// Sort orders findings by file, then line, keeping the order of findings
// at the same place (so per-prospect findings stay in CSV order).
func (l List) Sort() {
	slices.SortStableFunc(l, func(a, b Finding) int {
		if c := cmp.Compare(a.File, b.File); c != 0 {
			return c
		}
		return cmp.Compare(a.Line, b.Line)
	})
}

// Strings returns each finding formatted, in order.
func (l List) Strings() []string {
	out := make([]string, len(l))
	for i, f := range l {
		out[i] = f.String()
	}
	return out
}

// Err returns the list as an error when it holds an error finding, else nil.
func (l List) Err() error {
	if !l.HasErrors() {
		return nil
	}
	return ListError(l)
}

// ListError is a List used as an error value.
type ListError List

func (e ListError) Error() string { return strings.Join(List(e).Strings(), "\n") }
