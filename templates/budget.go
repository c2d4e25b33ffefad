package templates

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"text/template/parse"
)

// maxSteps bounds the work of rendering one note: the number of template
// nodes executed (text, actions and the commands of their pipelines, each
// counted once per execution). A real note or message takes well under a
// hundred; the bound is far above that, and far below what makes a render
// slow: an empty {{range}} iteration costs about 70 ns in text/template, so
// 10,000 steps are under a millisecond.
const maxSteps = 10_000

// The render budget is checked when a template is parsed, not while it
// runs, so a template that could take too long is refused once, at
// validate, at its line, instead of once per prospect when it is rendered.
// This is possible because, with the fields being strings, a template has
// only two ways to repeat work:
//
//   - {{range N}} over an integer: a field cannot be ranged over (a string
//     is not a list), so the only range that runs is over a number. Parse
//     accepts a range over an integer literal and counts N times its body;
//     a range over anything else ({{range .items}}, {{range len .x}}) is
//     refused, as its cost cannot be known before it runs.
//   - {{template "name"}} calls: each call counts the called template's
//     cost, so a chain of templates each calling the next twice is counted
//     in full; a template that calls itself, directly or not, is refused
//     (it recurses until text/template's depth limit of 100,000, and with
//     {{if}} and slice it can branch exponentially).
//
// The cost is an upper bound (both branches of an if count, the larger
// one). The other resource, memory, is bounded by the functions
// (funcs.go: no string value over maxOutput) and the output (buffer.go),
// so every step costs at most O(maxOutput) and a render at most
// maxSteps × that. A runtime deadline was the alternative: text/template
// has no way to stop an execution but its writer, which an empty loop
// never calls, and a note that fails for some prospects only after a
// timeout is a finding per prospect instead of one at the variant's line.

// checkBudget returns an *Error when the execution of t may take over
// maxSteps steps or cannot be bounded.
func checkBudget(t *template.Template, text string) error {
	b := budget{lines: newLines(text), trees: map[string]*parse.Tree{}, cost: map[string]int{}, active: map[string]bool{}}
	for _, tt := range t.Templates() {
		if tt.Tree != nil && tt.Root != nil {
			b.trees[tt.Name()] = tt.Tree
		}
	}
	// Every defined template is checked, called or not: a rule that does
	// not depend on which templates are used is easier to state. In name
	// order, so that the error does not depend on map order.
	names := slices.Sorted(maps.Keys(b.trees))
	for _, name := range names {
		if _, err := b.template(name, 0); err != nil {
			return err
		}
	}
	return nil
}

type budget struct {
	lines  lines
	trees  map[string]*parse.Tree
	cost   map[string]int  // template name -> cost, once known
	active map[string]bool // templates being costed (a call to one is recursion)
}

// over is a cost over the budget, and the cap of every sum, so sums and
// products cannot overflow.
const over = maxSteps + 1

func add(a, b int) int { return min(a+b, over) }

func (b *budget) errorf(pos parse.Pos, format string, args ...any) error {
	return &Error{Line: b.lines.line(pos), Msg: fmt.Sprintf(format, args...)}
}

func tooMuch(what string) string {
	return what + " is too much work: a note or message may take at most " + strconv.Itoa(maxSteps) + " steps to render"
}

// template returns the cost of executing the named template; pos is the
// call's position (0 for the check of the template itself).
func (b *budget) template(name string, pos parse.Pos) (int, error) {
	if c, ok := b.cost[name]; ok {
		return c, nil
	}
	tr := b.trees[name]
	if tr == nil {
		return 1, nil // not defined: the call fails when it runs
	}
	if b.active[name] {
		return 0, b.errorf(pos, "{{template %q}}: template %q calls itself, which a template may not do", name, name)
	}
	b.active[name] = true
	c, err := b.list(tr.Root)
	delete(b.active, name)
	if err != nil {
		return 0, err
	}
	b.cost[name] = c
	return c, nil
}

