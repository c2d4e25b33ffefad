package campaigns

import (
	"strings"
	"testing"

	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/diag"
	"github.com/outreach-scheduler/outreach/internal/golden"
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
// finding at the line of the first left out; All lists every one.
func TestCheckCapsPerProspectFindings(t *testing.T) {
	_, capped := checkFile(t, "pinned", CheckOptions{})
	golden.Check(t, "testdata/check/pinned.golden", strings.Join(capped.Strings(), "\n")+"\n")
	sum, all := checkFile(t, "pinned", CheckOptions{All: true})
	golden.Check(t, "testdata/check/pinned-all.golden", strings.Join(all.Strings(), "\n")+"\n")
	if n := all.Count(diag.Error); n != 25 {
		t.Errorf("--all: %d errors, want 25", n)
	}
	if n := capped.Count(diag.Error); n != MaxProspectFindings+1 {
		t.Errorf("capped: %d errors, want %d", n, MaxProspectFindings+1)
	}
	if sum.Rendered != 1 || sum.Skipped[SkipInvalid] != 25 {
		t.Errorf("summary %+v", sum)
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
