package campaigns

import (
	"slices"
	"strings"
	"testing"

	"github.com/outreach-scheduler/outreach/lifecycle"
)

// A field used only under a guard ({{if .f}}, {{with .f}}, or, default) is
// optional: a prospect without it gets the other branch or the fallback,
// and Check (validate, preview, simulate) reports nothing.
func TestCheckGuards(t *testing.T) {
	cfg := loadConfig(t)
	c, findings, err := Load("testdata/guards.good.yaml", cfg)
	if err != nil || len(findings) > 0 {
		t.Fatal(err, findings)
	}
	var notes []string
	sum, findings, err := Check(c, cfg, CheckOptions{}, func(r *CheckResult) error {
		notes = append(notes, r.Prospect.RawKey+": "+r.Note.Variant+": "+r.Note.Text)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(findings) > 0 {
		t.Errorf("findings:\n%s", strings.Join(findings.Strings(), "\n"))
	}
	want := []string{
		"https://example.com/in/ann: hello: Hi Ann, from Acme!",
		"https://example.com/in/bo: hello: Hi there!",
		"https://example.com/in/cy: hello: Hi Cy!",
	}
	if !slices.Equal(notes, want) {
		t.Errorf("notes:\n%s\nwant:\n%s", strings.Join(notes, "\n"), strings.Join(want, "\n"))
	}
	if sum.Rendered != 3 || sum.Skipped[lifecycle.SkipInvalid] != 0 {
		t.Errorf("summary: %s", sum)
	}
	// The event variant: the nickname first, else the first name, else
	// "there"; the event stays required.
	event := c.ConnectStep().Variants[1].Template
	for _, tt := range []struct {
		fields map[string]string
		want   string
	}{
		{map[string]string{"nickname": "Cee", "first_name": "Cy", "event": "X"}, "Hi Cee, great meeting you at X."},
		{map[string]string{"nickname": " ", "first_name": "Cy", "event": "X"}, "Hi Cy, great meeting you at X."},
		{map[string]string{"event": "X"}, "Hi there, great meeting you at X."},
		{map[string]string{"first_name": "Cy"}, `error: missing field "event"`},
	} {
		got, err := event.Render(tt.fields)
		if err != nil {
			got = "error: " + err.Error()
		}
		if got != tt.want {
			t.Errorf("event.Render(%q) = %q, want %q", tt.fields, got, tt.want)
		}
	}
	// The message renders for every prospect.
	msg := c.Steps[1].Message.Variants[0].Template
	for _, f := range []map[string]string{{}, {"first_name": "Bo", "company": "  "}} {
		if _, err := msg.Render(f); err != nil {
			t.Errorf("message.Render(%q): %v", f, err)
		}
	}
}
