package templates

import (
	"slices"
	"sort"
	"strings"
	"text/template"
	"text/template/parse"
)

// FieldRef is a top-level field a template references.
type FieldRef struct {
	// Name is the field: the CSV header normalized (first_name).
	Name string
	// Optional is true when every reference is guarded (see the package
	// doc): an empty value is not missing. Render requires the others.
	Optional bool
	// Line is the 1-based line of the field's first reference within the
	// template text, as in *Error.
	Line int
}

// collectFields returns the top-level fields referenced anywhere in the
// templates of t, sorted by name.
//
// A field is `.f` (and `.f.g`), `$.f`, or `index . "f"` / `index $ "f"`
// with a literal key. The walk does not track what dot is bound to inside
// range, with and defined templates: `.f` anywhere counts as field f.
//
// A reference is optional (guarded) when an empty value there cannot leave
// a hole in the note:
//
//   - in the condition of an if (a condition prints nothing), unless it
//     declares a variable;
//   - in the condition of a with whose value is true only when every field
//     it references is non-empty ({{with .f}}, {{with and .f .g}},
//     {{with lower .f}});
//   - in the body of an if or with whose condition is true only when the
//     field is non-empty, and in the else of {{if not .f}};
//   - as an argument of or other than the last ({{or .nick .first "there"}}),
//     or as the value given to default ({{default "there" .first_name}},
//     {{.first_name | default "there"}});
//   - passed through and or a string function that keeps a blank value
//     blank (lower, upper, title, trim, first, truncate) to one of these.
//
// Anything else is a required reference: an argument of printf or eq, the
// last argument of or, a variable's value, a range or a {{template}} call.
// A defined template is walked on its own: a guard around the call does
// not reach inside it.
func collectFields(t *template.Template, text string) []FieldRef {
	c := collector{lines: newLines(text), refs: map[string]*fieldInfo{}}
	for _, tt := range t.Templates() {
		if tt.Tree != nil {
			c.list(tt.Root, nil)
		}
	}
	out := make([]FieldRef, 0, len(c.refs))
	for name, info := range c.refs {
		out = append(out, FieldRef{Name: name, Optional: info.optional, Line: c.lines.line(info.pos)})
	}
	slices.SortFunc(out, func(a, b FieldRef) int { return strings.Compare(a.Name, b.Name) })
	return out
}

type fieldInfo struct {
	pos      parse.Pos // of the first reference
	optional bool      // every reference so far is guarded
}

type collector struct {
	lines lines
	refs  map[string]*fieldInfo
	cond  int // > 0 while walking an if condition: every reference is guarded
}

// guards are the fields known non-blank where the walk is.
type guards []string

func (g guards) has(name string) bool { return slices.Contains(g, name) }

func (g guards) plus(names []string) guards {
	if len(names) == 0 {
		return g
	}
	return append(slices.Clip(g), names...)
}

func (c *collector) ref(name string, pos parse.Pos, g guards, covered bool) {
	optional := covered || c.cond > 0 || g.has(name)
	info, ok := c.refs[name]
	if !ok {
		c.refs[name] = &fieldInfo{pos: pos, optional: optional}
		return
	}
	info.pos = min(info.pos, pos)
	info.optional = info.optional && optional
}

func (c *collector) list(l *parse.ListNode, g guards) {
	if l == nil {
		return
	}
	for _, n := range l.Nodes {
		c.node(n, g)
	}
}

func (c *collector) node(n parse.Node, g guards) {
	switch n := n.(type) {
	case *parse.ActionNode:
		c.pipe(n.Pipe, g, false)
	case *parse.IfNode:
		if len(n.Pipe.Decl) > 0 {
			c.condPipe(n.Pipe, g) // the variable may be printed in the body
		} else {
			c.cond++
			c.pipe(n.Pipe, g, true)
			c.cond--
		}
		c.branches(&n.BranchNode, g)
	case *parse.WithNode:
		c.condPipe(n.Pipe, g)
		c.branches(&n.BranchNode, g)
	case *parse.RangeNode:
		c.pipe(n.Pipe, g, false)
		c.list(n.List, g)
		c.list(n.ElseList, g)
	case *parse.TemplateNode:
		c.pipe(n.Pipe, g, false)
	}
}

// condPipe walks a condition whose value can reach the output (a with's
// dot, an if's variable): it is guarded when the value is true only with
// every field it references non-blank.
func (c *collector) condPipe(p *parse.PipeNode, g guards) {
	known := g.plus(truthy(p).pos)
	all := true
	probe := collector{lines: c.lines, refs: map[string]*fieldInfo{}}
	probe.pipe(p, nil, false)
	for name := range probe.refs {
		all = all && known.has(name)
	}
	if all {
		c.cond++
		defer func() { c.cond-- }()
	}
	c.pipe(p, g, all)
}

func (c *collector) branches(b *parse.BranchNode, g guards) {
	tr := truthy(b.Pipe)
	c.list(b.List, g.plus(tr.pos))
	c.list(b.ElseList, g.plus(tr.neg))
}

// pipe walks a pipeline whose value is covered (guarded) or not. In
// `A | B | C`, A's value is B's last argument and B's is C's.
func (c *collector) pipe(p *parse.PipeNode, g guards, covered bool) {
	if p == nil {
		return
	}
	for i := len(p.Cmds) - 1; i >= 0; i-- {
		covered = c.command(p.Cmds[i], g, covered, i > 0)
	}
}

