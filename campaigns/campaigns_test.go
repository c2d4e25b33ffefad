package campaigns

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/diag"
	"github.com/outreach-scheduler/outreach/prospects"

	"github.com/outreach-scheduler/outreach/internal/golden"
)

func loadConfig(t testing.TB) *config.Config {
	t.Helper()
	cfg, findings, err := config.Load("testdata/config.yaml")
	if err != nil || len(findings) > 0 {
		t.Fatalf("testdata/config.yaml: %v %q", err, findings.Strings())
	}
	return cfg
}

// TestGood loads every testdata/*.good.yaml: no findings at all.
func TestGood(t *testing.T) {
	cfg := loadConfig(t)
	files, _ := filepath.Glob("testdata/*.good.yaml")
	if len(files) == 0 {
		t.Fatal("no testdata/*.good.yaml")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			c, findings, err := Load(f, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if len(findings) > 0 {
				t.Errorf("unexpected findings:\n%s", strings.Join(findings.Strings(), "\n"))
			}
			checkUsable(t, c, cfg)
		})
	}
}

// TestBad loads every testdata/*.bad.yaml and compares its findings, one
// per line, with the .golden file beside it. -update rewrites them.
func TestBad(t *testing.T) {
	cfg := loadConfig(t)
	files, _ := filepath.Glob("testdata/*.bad.yaml")
	if len(files) == 0 {
		t.Fatal("no testdata/*.bad.yaml")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			_, findings, err := Load(f, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if !findings.HasErrors() {
				t.Errorf("a bad file must give an error finding; got %q", findings.Strings())
			}
			compareGolden(t, strings.TrimSuffix(f, ".yaml")+".golden", findings)
		})
	}
	goldens, _ := filepath.Glob("testdata/*.golden")
	for _, g := range goldens {
		if !slices.Contains(files, strings.TrimSuffix(g, ".golden")+".yaml") {
			t.Errorf("%s has no .yaml beside it", g)
		}
	}
}

func compareGolden(t *testing.T, path string, findings diag.List) {
	t.Helper()
	golden.Check(t, path, strings.Join(findings.Strings(), "\n")+"\n")
}

// checkUsable asserts what code using a Campaign without error findings
// relies on.
func checkUsable(t *testing.T, c *Campaign, cfg *config.Config) {
	t.Helper()
	if c.Name == "" || len(c.Accounts) == 0 || c.Prospects.Path == "" || c.Prospects.Key == "" || c.Line < 1 {
		t.Errorf("campaign %+v", c)
	}
	for _, id := range c.Accounts {
		if cfg != nil && cfg.Account(id) == nil {
			t.Errorf("unknown account %q", id)
		}
	}
	cn := c.ConnectStep()
	if cn == nil {
		t.Fatal("no connect step")
	}
	if cn.Notes == nil {
		t.Error("no note set")
	}
	for _, v := range cn.Variants {
		if v.Template == nil || v.Name == "" || v.Line < 1 || v.TextLine < 1 || v.Path == "" {
			t.Errorf("variant %+v", v)
		}
	}
	seen := 0
	for i, s := range c.Steps {
		switch s.Kind {
		case StepConnect:
			seen++
		case StepFollow:
			if seen > 0 {
				t.Errorf("step %d: follow after connect", i)
			}
		case StepMessage:
			if seen == 0 || s.Message == nil || s.Message.Set == nil || len(s.Message.Variants) == 0 {
				t.Errorf("step %d: bad message %+v", i, s.Message)
				break
			}
			for _, v := range s.Message.Variants {
				if v.Template == nil || v.Name == "" || v.TextLine < 1 || v.Path == "" {
					t.Errorf("step %d: message variant %+v", i, v)
				}
			}
		default:
			t.Errorf("step %d: kind %q", i, s.Kind)
		}
	}
	if seen != 1 {
		t.Errorf("%d connect steps", seen)
	}
}

func TestContract(t *testing.T) {
	c, findings, err := Load("testdata/contract.good.yaml", loadConfig(t))
	if err != nil || len(findings) > 0 {
		t.Fatal(err, findings)
	}
	if c.Path != "testdata/contract.good.yaml" || c.Name != "fintech-cfos-q1" || !slices.Equal(c.Accounts, []string{"alice", "bob"}) ||
		c.Dedupe != DedupeWorkspace || c.ABTest.Strategy != StrategyThompson || c.Line != 2 {
		t.Errorf("campaign = %+v", c)
	}
	if c.Prospects != (Source{Path: filepath.Join("testdata", "prospects.csv"), Key: "profile_url", Line: 5,
		Encoding: prospects.UTF8, EncodingKey: "prospects.encoding"}) {
		t.Errorf("prospects = %+v", c.Prospects)
	}
	if c.Exclude == nil || *c.Exclude != (Source{Path: filepath.Join("testdata", "do-not-contact.csv"), Key: "profile_url", Line: 8,
		Encoding: prospects.UTF8, EncodingKey: "exclude.encoding"}) {
		t.Errorf("exclude = %+v", c.Exclude)
	}
	if s := c.Schedule; s == nil || s.Days.String() != "mon,tue,wed,thu" || s.Hours.String() != "10:00-16:00" || s.Location != nil || s.Timezone != "" {
		t.Errorf("schedule = %+v", s)
	}
	if len(c.Steps) != 3 {
		t.Fatalf("steps = %+v", c.Steps)
	}
	if s := c.Steps[0]; s.Kind != StepFollow || s.Wait != 7*config.Day || s.Line != 14 || s.Connect != nil || s.Message != nil {
		t.Errorf("step 0 = %+v", s)
	}
	cn := c.ConnectStep()
	if c.Steps[1].Connect != cn || cn.WithdrawAfter != 21*config.Day || !slices.Equal(cn.Fallback, []string{"short", "blank"}) ||
		len(cn.Variants) != 2 || cn.Variants[0].Name != "event" || cn.Variants[0].Weight != 1 || cn.Variants[1].Line != 21 ||
		!strings.HasPrefix(cn.Variants[1].Text, "Hi {{.first_name}}, enjoyed") {
		t.Errorf("connect = %+v", cn)
	}
	if !slices.Equal(cn.Notes.Variants(), []string{"event", "short"}) {
		t.Errorf("notes = %v", cn.Notes.Variants())
	}
	if m := c.Steps[2].Message; m == nil || m.Wait != config.Day || m.Line != 25 || len(m.Variants) != 1 || m.Set == nil {
		t.Errorf("message = %+v", m)
	} else if v := m.Variants[0]; v.Name != "text" || v.Text != "Thanks for connecting, {{.first_name}}!" || v.TextLine != 27 ||
		v.Path != "steps[2].message.text" || v.Template == nil || m.Fallback != nil {
		t.Errorf("message variant = %+v", v)
	}
	if v := cn.Variants[1]; v.TextLine != 22 || v.Path != "steps[1].connect.note.variants[1].text" || cn.NoteLine != 17 {
		t.Errorf("variant %+v, note line %d", v, cn.NoteLine)
	}
}

