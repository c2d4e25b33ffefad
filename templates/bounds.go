package templates

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/template"
)

// The work of one render is bounded three ways, so that no template, and
// no prospect's data, makes a note take long or take the machine's memory:
//
//   - steps: Parse refuses a template that may execute over maxSteps
//     template nodes (budget.go). That bounds the loops ({{range N}}) and
//     template calls, and is found once, at validate, at the line.
//   - output: the rendered note is at most maxOutput bytes (buffer.go), and
//     so is every string a function returns: {{$x = printf "%s%s" $x $x}},
//     repeated or passed down a chain of {{template}} calls, fails at
//     64 KiB instead of doubling 40 times.
//   - work: the string functions of one render handle at most maxWork
//     bytes together (their arguments and results). Steps times the
//     largest value is too much: {{range 3000}}{{$y := upper $.a}}{{end}}
//     with a 60 KB a took 1 to 4 s (on a loaded 2-core machine) within the
//     step budget; it now stops after 8 calls, in milliseconds. This bound
//     depends on the data, so it is found per prospect (an error, not a
//     missing field). text/template functions cannot see the execution
//     that calls them, so each render borrows a copy of the template whose
//     functions charge their own meter (Template.execer).
//
// The fast renderer (plan.go) applies the same bounds at the same points,
// so the two renderers fail alike.

// maxWork bounds the bytes the string functions of one render handle. A
// note handles a few kilobytes.
const maxWork = 16 * maxOutput

var errTooMuchWork = errors.New("too much work: the functions of one note may handle at most " + strconv.Itoa(maxWork) + " bytes")

// meter counts the bytes the functions of one render handle.
type meter struct{ n int }

func (m *meter) charge(n int) error {
	if m.n += n; m.n > maxWork {
		return errTooMuchWork
	}
	return nil
}

// newFuncs returns the function set of templates, on top of the
// text/template builtins, charging m. Every function is a pure string
// helper. It replaces the builtins that build strings (print, printf,
// println, html, js, urlquery) with the same functions, bounded.
func newFuncs(m *meter) template.FuncMap {
	return template.FuncMap{
		"lower":    m.unary(strings.ToLower),
		"upper":    m.unary(strings.ToUpper),
		"title":    m.unary(title),
		"trim":     m.unary(strings.TrimSpace),
		"first":    m.unary(first),
		"truncate": m.truncate,
		"default":  dflt,
		"print":    m.args(fmt.Sprint),
		"println":  m.args(fmt.Sprintln),
		"html":     m.args(template.HTMLEscaper),
		"js":       m.args(template.JSEscaper),
		"urlquery": m.args(template.URLQueryEscaper),
		"printf":   m.printf,
	}
}

// apply is fn(s) within the bounds: s is charged before fn runs, the result
// after, and a result over maxOutput is an error.
func (m *meter) apply(fn func(string) string, s string) (string, error) {
	if err := m.charge(len(s)); err != nil {
		return "", err
	}
	return m.after(fn(s))
}

func (m *meter) unary(fn func(string) string) func(string) (string, error) {
	return func(s string) (string, error) { return m.apply(fn, s) }
}

func (m *meter) truncate(n int, s string) (string, error) {
	if n < 0 {
		return "", errNegative
	}
	return m.apply(func(s string) string { s, _ = truncate(n, s); return s }, s)
}

// args returns fn bounded: its string arguments are charged, and refused
// when over maxOutput together, before it runs (an escaper makes a string
// up to 6 times longer); its result after.
func (m *meter) args(fn func(...any) string) func(...any) (string, error) {
	return func(args ...any) (string, error) {
		if err := m.before(0, args); err != nil {
			return "", err
		}
		return m.after(fn(args...))
	}
}

func (m *meter) printf(format string, args ...any) (string, error) {
	if err := m.before(len(format), args); err != nil {
		return "", err
	}
	// fmt refuses widths and precisions over 10^6, so the result stays
	// small enough to measure.
	return m.after(fmt.Sprintf(format, args...))
}

// before charges n bytes and the string arguments.
func (m *meter) before(n int, args []any) error {
	for _, a := range args {
		if s, ok := a.(string); ok {
			n += len(s)
		}
	}
	if n > maxOutput {
		return errTooLarge
	}
	return m.charge(n)
}

// after charges a result.
func (m *meter) after(s string) (string, error) {
	if err := m.charge(len(s)); err != nil {
		return "", err
	}
	if len(s) > maxOutput {
		return "", errTooLarge
	}
	return s, nil
}

// dflt is the default function, in Sprig's argument order: {{default
// "there" .first_name}} (or {{.first_name | default "there"}}) is given
// unless it is blank (empty or white space only), in which case def.
func dflt(def, given string) string {
	if blank(given) {
		return def
	}
	return given
}
