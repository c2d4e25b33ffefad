package templates

import (
	"text/template"
	"text/template/parse"
)

// A plan renders the common shapes of note template without text/template's
// reflection:
//
//   - text and fields with optional unary string functions
//     ("Hi {{.first_name | title}}, ...");
//   - or over fields and string literals ({{or .first_name "there"}}),
//     default ({{default "there" .first_name}}, {{.f | default "x"}});
//   - {{if .f}}, {{if not .f}} and {{with .f}} (where {{.}} is f), with
//     {{else}}, {{else if}} and {{else with}}, around any of these.
//
// Anything else executes through text/template. The output and the errors
// are the same either way (FuzzPlan compares the two on generated
// templates and rows).

type segKind uint8

const (
	segText    segKind = iota // text
	segField                  // field's value through fns
	segOr                     // the first non-empty args value (the last if none), through fns
	segDefault                // args[1]'s value unless blank, else args[0]'s, through fns
	segIf                     // then if field is non-blank (blank, with not), else els
)

// operand is a field (field != "") or a string literal.
type operand struct {
	field string
	lit   string
}

// value is o's value as text/template sees it: a field that is blank is
// "" (Render's data, see Template.data).
func (o operand) value(f Fields) string {
	if o.field == "" {
		return o.lit
	}
	if v := f[o.field]; !blank(v) {
		return v
	}
	return ""
}

type segment struct {
	kind  segKind
	text  string
	field string
	opt   bool // segField: an optional field, "" when blank
	not   bool // segIf: negated
	args  []operand
	fns   []func(string) string
	then  []segment
	els   []segment
}

// compile returns the plan of t, or false if t needs text/template.
func compile(t *template.Template, fields []FieldRef) ([]segment, bool) {
	if len(t.Templates()) != 1 || t.Tree == nil || t.Root == nil {
		return nil, false
	}
	c := compiler{optional: map[string]bool{}}
	for _, f := range fields {
		if f.Optional {
			c.optional[f.Name] = true
		}
	}
	return c.list(t.Root, "")
}

type compiler struct {
	optional map[string]bool
}

// list compiles the nodes of l. dot is the field dot is bound to (inside
// {{with .f}}), or "" for the prospect's fields.
func (c *compiler) list(l *parse.ListNode, dot string) ([]segment, bool) {
	if l == nil {
		return nil, true
	}
	var plan []segment
	for _, n := range l.Nodes {
		switch n := n.(type) {
		case *parse.TextNode:
			plan = append(plan, segment{kind: segText, text: string(n.Text)})
		case *parse.ActionNode:
			seg, ok := c.action(n.Pipe, dot)
			if !ok {
				return nil, false
			}
			plan = append(plan, seg)
		case *parse.IfNode:
			seg, ok := c.branch(&n.BranchNode, dot, true)
			if !ok {
				return nil, false
			}
			plan = append(plan, seg)
		case *parse.WithNode:
			seg, ok := c.branch(&n.BranchNode, dot, false)
			if !ok {
				return nil, false
			}
			plan = append(plan, seg)
		default:
			return nil, false
		}
	}
	return plan, true
}

// branch compiles an if (isIf) or a with, whose body sees dot bound to the
// condition's field.
func (c *compiler) branch(b *parse.BranchNode, dot string, isIf bool) (segment, bool) {
	seg := segment{kind: segIf}
	p := b.Pipe
	if p == nil || len(p.Decl) > 0 || len(p.Cmds) != 1 {
		return seg, false
	}
	args := p.Cmds[0].Args
	if isIf && len(args) == 2 && isIdent(args[0], "not") {
		seg.not = true
		args = args[1:]
	}
	if len(args) != 1 {
		return seg, false
	}
	name, ok := fieldOf(args[0], dot)
	if !ok {
		return seg, false
	}
	seg.field = name
	inner := name
	if isIf {
		inner = dot
	}
	if seg.then, ok = c.list(b.List, inner); !ok {
		return seg, false
	}
	if seg.els, ok = c.list(b.ElseList, dot); !ok {
		return seg, false
	}
	return seg, true
}

