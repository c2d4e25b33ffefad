package campaigns

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/internal/strictyaml"
	"github.com/outreach-scheduler/outreach/templates"
	"go.yaml.in/yaml/v3"
)

var stepKinds = []string{string(StepFollow), string(StepConnect), string(StepMessage)}

func (l *loader) decodeSteps(root *strictyaml.Map) {
	items, ok := root.Seq("steps")
	if !ok {
		return
	}
	connect := -1 // index of the connect step
	for i, n := range items {
		path := strictyaml.Index("steps", i)
		m := l.d.Object(n, path, root.ItemSchema("steps"))
		step := Step{Line: m.Line()}
		var kinds []string
		for _, k := range stepKinds {
			if m.Has(k) {
				kinds = append(kinds, k)
			}
		}
		switch {
		case len(kinds) == 0 && m.IsMapping() && !m.Suggested("follow") && !m.Suggested("connect") && !m.Suggested("message"):
			l.d.Errorf(m.Line(), path, "want one of follow, connect or message")
		case len(kinds) > 1:
			l.d.Errorf(m.KeyLine(kinds[1]), path, "has both %s and %s; a step does one thing", kinds[0], kinds[1])
		}
		if len(kinds) > 0 {
			step.Kind = StepKind(kinds[0])
		}
		switch step.Kind {
		case StepFollow:
			m.Object("follow") // no keys: `follow: {}` or `follow:`
			if connect >= 0 {
				l.d.Errorf(m.Line(), path, "a follow step must come before the connect step (steps[%d])", connect)
			}
		case StepConnect:
			if connect >= 0 {
				l.d.Errorf(m.Line(), path, "a second connect step (the first is steps[%d]); a campaign has one", connect)
			} else {
				connect = i
			}
			step.Connect = l.decodeConnect(m.Object("connect"))
		case StepMessage:
			if connect < 0 {
				l.d.Errorf(m.Line(), path, "a message step must come after the connect step")
			}
			step.Message = l.decodeMessage(m.Object("message"))
		}
		switch step.Kind {
		case StepConnect:
			if m.Has("wait") {
				m.Errorf("wait", "not allowed on a connect step; a message's own wait counts from acceptance")
			}
		case StepMessage:
			if m.Has("wait") {
				m.Errorf("wait", "not allowed on a message step; use message.wait")
			}
		default:
			config.DecodeDuration(m, "wait", &step.Wait)
		}
		l.c.Steps = append(l.c.Steps, step)
	}
	if connect < 0 {
		l.d.Errorf(root.KeyLine("steps"), "steps", "a connect step is required")
	}
}

func (l *loader) decodeConnect(m *strictyaml.Map) *Connect {
	cn := &Connect{Line: m.Line()}
	var w time.Duration
	if config.DecodeDuration(m, "withdraw_after", &w) {
		if w == 0 {
			m.Errorf("withdraw_after", "must be positive (omit it for the config's default)")
		} else {
			cn.WithdrawAfter = w
		}
	}
	if m.Has("note") {
		l.decodeNote(m.Object("note"), cn)
	} else {
		cn.Notes, _ = templates.NewSet(nil, nil) // blank invitations; cannot fail
	}
	return cn
}

var variantNameRE = regexp.MustCompile(`^[a-z0-9_-]{1,63}$`)

// blank names the invitation without a note in a fallback list.
const blank = "blank"

func (l *loader) decodeNote(m *strictyaml.Map, cn *Connect) {
	cn.NoteLine = m.Line()
	before := l.d.Errors()
	cn.Variants = l.decodeVariants(m, true)
	cn.Fallback = l.decodeFallback(m, cn.Variants, true)
	if l.c.ABTest.Strategy == StrategyUniform && len(cn.Variants) > 0 {
		total := 0.0
		for _, v := range cn.Variants {
			if !v.Disabled {
				total += v.Weight
			}
		}
		if total == 0 {
			l.d.Errorf(m.Line(), m.Path(), "no enabled variant has a positive weight; the uniform strategy cannot choose")
		}
	}
	if l.d.Errors() != before {
		return
	}
	cn.Notes = l.variantSet(m, cn.Variants, cn.Fallback, "omit note for blank invitations")
}

// decodeVariants decodes the `variants` of a note (weight allowed) or of a
// message.
func (l *loader) decodeVariants(m *strictyaml.Map, note bool) []Variant {
	m.Required("variants")
	items, ok := m.Seq("variants")
	if ok && len(items) == 0 {
		if note {
			m.Errorf("variants", "no variants; give at least one, or omit note for blank invitations")
		} else {
			m.Errorf("variants", "no variants; give at least one, or a single text")
		}
	}
	var out []Variant
	first := map[string]int{} // variant name -> line
	for i, item := range items {
		vm := l.d.Object(item, strictyaml.Index(m.KeyPath("variants"), i), m.ItemSchema("variants"))
		v := Variant{Weight: 1, Line: vm.Line()}
		vm.Required("name", "text")
		if vm.String("name", &v.Name) {
			line, dup := first[v.Name]
			switch {
			case v.Name == blank:
				vm.Errorf("name", "%q is reserved for an invitation without a note", blank)
			case !variantNameRE.MatchString(v.Name):
				vm.Errorf("name", "bad variant name %s: want 1 to 63 of a-z, 0-9, _ and -", strictyaml.Quote(v.Name))
			case dup:
				vm.Errorf("name", "duplicate variant %q (first on line %d)", v.Name, line)
			default:
				first[v.Name] = vm.ValueLine("name")
			}
		}
		if vm.String("text", &v.Text) {
			name := v.Name
			if !variantNameRE.MatchString(name) {
				name = "variant" + strconv.Itoa(i)
			}
			v.Template = l.parseTemplate(vm, "text", name)
			v.TextLine, v.Path, v.Block = vm.ValueLine("text"), vm.KeyPath("text"), isBlock(vm.Node("text"))
		}
		if note && vm.Float("weight", &v.Weight) && v.Weight < 0 {
			vm.Errorf("weight", "must not be negative, got %g", v.Weight)
		}
		vm.Bool("disabled", &v.Disabled)
		out = append(out, v)
	}
	return out
}

