package templates

import (
	"text/template"
	"text/template/parse"
)

// A plan renders the common shape of note template, text and fields with
// optional unary string functions ("Hi {{.first_name | title}}, ..."),
// without text/template's reflection. Anything else executes through
// text/template. The output is the same either way (FuzzParseRender checks).

// segment is literal text (field == "") or a field passed through fns.
type segment struct {
	text  string
	field string
	fns   []func(string) string
}

// compile returns the plan of t, or false if t needs text/template.
func compile(t *template.Template) ([]segment, bool) {
	if len(t.Templates()) != 1 || t.Tree == nil || t.Root == nil {
		return nil, false
	}
	var plan []segment
	for _, n := range t.Root.Nodes {
		switch n := n.(type) {
		case *parse.TextNode:
			plan = append(plan, segment{text: string(n.Text)})
		case *parse.ActionNode:
			seg, ok := compileAction(n.Pipe)
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

// compileAction accepts `.f`, `fn .f` and either followed by `| fn`
// commands, where f is a top-level field and fn a unary function.
func compileAction(p *parse.PipeNode) (segment, bool) {
	var seg segment
	if p == nil || len(p.Decl) > 0 || len(p.Cmds) == 0 {
		return seg, false
	}
	for i, c := range p.Cmds {
		args := c.Args
		if i == 0 && len(args) == 2 {
			fn, ok := unaryFunc(args[0])
			if !ok {
				return seg, false
			}
			seg.fns = append(seg.fns, fn)
			args = args[1:]
		}
		if len(args) != 1 {
			return seg, false
		}
		if i == 0 {
			name, ok := topField(args[0])
			if !ok {
				return seg, false
			}
			seg.field = name
			continue
		}
		fn, ok := unaryFunc(args[0])
		if !ok {
			return seg, false
		}
		seg.fns = append(seg.fns, fn)
	}
	return seg, true
}

func unaryFunc(n parse.Node) (func(string) string, bool) {
	id, ok := n.(*parse.IdentifierNode)
	if !ok {
		return nil, false
	}
	fn, ok := unary[id.Ident]
	return fn, ok
}

// topField returns f for `.f` and `$.f`.
func topField(n parse.Node) (string, bool) {
	switch n := n.(type) {
	case *parse.FieldNode:
		if len(n.Ident) == 1 {
			return n.Ident[0], true
		}
	case *parse.VariableNode:
		if len(n.Ident) == 2 && n.Ident[0] == "$" {
			return n.Ident[1], true
		}
	}
	return "", false
}

// renderPlan renders t's plan; Render has checked every field is present.
func (t *Template) renderPlan(buf *buffer, f Fields) error {
	for _, seg := range t.plan {
		if seg.field == "" {
			buf.b = append(buf.b, seg.text...)
			continue
		}
		v := f[seg.field]
		for _, fn := range seg.fns {
			v = fn(v)
		}
		buf.b = append(buf.b, v...)
	}
	if len(buf.b) > maxOutput {
		return errTooLarge
	}
	return nil
}
