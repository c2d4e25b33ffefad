package campaigns

import (
	"strings"
	"testing"

	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/diag"
	"github.com/outreach-scheduler/outreach/internal/golden"
	"github.com/outreach-scheduler/outreach/lifecycle"
	"github.com/outreach-scheduler/outreach/templates"
)

// checkFile loads testdata/check/NAME.yaml with testdata/check/config.yaml
// and checks it.
func checkFile(t *testing.T, name string, opt CheckOptions) (Summary, diag.List) {
	t.Helper()
	cfg, fs, err := config.Load("testdata/check/config.yaml")
	if err != nil || fs.HasErrors() {
		t.Fatal(err, fs)
	}
	c, fs, err := Load("testdata/check/"+name+".yaml", cfg)
	if err != nil || fs.HasErrors() {
		t.Fatal(err, fs)
	}
	sum, fs, err := Check(c, cfg, opt, nil)
	if err != nil {
		t.Fatal(err)
	}
	fs.Sort()
	return sum, fs
}

// TestCheckCapsPerProspectFindings: rows pinned to an account that is not
// a sender are listed up to MaxProspectFindings, then counted in one
// finding at the line of the first left out; All lists every one. A
// message variant naming no column is an error at its line; the other
// variant carries the message for everyone.
func TestCheckCapsPerProspectFindings(t *testing.T) {
	_, capped := checkFile(t, "pinned", CheckOptions{})
	golden.Check(t, "testdata/check/pinned.golden", strings.Join(capped.Strings(), "\n")+"\n")
	sum, all := checkFile(t, "pinned", CheckOptions{All: true})
	golden.Check(t, "testdata/check/pinned-all.golden", strings.Join(all.Strings(), "\n")+"\n")
	if n := all.Count(diag.Error); n != 26 { // 25 rows, 1 field
		t.Errorf("--all: %d errors, want 26", n)
	}
	if n := capped.Count(diag.Error); n != MaxProspectFindings+2 {
		t.Errorf("capped: %d errors, want %d", n, MaxProspectFindings+2)
	}
	if sum.Rendered != 1 || sum.Skipped[lifecycle.SkipInvalid] != 25 {
		t.Errorf("summary %+v", sum)
	}
}

// TestColumnHint: a field that is not a column names the column it
// probably means, whatever its case or punctuation, or within two edits;
// else the columns.
func TestColumnHint(t *testing.T) {
	cols := []string{"profile_url", "first_name", "title", "company"}
	for field, want := range map[string]string{
		"titel":      `did you mean "title"?`,
		"First_Name": `did you mean "first_name"?`,
		"firstName":  `did you mean "first_name"?`,
		"FIRSTNAME":  `did you mean "first_name"?`,
		"Company":    `did you mean "company"?`,
		"compny":     `did you mean "company"?`,
		"nickname":   "columns: profile_url, first_name, title, company",
		"x":          "columns: profile_url, first_name, title, company",
	} {
		if got := columnHint(field, cols); got != want {
			t.Errorf("columnHint(%q) = %q, want %q", field, got, want)
		}
	}
	many := make([]string, 14)
	for i := range many {
		many[i] = string(rune('a'+i)) + "_col"
	}
	if got := columnHint("zzzzzz", many); !strings.HasSuffix(got, ", l_col, ... 14 in all") {
		t.Errorf("long column list: %q", got)
	}
}

// TestFieldLine: inside a literal block the line of the field's first
// reference; elsewhere the line of the text.
func TestFieldLine(t *testing.T) {
	v := &Variant{TextLine: 10, Block: true, Text: "Hi {{.first_name}},\nat {{ $.company }} and {{index . \"Event\"}}\n{{.first_names}}\n"}
	for field, want := range map[string]int{"first_name": 11, "company": 12, "Event": 12, "first_names": 13, "absent": 10} {
		if got := fieldLine(v, field); got != want {
			t.Errorf("fieldLine(%q) = %d, want %d", field, got, want)
		}
	}
	v.Block = false
	if got := fieldLine(v, "company"); got != 10 {
		t.Errorf("not a block: line %d, want 10", got)
	}
}

// TestMessageChoose: a message renders its first variant that has every
// field, trying the fallback order (default: the list order), the same
// way every time; none that renders is a NoFitError, reason missing_field.
func TestMessageChoose(t *testing.T) {
	c, fs := Parse("m.yaml", []byte(`
name: m
accounts: [alice]
prospects: {csv: p.csv}
steps:
  - connect: {}
  - message:
      variants:
        - {name: full, text: "{{.first_name}} at {{.company}}"}
        - {name: off, text: "Off", disabled: true}
        - {name: company, text: "Hello {{.company}}"}
        - {name: name, text: "Hi {{.first_name}}"}
      fallback: [name, off, company]
  - message:
      variants:
        - {name: full, text: "{{.first_name}} at {{.company}}"}
        - {name: company, text: "Hello {{.company}}"}
        - {name: name, text: "Hi {{.first_name}}"}
  - message:
      text: "Thanks {{.first_name}}"
`), nil)
	if fs.HasErrors() {
		t.Fatal(fs)
	}
	m1, m2, m3 := c.Steps[1].Message, c.Steps[2].Message, c.Steps[3].Message
	both := templates.Fields{"first_name": "Ann", "company": "Acme"}
	company := templates.Fields{"company": "Acme"}
	name := templates.Fields{"first_name": "Ann"}
	cases := []struct {
		m       *Message
		f       templates.Fields
		variant string // "" no variant renders
	}{
		{m1, both, "full"}, {m1, name, "name"}, {m1, company, "company"}, {m1, templates.Fields{}, ""},
		{m2, both, "full"}, {m2, name, "name"}, {m2, company, "company"},
		{m3, name, "text"}, {m3, company, ""},
	}
	for i, tc := range cases {
		for range 3 { // deterministic
			note, err := tc.m.Choose(tc.f)
			if tc.variant == "" {
				if err == nil || MessageSkipReason(err) != MessageSkipMissingField {
					t.Errorf("case %d: %+v, %v; want no variant, reason missing_field", i, note, err)
				}
				continue
			}
			if err != nil || note.Variant != tc.variant {
				t.Errorf("case %d: %+v, %v; want variant %s", i, note, err, tc.variant)
			}
		}
	}
	if got := MessageSkipReason(&templates.Error{Msg: "boom"}); got != MessageSkipInvalid {
		t.Errorf("an execution error: reason %q", got)
	}
}