func (b *budget) list(l *parse.ListNode) (int, error) {
	if l == nil {
		return 0, nil
	}
	sum := 0
	for _, n := range l.Nodes {
		c, err := b.node(n)
		if err != nil {
			return 0, err
		}
		if sum = add(sum, c); sum == over {
			what := "the template up to here"
			switch n := n.(type) {
			case *parse.RangeNode:
				what = "the template up to " + rangeHead(n)
			case *parse.TemplateNode:
				what = fmt.Sprintf("the template up to {{template %q}}", n.Name)
			}
			return 0, b.errorf(n.Position(), "%s", tooMuch(what))
		}
	}
	return sum, nil
}

func (b *budget) node(n parse.Node) (int, error) {
	switch n := n.(type) {
	case *parse.ActionNode:
		return add(1, pipeCost(n.Pipe)), nil
	case *parse.IfNode:
		return b.branch(&n.BranchNode)
	case *parse.WithNode:
		return b.branch(&n.BranchNode)
	case *parse.RangeNode:
		return b.rangeCost(n)
	case *parse.TemplateNode:
		c, err := b.template(n.Name, n.Pos)
		if err != nil {
			return 0, err
		}
		if c = add(add(1, pipeCost(n.Pipe)), c); c == over {
			return 0, b.errorf(n.Pos, "%s", tooMuch(fmt.Sprintf("{{template %q}}", n.Name)))
		}
		return c, nil
	default: // text, break, continue, comment
		return 1, nil
	}
}

func (b *budget) branch(n *parse.BranchNode) (int, error) {
	then, err := b.list(n.List)
	if err != nil {
		return 0, err
	}
	els, err := b.list(n.ElseList)
	if err != nil {
		return 0, err
	}
	return add(add(1, pipeCost(n.Pipe)), max(then, els)), nil
}

func (b *budget) rangeCost(n *parse.RangeNode) (int, error) {
	head := rangeHead(n)
	count, ok := rangeCount(n.Pipe)
	if !ok {
		return 0, b.errorf(n.Pos, "%s: range takes a whole number, such as {{range 3}}: fields are text, not lists", head)
	}
	body, err := b.list(n.List)
	if err != nil {
		return 0, err
	}
	els, err := b.list(n.ElseList)
	if err != nil {
		return 0, err
	}
	c := add(1, els) // the else runs instead of the body, when count is 0
	if per := add(body, 1); count > 0 {
		if count >= over/per+1 {
			c = over
		} else {
			c = add(c, count*per)
		}
	}
	if c == over {
		return 0, b.errorf(n.Pos, "%s", tooMuch(head))
	}
	return c, nil
}

func rangeHead(n *parse.RangeNode) string {
	return "{{range " + excerpt(n.Pipe.String()) + "}}"
}

// rangeCount returns the iteration count of `range N` (or `range $i := N`)
// with N an integer literal, an upper bound for other number literals
// (which fail when they run); false for any other range.
func rangeCount(p *parse.PipeNode) (int, bool) {
	if p == nil || len(p.Cmds) != 1 || len(p.Cmds[0].Args) != 1 {
		return 0, false
	}
	num, ok := p.Cmds[0].Args[0].(*parse.NumberNode)
	switch {
	case !ok:
		return 0, false
	case num.IsInt:
		return int(max(min(num.Int64, over), 0)), true
	case num.IsUint: // above math.MaxInt64
		return over, true
	default: // a float or complex number: range fails on it
		return 0, true
	}
}

// pipeCost counts the commands of p, including parenthesized pipelines in
// their arguments.
func pipeCost(p *parse.PipeNode) int {
	if p == nil {
		return 0
	}
	c := 0
	for _, cmd := range p.Cmds {
		c = add(c, 1)
		for _, a := range cmd.Args {
			if inner, ok := a.(*parse.PipeNode); ok {
				c = add(c, pipeCost(inner))
			}
		}
	}
	return c
}

// excerpt shortens s for a message.
func excerpt(s string) string {
	const n = 40
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && s[i]&0xC0 == 0x80 { // do not split a UTF-8 sequence
		i--
	}
	return strings.TrimRight(s[:i], " ") + "…"
}