func TestFull(t *testing.T) {
	c, findings, err := Load("testdata/full.good.yaml", loadConfig(t))
	if err != nil || len(findings) > 0 {
		t.Fatal(err, findings)
	}
	if c.Prospects.Path != filepath.Join("testdata", "lists", "prospects.csv") || c.Prospects.Key != "url" ||
		c.Prospects.Encoding != prospects.Windows1252 || c.Prospects.EncodingKey != "prospects.encoding" ||
		c.Exclude.Path != "exclude.csv" || c.Exclude.Key != "email_address" ||
		c.Exclude.Encoding != prospects.UTF16 || c.Exclude.EncodingKey != "exclude.encoding" {
		t.Errorf("sources = %+v %+v", c.Prospects, c.Exclude)
	}
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	if s := c.Schedule; s.Days.String() != "sat,sun" || s.Hours.String() != "08:00-24:00" || s.Timezone != "Asia/Tokyo" || s.Location.String() != tokyo.String() {
		t.Errorf("schedule = %+v", s)
	}
	if c.Dedupe != DedupeCampaign || c.ABTest != (ABTest{Strategy: StrategyUniform, MinSamples: 50, IncludeBlank: true, Line: 52}) {
		t.Errorf("dedupe %q, ab_test %+v", c.Dedupe, c.ABTest)
	}
	kinds := []StepKind{}
	for _, s := range c.Steps {
		kinds = append(kinds, s.Kind)
	}
	if !slices.Equal(kinds, []StepKind{StepFollow, StepFollow, StepConnect, StepMessage, StepMessage, StepMessage}) || c.Steps[1].Wait != 9*config.Day {
		t.Errorf("steps = %+v", c.Steps)
	}
	cn := c.ConnectStep()
	peer, short := cn.Variants[0], cn.Variants[1]
	if peer.Weight != 2.5 || peer.Disabled || peer.Text != "Hi {{.first_name}},\nfellow {{.industry}} person here.\n" ||
		short.Weight != 0 || !short.Disabled || short.Text != "Hi {{.first_name}}!\n" || cn.WithdrawAfter != 0 {
		t.Errorf("variants = %+v", cn.Variants)
	}
	if m := c.Steps[4].Message; m.Wait != 3*config.Day+12*time.Hour || len(m.Variants) != 1 || m.Variants[0].Text != "Following up on {{.topic}}." {
		t.Errorf("message = %+v", m)
	}
	if m := c.Steps[5].Message; m.Wait != config.Week || len(m.Variants) != 3 || m.Variants[0].Name != "warm" || !m.Variants[2].Disabled ||
		!slices.Equal(m.Fallback, []string{"plain"}) || m.Set == nil {
		t.Errorf("message with variants = %+v", m)
	}
}

func TestMinimal(t *testing.T) {
	c, findings, err := Load("testdata/minimal.good.yaml", nil) // nil config: accounts unchecked
	if err != nil || len(findings) > 0 {
		t.Fatal(err, findings)
	}
	cn := c.ConnectStep()
	if c.Prospects.Path != "/data/people.csv" || c.Exclude != nil || c.Schedule != nil || c.Dedupe != DedupeWorkspace ||
		c.ABTest.Strategy != StrategyThompson || cn == nil || cn.Variants != nil || cn.Notes == nil {
		t.Errorf("campaign = %+v", c)
	}
	if _, findings, _ := Load("testdata/accounts.bad.yaml", nil); len(findings) != 1 {
		t.Errorf("without a config only duplicates and types are checked: %q", findings.Strings())
	}
}

func TestLoadIOError(t *testing.T) {
	c, findings, err := Load("testdata/does-not-exist.yaml", nil)
	if err == nil || c != nil || findings != nil {
		t.Errorf("Load(missing) = %v, %v, %v; want an I/O error only", c, findings, err)
	}
}

func TestNormalizeHeader(t *testing.T) {
	for in, want := range map[string]string{
		"profile_url": "profile_url", "Profile URL": "profile_url", "E-mail  Address": "e_mail_address",
		"Prénom": "prénom", "url": "url",
	} {
		if got := normalizeHeader(in); got != want {
			t.Errorf("normalizeHeader(%q) = %q, want %q", in, got, want)
		}
	}
}
