package templates

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/template"
)

// Fields are a prospect's CSV fields by normalized header (first_name,
// company, ...). An empty value, or one of white space only, counts as
// missing.
type Fields map[string]string

// Template is a parsed note (or message) template. It is safe for concurrent
// use.
type Template struct {
	name     string
	t        *template.Template
	fields   []FieldRef // referenced top-level fields, sorted by name
	required []string   // the names of the fields that are not Optional, sorted
	optional []string   // the names of the Optional ones, sorted
	simple   bool       // plan renders the template without text/template
	plan     []segment  // see plan.go
	execs    sync.Pool  // of *execer
}

// execer is a copy of a template whose functions charge their own meter:
// one render at a time uses it, so the work bound (bounds.go) is per render.
type execer struct {
	t *template.Template
	m *meter
}

func (t *Template) execer() (*execer, error) {
	if e, ok := t.execs.Get().(*execer); ok {
		e.m.n = 0
		return e, nil
	}
	c, err := t.t.Clone()
	if err != nil {
		return nil, fmt.Errorf("template %s: %w", t.name, err)
	}
	m := &meter{}
	return &execer{t: c.Funcs(newFuncs(m)), m: m}, nil
}

// Parse parses a template: text/template syntax with missingkey=error and the
// functions documented in the package doc. A syntax error, or a template
// over the render budget (see budget.go), is an *Error carrying the line
// within text, e.g. `line 2: unexpected "}" in operand`.
func Parse(name, text string) (*Template, error) {
	t, err := template.New(name).Option("missingkey=error").Funcs(newFuncs(&meter{})).Parse(text)
	if err != nil {
		return nil, cleanError(name, err)
	}
	if err := checkBudget(t, text); err != nil {
		return nil, err
	}
	tm := &Template{name: name, t: t, fields: collectFields(t, text)}
	for _, f := range tm.fields {
		if f.Optional {
			tm.optional = append(tm.optional, f.Name)
		} else {
			tm.required = append(tm.required, f.Name)
		}
	}
	tm.plan, tm.simple = compile(t, tm.fields)
	return tm, nil
}

// Name returns the name the template was parsed with.
func (t *Template) Name() string { return t.name }

// Fields returns the top-level fields the template references anywhere
// ({{.first_name}}, {{$.event}}, {{index . "topic"}}, in actions, if, range,
// with, pipelines, function arguments and defined templates), sorted by name,
// one per name, each with whether it is optional and the line of its first
// reference. Render requires every field that is not optional.
func (t *Template) Fields() []FieldRef { return slices.Clone(t.fields) }

// Render renders the template for one prospect and returns the note trimmed
// of leading and trailing white space.
//
// Every required field (see Fields) must be present: if one is absent or
// blank in f, Render returns a *MissingFieldError (errors.Is
// ErrMissingField) without executing the template. An optional field that
// is absent or blank is the empty string. A note that renders empty is
// reported as a missing field too, with Field "". Other execution errors
// are *Error values.
func (t *Template) Render(f Fields) (string, error) {
	return t.render(f, t.simple)
}

// render is Render through the fast renderer (fast, for a simple template)
// or text/template; the differential tests compare the two.
func (t *Template) render(f Fields, fast bool) (string, error) {
	for _, name := range t.required {
		if blank(f[name]) {
			return "", &MissingFieldError{Field: name}
		}
	}
	buf := getBuffer()
	defer putBuffer(buf)
	if fast {
		if err := t.renderPlan(buf, f); err != nil {
			return "", err
		}
	} else {
		e, err := t.execer()
		if err != nil {
			return "", err
		}
		err = e.t.Execute(buf, t.data(f))
		t.execs.Put(e)
		if err != nil {
			return "", t.execError(err)
		}
	}
	out := bytes.TrimSpace(buf.b)
	if len(out) == 0 {
		return "", &MissingFieldError{}
	}
	return string(out), nil
}

// blank reports whether a field value counts as missing.
func blank(v string) bool { return strings.TrimSpace(v) == "" }

// data returns f as text/template's data: without its blank values, so
// that missingkey=error catches any access to them the static check cannot
// see ({{index . $key}}), except that the template's optional fields, when
// blank or absent, are "" (false in a condition, skipped by or and
// default). It returns f itself when nothing needs changing.
func (t *Template) data(f Fields) map[string]string {
	if t.dataIsFields(f) {
		return f
	}
	m := make(map[string]string, len(f)+len(t.optional))
	for k, v := range f {
		if !blank(v) {
			m[k] = v
		}
	}
	for _, name := range t.optional {
		if _, ok := m[name]; !ok {
			m[name] = ""
		}
	}
	return m
}

// dataIsFields reports whether f has no blank value and every optional
// field.
func (t *Template) dataIsFields(f Fields) bool {
	for _, v := range f {
		if blank(v) {
			return false
		}
	}
	for _, name := range t.optional {
		if _, ok := f[name]; !ok {
			return false
		}
	}
	return true
}

// execError converts a text/template execution error.
func (t *Template) execError(err error) error {
	switch {
	case errors.Is(err, errTooLarge):
		return errTooLarge
	case errors.Is(err, errTooMuchWork):
		return errTooMuchWork
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