// command walks one command whose result is covered or not and returns
// whether the piped-in value (its last argument, when piped) is covered.
func (c *collector) command(cmd *parse.CommandNode, g guards, covered, piped bool) bool {
	if len(cmd.Args) == 0 {
		return false
	}
	id, ok := cmd.Args[0].(*parse.IdentifierNode)
	if !ok {
		// A value: .f, $.f, (pipeline); with more arguments, a method
		// call, which fails on a string.
		for _, a := range cmd.Args {
			c.arg(a, g, covered && len(cmd.Args) == 1 && !piped)
		}
		return false
	}
	if key, ok := indexKey(cmd); ok {
		c.ref(key, cmd.Args[2].Position(), g, covered && len(cmd.Args) == 3 && !piped)
	}
	ops := cmd.Args[1:]
	n := len(ops)
	if piped {
		n++
	}
	// at tells whether operand i (the piped value is the last) is covered.
	at := func(i int) bool {
		switch id.Ident {
		case "or": // the last argument is the result when the others are empty
			return i < n-1 || covered
		case "default": // the given value is the last
			return i == n-1 || covered
		case "and": // the result is one of the arguments
			return covered
		case "lower", "upper", "title", "trim", "first", "truncate":
			return i == n-1 && covered
		}
		return false
	}
	for i, a := range ops {
		c.arg(a, g, at(i))
	}
	return piped && at(n-1)
}

func (c *collector) arg(n parse.Node, g guards, covered bool) {
	switch n := n.(type) {
	case *parse.FieldNode:
		c.ref(n.Ident[0], n.Pos, g, covered && len(n.Ident) == 1)
	case *parse.VariableNode:
		if len(n.Ident) > 1 && n.Ident[0] == "$" {
			c.ref(n.Ident[1], n.Pos, g, covered && len(n.Ident) == 2)
		}
	case *parse.ChainNode:
		c.arg(n.Node, g, false)
	case *parse.PipeNode:
		c.pipe(n, g, covered)
	}
}

// truth is what a condition's value tells about the fields: pos are
// non-blank when it is true, neg when it is false.
type truth struct{ pos, neg []string }

// truthy returns what p's truth tells. Field values are blank exactly when
// they are false (Render gives text/template "" for a blank optional
// field).
func truthy(p *parse.PipeNode) truth {
	var t truth
	if p == nil {
		return t
	}
	for i, cmd := range p.Cmds {
		t = commandTruth(cmd, t, i > 0)
	}
	return t
}

func commandTruth(cmd *parse.CommandNode, piped truth, hasPiped bool) truth {
	if len(cmd.Args) == 0 {
		return truth{}
	}
	id, ok := cmd.Args[0].(*parse.IdentifierNode)
	if !ok {
		if len(cmd.Args) == 1 && !hasPiped {
			return argTruth(cmd.Args[0])
		}
		return truth{}
	}
	if key, ok := indexKey(cmd); ok && len(cmd.Args) == 3 && !hasPiped {
		return truth{pos: []string{key}}
	}
	var ops []truth
	for _, a := range cmd.Args[1:] {
		ops = append(ops, argTruth(a))
	}
	if hasPiped {
		ops = append(ops, piped)
	}
	if len(ops) == 0 {
		return truth{}
	}
	switch id.Ident {
	case "not":
		if len(ops) == 1 {
			return truth{pos: ops[0].neg, neg: ops[0].pos}
		}
	case "and": // true: every operand is
		var t truth
		for _, o := range ops {
			t.pos = append(t.pos, o.pos...)
		}
		return t
	case "or": // false: every operand is; true: one is
		t := truth{pos: ops[0].pos}
		for _, o := range ops {
			t.neg = append(t.neg, o.neg...)
			t.pos = slices.DeleteFunc(slices.Clone(t.pos), func(s string) bool { return !slices.Contains(o.pos, s) })
		}
		return t
	case "lower", "upper", "title", "trim", "first":
		// Blank in, blank out; non-blank in, non-blank out.
		if len(ops) == 1 {
			return ops[0]
		}
	}
	return truth{}
}

func argTruth(n parse.Node) truth {
	switch n := n.(type) {
	case *parse.FieldNode:
		if len(n.Ident) == 1 {
			return truth{pos: []string{n.Ident[0]}}
		}
	case *parse.VariableNode:
		if len(n.Ident) == 2 && n.Ident[0] == "$" {
			return truth{pos: []string{n.Ident[1]}}
		}
	case *parse.PipeNode:
		if len(n.Decl) == 0 {
			return truthy(n)
		}
	}
	return truth{}
}

// indexKey returns f for the command `index . "f" ...` or `index $ "f" ...`.
func indexKey(c *parse.CommandNode) (string, bool) {
	if len(c.Args) < 3 {
		return "", false
	}
	if id, ok := c.Args[0].(*parse.IdentifierNode); !ok || id.Ident != "index" {
		return "", false
	}
	switch root := c.Args[1].(type) {
	case *parse.DotNode:
	case *parse.VariableNode:
		if len(root.Ident) != 1 || root.Ident[0] != "$" {
			return "", false
		}
	default:
		return "", false
	}
	if s, ok := c.Args[2].(*parse.StringNode); ok {
		return s.Text, true
	}
	return "", false
}

// lines maps a byte offset in a template's text to its 1-based line.
type lines []int // offsets of the line starts after the first

func newLines(text string) lines {
	var l lines
	for i := 0; i < len(text); i++ {
		if text[i] == '\n' {
			l = append(l, i+1)
		}
	}
	return l
}

func (l lines) line(pos parse.Pos) int {
	return 1 + sort.SearchInts(l, int(pos)+1)
}