// action compiles a pipeline that prints a value: its first command is
// `X`, `fn X`, `or A...` or `default A B`, and the others `fn` or
// `default "literal"`, where fn is a unary function.
func (c *compiler) action(p *parse.PipeNode, dot string) (segment, bool) {
	var seg segment
	if p == nil || len(p.Decl) > 0 || len(p.Cmds) == 0 {
		return seg, false
	}
	args := p.Cmds[0].Args
	switch {
	case len(args) == 1:
		name, ok := fieldOf(args[0], dot)
		if !ok {
			return seg, false
		}
		seg.kind, seg.field, seg.opt = segField, name, c.optional[name]
	case isIdent(args[0], "or") || isIdent(args[0], "default") && len(args) == 3:
		seg.kind = segOr
		if isIdent(args[0], "default") {
			seg.kind = segDefault
		}
		for _, a := range args[1:] {
			o, ok := operandOf(a, dot)
			if !ok {
				return seg, false
			}
			seg.args = append(seg.args, o)
		}
	case len(args) == 2:
		fn, ok := unaryFunc(args[0])
		if !ok {
			return seg, false
		}
		name, ok := fieldOf(args[1], dot)
		if !ok {
			return seg, false
		}
		seg.kind, seg.field, seg.opt = segField, name, c.optional[name]
		seg.fns = append(seg.fns, fn)
	default:
		return seg, false
	}
	for _, cmd := range p.Cmds[1:] {
		fn, ok := pipedFunc(cmd.Args)
		if !ok {
			return seg, false
		}
		seg.fns = append(seg.fns, fn)
	}
	return seg, true
}

// pipedFunc returns the function of a piped command: `fn` (unary) or
// `default "literal"`.
func pipedFunc(args []parse.Node) (func(string) string, bool) {
	switch len(args) {
	case 1:
		return unaryFunc(args[0])
	case 2:
		lit, ok := args[1].(*parse.StringNode)
		if !ok || !isIdent(args[0], "default") {
			return nil, false
		}
		def := lit.Text
		return func(v string) string { return dflt(def, v) }, true
	}
	return nil, false
}

func isIdent(n parse.Node, name string) bool {
	id, ok := n.(*parse.IdentifierNode)
	return ok && id.Ident == name
}

func unaryFunc(n parse.Node) (func(string) string, bool) {
	id, ok := n.(*parse.IdentifierNode)
	if !ok {
		return nil, false
	}
	fn, ok := unary[id.Ident]
	return fn, ok
}

// fieldOf returns f for `.f` (when dot is the prospect's fields), `$.f`,
// and `.` when dot is bound to field f.
func fieldOf(n parse.Node, dot string) (string, bool) {
	switch n := n.(type) {
	case *parse.FieldNode:
		if len(n.Ident) == 1 && dot == "" {
			return n.Ident[0], true
		}
	case *parse.VariableNode:
		if len(n.Ident) == 2 && n.Ident[0] == "$" {
			return n.Ident[1], true
		}
	case *parse.DotNode:
		if dot != "" {
			return dot, true
		}
	}
	return "", false
}

func operandOf(n parse.Node, dot string) (operand, bool) {
	if s, ok := n.(*parse.StringNode); ok {
		return operand{lit: s.Text}, true
	}
	name, ok := fieldOf(n, dot)
	return operand{field: name}, ok
}

// renderPlan renders t's plan; Render has checked every required field is
// present. It checks the bounds (bounds.go) where text/template does: the
// work after each function, the output at each write.
func (t *Template) renderPlan(buf *buffer, f Fields) error {
	work := 0
	return renderSegments(buf, t.plan, f, &work)
}

func renderSegments(buf *buffer, plan []segment, f Fields, work *int) error {
	for i := range plan {
		seg := &plan[i]
		var v string
		switch seg.kind {
		case segText:
			if buf.b = append(buf.b, seg.text...); len(buf.b) > maxOutput {
				return errTooLarge
			}
			continue
		case segIf:
			body := seg.els
			if blank(f[seg.field]) == seg.not {
				body = seg.then
			}
			if err := renderSegments(buf, body, f, work); err != nil {
				return err
			}
			continue
		case segField:
			v = f[seg.field]
			if seg.opt && blank(v) {
				v = ""
			}
		case segOr:
			for j, o := range seg.args {
				if v = o.value(f); v != "" || j == len(seg.args)-1 {
					break
				}
			}
		case segDefault:
			v = dflt(seg.args[0].value(f), seg.args[1].value(f))
		}
		for _, fn := range seg.fns {
			// As meter.apply.
			if *work += len(v); *work > maxWork {
				return errTooMuchWork
			}
			v = fn(v)
			if *work += len(v); *work > maxWork {
				return errTooMuchWork
			}
			if len(v) > maxOutput {
				return errTooLarge
			}
		}
		if buf.b = append(buf.b, v...); len(buf.b) > maxOutput {
			return errTooLarge
		}
	}
	return nil
}
