package templates

import (
	"bytes"
	"errors"
	"slices"
	"strconv"
	"strings"
	"text/template"
)

// Fields are a prospect's CSV fields by normalized header (first_name,
// company, ...). An empty value, or one of white space only, counts as
// missing.
type Fields map[string]string

// Template is a parsed note (or message) template. It is safe for concurrent
// use.
type Template struct {
	name   string
	t      *template.Template
	fields []string  // referenced top-level fields, sorted
	simple bool      // plan renders the template without text/template
	plan   []segment // see plan.go
}

// Parse parses a template: text/template syntax with missingkey=error and the
// functions documented in the package doc. A syntax error is an *Error
// carrying the line within text, e.g. `line 2: unexpected "}" in operand`.
func Parse(name, text string) (*Template, error) {
	t, err := template.New(name).Option("missingkey=error").Funcs(funcMap).Parse(text)
	if err != nil {
		return nil, cleanError(name, err)
	}
	tm := &Template{name: name, t: t, fields: collectFields(t)}
	tm.plan, tm.simple = compile(t)
	return tm, nil
}

// Name returns the name the template was parsed with.
func (t *Template) Name() string { return t.name }

// Fields returns the top-level fields the template references anywhere
// ({{.first_name}}, {{$.event}}, {{index . "topic"}}, in actions, if, range,
// with, pipelines, function arguments and defined templates), sorted and
// deduplicated. Render requires every one of them.
func (t *Template) Fields() []string { return slices.Clone(t.fields) }

// Render renders the template for one prospect and returns the note trimmed
// of leading and trailing white space.
//
// Every field the template references is required: if one is absent or
// empty in f, Render returns a *MissingFieldError (errors.Is
// ErrMissingField) without executing the template. A note that renders
// empty is reported the same way, with Field "". Other execution errors
// are *Error values.
func (t *Template) Render(f Fields) (string, error) {
	for _, name := range t.fields {
		if blank(f[name]) {
			return "", &MissingFieldError{Field: name}
		}
	}
	buf := getBuffer()
	defer putBuffer(buf)
	if t.simple {
		if err := t.renderPlan(buf, f); err != nil {
			return "", err
		}
	} else if err := t.t.Execute(buf, present(f)); err != nil {
		return "", t.execError(err)
	}
	out := bytes.TrimSpace(buf.b)
	if len(out) == 0 {
		return "", &MissingFieldError{}
	}
	return string(out), nil
}

// blank reports whether a field value counts as missing.
func blank(v string) bool { return strings.TrimSpace(v) == "" }

// present returns f without its blank values, as the data for
// text/template (whose missingkey=error then catches any access to them).
// It returns f itself when nothing needs removing.
func present(f Fields) map[string]string {
	for _, v := range f {
		if blank(v) {
			m := make(map[string]string, len(f))
			for k, v := range f {
				if !blank(v) {
					m[k] = v
				}
			}
			return m
		}
	}
	return f
}

// execError converts a text/template execution error.
func (t *Template) execError(err error) error {
	if errors.Is(err, errTooLarge) {
		return err
	}
	const noKey = "map has no entry for key "
	msg := err.Error()
	if i := strings.LastIndex(msg, noKey); i >= 0 {
		if key, err := strconv.Unquote(msg[i+len(noKey):]); err == nil {
			return &MissingFieldError{Field: key}
		}
	}
	return cleanError(t.name, err)
}
