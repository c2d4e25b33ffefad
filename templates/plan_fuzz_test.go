package templates

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
)

// progGen writes a note template from bytes: text, fields, functions, or,
// default, if/with/else, and some constructs only text/template renders.
type progGen struct {
	b     []byte
	depth int
}

func (g *progGen) pick(n int) int {
	if len(g.b) == 0 {
		return 0
	}
	v := int(g.b[0]) % n
	g.b = g.b[1:]
	return v
}

func (g *progGen) oneOf(s ...string) string { return s[g.pick(len(s))] }

// list writes up to 4 items; inWith says dot is a field.
func (g *progGen) list(inWith bool) string {
	var b strings.Builder
	for n := g.pick(5); n > 0 && len(g.b) > 0; n-- {
		switch g.pick(6) {
		case 0, 1:
			b.WriteString(g.oneOf("Hi ", ", ", "!", " ", "\n", "x", "é", "😀", "  "))
		case 2, 3:
			l, r := "{{", "}}"
			if g.pick(4) == 0 {
				l, r = "{{- ", " -}}"
			}
			b.WriteString(l + g.expr(inWith) + r)
		case 4:
			if g.depth < 3 {
				g.depth++
				b.WriteString("{{if " + g.cond(inWith) + "}}" + g.list(inWith))
				switch g.pick(3) {
				case 1:
					b.WriteString("{{else}}" + g.list(inWith))
				case 2:
					b.WriteString("{{else if " + g.cond(inWith) + "}}" + g.list(inWith))
				}
				b.WriteString("{{end}}")
				g.depth--
			}
		case 5:
			if g.depth < 3 {
				g.depth++
				b.WriteString("{{with " + g.ref(inWith) + "}}" + g.list(true))
				switch g.pick(3) {
				case 1:
					b.WriteString("{{else}}" + g.list(inWith))
				case 2:
					b.WriteString("{{else with " + g.ref(inWith) + "}}" + g.list(true))
				}
				b.WriteString("{{end}}")
				g.depth--
			}
		}
	}
	return b.String()
}

func (g *progGen) ref(inWith bool) string {
	refs := []string{".a", ".b", ".c", "$.a", "$.b", "$.c", `index . "a"`}
	if inWith {
		refs = append(refs, ".", ".", ".")
	}
	return g.oneOf(refs...)
}

func (g *progGen) fn() string { return g.oneOf("lower", "upper", "title", "trim", "first") }

func (g *progGen) lit() string { return g.oneOf(`"there"`, `""`, `" "`, `"X y"`) }

func (g *progGen) operand(inWith bool) string {
	if g.pick(3) == 0 {
		return g.lit()
	}
	return g.ref(inWith)
}

func (g *progGen) expr(inWith bool) string {
	switch g.pick(12) {
	case 0, 1:
		return g.ref(inWith)
	case 2:
		return g.fn() + " " + g.ref(inWith)
	case 3:
		return g.ref(inWith) + " | " + g.fn() + " | " + g.fn()
	case 4:
		ops := []string{g.operand(inWith)}
		for n := g.pick(3); n >= 0; n-- {
			ops = append(ops, g.operand(inWith))
		}
		return "or " + strings.Join(ops, " ")
	case 5:
		return "default " + g.operand(inWith) + " " + g.ref(inWith)
	case 6:
		return g.ref(inWith) + " | default " + g.lit()
	case 7:
		return g.ref(inWith) + " | " + g.fn() + " | default " + g.lit() + " | " + g.fn()
	case 8:
		return "or " + g.ref(inWith) + " " + g.lit() + " | " + g.fn()
	case 9: // text/template only
		return g.oneOf(`printf "%s!" `, "truncate 3 ", "len ") + g.ref(inWith)
	case 10:
		return `default "x" (` + g.ref(inWith) + " | " + g.fn() + ")"
	default:
		return "and " + g.ref(inWith) + " " + g.ref(inWith)
	}
}

func (g *progGen) cond(inWith bool) string {
	switch g.pick(7) {
	case 0, 1, 2:
		return g.ref(inWith)
	case 3:
		return "not " + g.ref(inWith)
	case 4:
		return "and " + g.ref(inWith) + " " + g.ref(inWith)
	case 5:
		return "eq " + g.ref(inWith) + " " + g.lit()
	default:
		return g.fn() + " " + g.ref(inWith)
	}
}

// planRows are the rows each generated template renders: every
// combination of absent, blank and present values of a, b and c.
var planRows = func() []Fields {
	vals := []string{"", " \t", "ana", " jean-luc o'neil "}
	var rows []Fields
	for i := range len(vals) * len(vals) * len(vals) {
		row := Fields{}
		for j, name := range []string{"a", "b", "c"} {
			v := i / []int{1, 4, 16}[j] % 4
			if v > 0 { // 0: absent
				row[name] = vals[v]
			}
		}
		rows = append(rows, row)
	}
	return append(rows, Fields{"a": "", "b": "", "c": ""}, Fields{"a": "ȿ Ⱥ", "b": "X", "c": "😀"})
}()

// checkPlan renders text for every row through text/template and, when
// the fast renderer takes it, through the fast renderer, and fails when
// they differ in output or error. It reports whether the template was
// simple.
func checkPlan(t *testing.T, text string) bool {
	t.Helper()
	tm, err := Parse("gen", text)
	if err != nil {
		return false
	}
	required := map[string]bool{}
	for _, f := range tm.Fields() {
		required[f.Name] = !f.Optional
	}
	for _, row := range planRows {
		slow, slowErr := tm.render(row, false)
		if slowErr == nil {
			for name, req := range required {
				if req && blank(row[name]) {
					t.Fatalf("%q on %q = %q: required field %q is blank", text, row, slow, name)
				}
			}
		}
		var mf *MissingFieldError
		if errors.As(slowErr, &mf) && mf.Field != "" && (!required[mf.Field] || !blank(row[mf.Field])) {
			t.Fatalf("%q on %q: %v, but %q is optional or present", text, row, slowErr, mf.Field)
		}
		if !tm.simple {
			continue
		}
		fast, fastErr := tm.render(row, true)
		if fast != slow || errString(fastErr) != errString(slowErr) {
			t.Fatalf("%q on %q:\nfast renderer  %q, %v\ntext/template  %q, %v", text, row, fast, fastErr, slow, slowErr)
		}
	}
	return tm.simple
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// FuzzPlan compares the fast renderer with text/template on generated
// templates and rows.
func FuzzPlan(f *testing.F) {
	f.Add([]byte("\x02\x00\x04\x02\x03\x01\x05\x00"))
	f.Add([]byte("\x04\x04\x01\x03\x02\x04\x05\x01\x02\x00\x03\x05\x01"))
	f.Add([]byte("\x05\x05\x03\x02\x02\x01\x06\x07\x02\x08\x01\x04"))
	f.Fuzz(func(t *testing.T, prog []byte) {
		g := progGen{b: prog}
		checkPlan(t, g.list(false))
	})
}

// TestPlanAgrees is FuzzPlan's check over a fixed set of generated
// templates, most of which the fast renderer takes.
func TestPlanAgrees(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 1))
	n, simple := 3000, 0
	if testing.Short() {
		n = 300
	}
	for range n {
		prog := make([]byte, 48)
		for i := range prog {
			prog[i] = byte(r.Uint32())
		}
		g := progGen{b: prog}
		if checkPlan(t, g.list(false)) {
			simple++
		}
	}
	t.Logf("%d of %d generated templates are simple", simple, n)
	if simple < n/3 {
		t.Errorf("only %d of %d generated templates are simple: the comparison tests little", simple, n)
	}
}
