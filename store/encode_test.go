package store

import (
	"slices"
	"strings"
	"testing"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/lifecycle"
	"github.com/outreach-scheduler/outreach/templates"
)

func TestEncodeRoundTrip(t *testing.T) {
	fields := []string{"event", "first_name"}
	long := strings.Repeat("é", 100) // a length over 127: a two-byte uvarint
	for _, tc := range []struct {
		pos int
		row Row
	}{
		{0, Row{Key: "k", Fields: map[string]string{"first_name": "Jane", "event": "Sibos", "company": "not stored"}}},
		{300, Row{Key: "k", Account: "alice", Fields: map[string]string{"first_name": long}}},
		{1 << 20, Row{Key: "k", Skip: lifecycle.SkipExcluded, Account: "bob", Fields: map[string]string{"first_name": "x"}}},
	} {
		v := string(encodeRow(nil, tc.pos, &tc.row, fields))
		if strings.Contains(v, "not stored") {
			t.Errorf("an unreferenced field was stored: %q", v)
		}
		var d decoded
		if err := decodeRow(v, len(fields), &d); err != nil {
			t.Fatalf("decode %q: %v", v, err)
		}
		want := []string{tc.row.Fields["event"], tc.row.Fields["first_name"]}
		if tc.row.Skip != "" {
			want = []string{"", ""}
		}
		if d.pos != uint64(tc.pos) || d.account != tc.row.Account || d.excluded != (tc.row.Skip != "") || !slices.Equal(d.values, want) {
			t.Errorf("round trip of %+v at %d: %+v", tc.row, tc.pos, d)
		}
		for n := range len(v) { // every truncation is detected
			if err := decodeRow(v[:n], len(fields), &d); err == nil {
				t.Errorf("decode of %q truncated to %d bytes: no error", v, n)
			}
		}
	}
}

func TestBucketOfIsStable(t *testing.T) {
	// The bucket function is part of the stored layout: it must not change.
	if got := bucketOf("https://linkedin.com/in/jane", 1000); got != bucketOf("https://linkedin.com/in/jane", 1000) || got < 0 || got >= 1000 {
		t.Fatal(got)
	}
	if got := bucketOf("", 7); got != int(14695981039346656037%7) {
		t.Errorf("bucketOf(\"\", 7) = %d: not FNV-1a", got)
	}
}

// Optional fields ({{if .f}}, or, default) are stored too: the planner
// renders them.
func TestTemplateFieldsOptional(t *testing.T) {
	parse := func(text string) *templates.Template {
		tm, err := templates.Parse("t", text)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	c := &campaigns.Campaign{Steps: []campaigns.Step{
		{Connect: &campaigns.Connect{Variants: []campaigns.Variant{
			{Template: parse(`Hi {{or .first_name "there"}}{{with .company}} at {{.}}{{end}}`)},
		}}},
		{Message: &campaigns.Message{Variants: []campaigns.Variant{{Template: parse(`Thanks{{if .nick}} {{.nick}}{{end}} {{.event}}`)}}}},
	}}
	if got, want := TemplateFields(c), []string{"company", "event", "first_name", "nick"}; !slices.Equal(got, want) {
		t.Errorf("TemplateFields = %q, want %q", got, want)
	}
}