// variantSet builds the templates.Set of a note or a message. A disabled
// variant is stopped by hand: the set (what validate, preview and the
// planner choose from) leaves it out, and the fallback order skips it.
// omit tells what to do instead when every variant is disabled.
func (l *loader) variantSet(m *strictyaml.Map, variants []Variant, fallback []string, omit string) *templates.Set {
	var vars []templates.Variant
	off := map[string]bool{}
	for _, v := range variants {
		if v.Disabled {
			off[v.Name] = true
			continue
		}
		vars = append(vars, templates.Variant{Name: v.Name, Template: v.Template})
	}
	if len(vars) == 0 && len(variants) > 0 {
		l.d.Errorf(m.Line(), m.Path(), "every variant is disabled; enable one, or %s", omit)
		return nil
	}
	var order []string
	for _, name := range fallback {
		if !off[name] {
			order = append(order, name)
		}
	}
	set, err := templates.NewSet(vars, order)
	if err != nil {
		l.d.Errorf(m.Line(), m.Path(), "%v", err)
		return nil
	}
	return set
}

// decodeFallback decodes the `fallback` list of a note (blank allowed) or
// of a message.
func (l *loader) decodeFallback(m *strictyaml.Map, variants []Variant, note bool) []string {
	items, _ := m.Seq("fallback")
	seen := map[string]bool{}
	var out []string
	for i, item := range items {
		path := strictyaml.Index(m.KeyPath("fallback"), i)
		name, ok := l.d.String(item, path)
		if !ok {
			continue
		}
		known := name == blank && note
		for _, v := range variants {
			known = known || v.Name == name
		}
		switch {
		case seen[name]:
			l.d.Errorf(item.Line, path, "%q is listed twice", name)
		case name == blank && !note:
			l.d.Errorf(item.Line, path, "%q is for notes: a message that renders for nobody is skipped", blank)
		case !known:
			l.d.Errorf(item.Line, path, "%s names no variant (variants: %s)", strictyaml.Quote(name), names(variants))
		default:
			out = append(out, name)
		}
		seen[name] = true
	}
	return out
}

// textVariant is the name of the one variant of a message given as a
// single `text`.
const textVariant = "text"

func (l *loader) decodeMessage(m *strictyaml.Map) *Message {
	msg := &Message{Line: m.Line()}
	config.DecodeDuration(m, "wait", &msg.Wait)
	switch {
	case m.Has("text") && m.Has("variants"):
		m.Errorf("variants", "a message has a text or variants, not both")
		return msg
	case m.Has("text"):
		if m.Has("fallback") {
			m.Errorf("fallback", "a fallback needs variants; a single text has none")
			return msg
		}
		v := Variant{Name: textVariant, Weight: 1, Line: m.KeyLine("text")}
		if m.String("text", &v.Text) {
			v.TextLine, v.Path, v.Block = m.ValueLine("text"), m.KeyPath("text"), isBlock(m.Node("text"))
			v.Template = l.parseTemplate(m, "text", "message")
			msg.Variants = []Variant{v}
		}
	case !m.Has("variants"):
		if m.IsMapping() && !m.Suggested("text") && !m.Suggested("variants") {
			l.d.Errorf(m.Line(), m.Path(), `missing required key "text" (or "variants")`)
		}
		return msg
	default:
		before := l.d.Errors()
		msg.Variants = l.decodeVariants(m, false)
		msg.Fallback = l.decodeFallback(m, msg.Variants, false)
		if l.d.Errors() != before {
			return msg
		}
	}
	if len(msg.Variants) > 0 && msg.Variants[0].Template != nil {
		msg.Set = l.variantSet(m, msg.Variants, msg.Fallback, "remove the message step")
	}
	return msg
}

// parseTemplate parses the text under key, reporting an empty text or a
// syntax error. The error is placed at the line of the text; in a literal
// block scalar (|), at the exact line inside it.
func (l *loader) parseTemplate(m *strictyaml.Map, key, name string) *templates.Template {
	n := m.Node(key)
	if strings.TrimSpace(n.Value) == "" {
		m.Errorf(key, "empty text")
		return nil
	}
	t, err := templates.Parse(name, n.Value)
	if err != nil {
		inner, msg := templateError(err)
		line := n.Line
		if isBlock(n) && inner > 0 {
			line += inner
		}
		l.d.Errorf(line, m.KeyPath(key), "%s", msg)
		return nil
	}
	return t
}

// isBlock reports whether n is a literal block scalar (|), whose lines are
// the file's lines.
func isBlock(n *yaml.Node) bool { return n != nil && n.Style&yaml.LiteralStyle != 0 }

// templateError returns the line inside the template (0 when unknown) and
// the message to report: "template: line 1: unexpected ...".
func templateError(err error) (int, string) {
	var te *templates.Error
	if !errors.As(err, &te) {
		return 0, "template: " + err.Error()
	}
	if te.Line == 0 {
		return 0, "template: " + te.Msg
	}
	return te.Line, fmt.Sprintf("template: line %d: %s", te.Line, te.Msg)
}
