package campaigns

import (
	"fmt"
	"path/filepath"
	"strings"
	"unicode"

	"github.com/outreach-scheduler/outreach/diag"
	"github.com/outreach-scheduler/outreach/internal/strictyaml"
	"github.com/outreach-scheduler/outreach/prospects"
)

// maxListedColumns bounds the columns an unknown-field finding lists when
// it has no suggestion.
const maxListedColumns = 12

// checkColumns reports every template field that is not a column of the
// prospect CSV (header: its normalized header cells): an error at the
// template's line, naming the closest column, for an enabled variant; a
// warning for a disabled one (it is not sent, but would fail when
// enabled). It returns the variants with such a field: their failures
// have a cause already reported.
func checkColumns(c *Campaign, header []string) (diag.List, map[*Variant]bool) {
	var fs diag.List
	bad := map[*Variant]bool{}
	if len(header) == 0 {
		return nil, bad // no header: the reader reported it
	}
	cols := make(map[string]bool, len(header))
	var names []string
	for _, h := range header {
		if h != "" && !cols[h] {
			cols[h] = true
			names = append(names, h)
		}
	}
	if len(names) == 0 {
		return nil, bad // no named column: the reader reported it
	}
	csv := filepath.Base(c.Prospects.Path)
	for _, v := range templateVariants(c) {
		if v.Template == nil {
			continue
		}
		for _, ref := range v.Template.Fields() {
			f := ref.Name
			if cols[f] {
				continue
			}
			bad[v] = true
			msg := fmt.Sprintf("%s: field %s is not a column of %s (%s)", v.Path, strictyaml.Quote(f), csv, columnHint(f, names))
			line := fieldLine(v, f)
			if v.Disabled {
				fs.Add(diag.Warnf(c.Path, line, "%s; the variant is disabled", msg))
			} else {
				fs.Add(diag.Errorf(c.Path, line, "%s", msg))
			}
		}
	}
	return fs, bad
}

// columnHint suggests the column a field probably means: the same name
// but for case and punctuation ({{.First_Name}}, {{.firstName}}), or one
// at a small edit distance ({{.titel}}); else it lists the columns.
func columnHint(field string, columns []string) string {
	norm := prospects.NormalizeHeader(field)
	for _, c := range columns {
		if c == norm || strings.ReplaceAll(c, "_", "") == strings.ReplaceAll(norm, "_", "") {
			return fmt.Sprintf("did you mean %q?", c)
		}
	}
	if s := strictyaml.Suggest(norm, columns); s != "" {
		return fmt.Sprintf("did you mean %q?", s)
	}
	if len(columns) > maxListedColumns {
		return fmt.Sprintf("columns: %s, ... %d in all", strings.Join(columns[:maxListedColumns], ", "), len(columns))
	}
	return "columns: " + strings.Join(columns, ", ")
}

// templateVariants returns every variant of the campaign's templates: the
// connect step's note variants, then each message step's, in file order.
func templateVariants(c *Campaign) []*Variant {
	var out []*Variant
	for i := range c.Steps {
		st := &c.Steps[i]
		var vs []Variant
		switch {
		case st.Connect != nil:
			vs = st.Connect.Variants
		case st.Message != nil:
			vs = st.Message.Variants
		}
		for j := range vs {
			out = append(out, &vs[j])
		}
	}
	return out
}

// fieldLine is the line of the file where the template of v first names
// field ({{.f}}, {{$.f}}, {{index . "f"}}): inside a literal block scalar
// the line of the reference, else the line of the text.
func fieldLine(v *Variant, field string) int {
	if !v.Block {
		return v.TextLine
	}
	for i, line := range strings.Split(v.Text, "\n") {
		if namesField(line, field) {
			return v.TextLine + 1 + i
		}
	}
	return v.TextLine
}

// namesField reports whether line holds ".field" (not followed by more of
// an identifier) or "\"field\"".
func namesField(line, field string) bool {
	if strings.Contains(line, `"`+field+`"`) {
		return true
	}
	for rest := line; ; {
		i := strings.Index(rest, "."+field)
		if i < 0 {
			return false
		}
		rest = rest[i+1+len(field):]
		if rest == "" || !isIdentRune(rune(rest[0])) {
			return true
		}
	}
}

func isIdentRune(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r)
}
