package templates

import (
	"slices"
	"text/template"
	"text/template/parse"
)

// collectFields returns the top-level fields referenced anywhere in the
// templates of t, sorted and deduplicated.
func collectFields(t *template.Template) []string {
	var out []string
	add := func(name string) {
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	for _, tt := range t.Templates() {
		if tt.Tree != nil {
			walk(tt.Root, add)
		}
	}
	slices.Sort(out)
	return out
}

// walk calls add for every top-level field referenced under n. Fields are
// `.f` (and `.f.g`), `$.f`, and `index . "f"` / `index $ "f"` with a literal
// key. It does not track what dot is bound to inside range, with and
// defined templates: `.f` anywhere counts as field f.
func walk(n parse.Node, add func(string)) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n != nil {
			for _, c := range n.Nodes {
				walk(c, add)
			}
		}
	case *parse.ActionNode:
		walk(n.Pipe, add)
	case *parse.IfNode:
		walkBranch(&n.BranchNode, add)
	case *parse.RangeNode:
		walkBranch(&n.BranchNode, add)
	case *parse.WithNode:
		walkBranch(&n.BranchNode, add)
	case *parse.TemplateNode:
		walk(n.Pipe, add)
	case *parse.PipeNode:
		if n != nil {
			for _, c := range n.Cmds {
				walk(c, add)
			}
		}
	case *parse.CommandNode:
		if key, ok := indexKey(n); ok {
			add(key)
		}
		for _, a := range n.Args {
			walk(a, add)
		}
	case *parse.ChainNode:
		walk(n.Node, add)
	case *parse.FieldNode:
		add(n.Ident[0])
	case *parse.VariableNode:
		if len(n.Ident) > 1 && n.Ident[0] == "$" {
			add(n.Ident[1])
		}
	}
}

func walkBranch(b *parse.BranchNode, add func(string)) {
	walk(b.Pipe, add)
	walk(b.List, add)
	walk(b.ElseList, add)
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
