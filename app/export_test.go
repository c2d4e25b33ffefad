package app

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/export"
	"github.com/outreach-scheduler/outreach/internal/redistest"
	"github.com/outreach-scheduler/outreach/ledger"
	"github.com/outreach-scheduler/outreach/scheduler"
	schedulerdaemon "github.com/outreach-scheduler/outreach/scheduler/daemon"
	"github.com/outreach-scheduler/outreach/wire"
)

// rowSink is an export.Writer keeping the rows.
type rowSink struct {
	rows    []export.Row
	fields  []string
	flushed bool
}

func (s *rowSink) Write(r *export.Row) error {
	c := *r
	c.Fields = slices.Clone(r.Fields)
	s.rows = append(s.rows, c)
	return nil
}

func (s *rowSink) Flush() error { s.flushed = true; return nil }

func (s *rowSink) byKey() map[string]export.Row {
	m := map[string]export.Row{}
	for _, r := range s.rows {
		m[r.Key] = r
	}
	return m
}

// TestExportReplaysWhatTheLedgerHolds: with snapshots in Redis, export
// still replays the whole ledger while it is whole (every note length is
// known); once it is trimmed, it starts from the older snapshot (the
// records after it are known, those before are not, and Since says from
// when), and the states are right either way. Forgotten people of a
// campaign read from its file are left out.
func TestExportReplaysWhatTheLedgerHolds(t *testing.T) {
	rs := redistest.Start(t)
	w := newTwoSenders(t, fmt.Sprintf("redis:\n  addr: %s\n", rs.Addr()))
	ctx := context.Background()
	led := ledger.New(rs.Client(), "")
	camps := []*campaigns.Campaign{w.camp}
	t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	invite := func(i int) {
		t.Helper()
		p := fmt.Sprintf("https://example.com/in/p%d", i)
		tk := wire.Task{Kind: wire.KindInvite, At: t0.Add(time.Duration(i) * time.Minute), Account: "alice", Campaign: "c", Person: p,
			Key: fmt.Sprintf("c/p%d/connect", i), Variant: "hi", Chars: 20 + i}
		if err := led.AppendOutcome(ctx, tk, wire.Outcome{Kind: wire.Delivered, At: tk.At}); err != nil {
			t.Fatal(err)
		}
	}
	// snapshot writes a snapshot of the state the whole ledger gives, as of
	// its last entry, and returns that entry's ID.
	snapshot := func() string {
		t.Helper()
		es, err := led.Read(ctx, "0", 1000, 0)
		if err != nil {
			t.Fatal(err)
		}
		eng, err := scheduler.New(scheduler.Options{Config: w.cfg, Campaigns: camps, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := schedulerdaemon.RebuildWith(ctx, eng, led, schedulerdaemon.RebuildOptions{Most: true}); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := eng.Snapshot(&buf, t0); err != nil {
			t.Fatal(err)
		}
		pos := es[len(es)-1].ID
		if _, err := led.WriteSnapshot(ctx, pos, t0, buf.Bytes()); err != nil {
			t.Fatal(err)
		}
		return pos
	}
	run := func() (*rowSink, ExportResult) {
		t.Helper()
		sink := &rowSink{}
		res, err := Export(ctx, ExportOptions{Config: w.cfg, Campaigns: camps, Now: t0.Add(time.Hour),
			NewWriter: func(fields []string) (export.Writer, error) { sink.fields = fields; return sink, nil }})
		if err != nil {
			t.Fatal(err)
		}
		if !sink.flushed || res.Rows != len(sink.rows) || !slices.Equal(sink.fields, []string{"first_name"}) {
			t.Fatalf("rows %d of %d, flushed %v, fields %q", res.Rows, len(sink.rows), sink.flushed, sink.fields)
		}
		return sink, res
	}
	check := func(what string, sink *rowSink, invited int, known func(i int) bool) {
		t.Helper()
		rows := sink.byKey()
		for i := range invited {
			r := rows[fmt.Sprintf("https://example.com/in/p%d", i)]
			want := -1
			if known(i) {
				want = 20 + i
			}
			if r.State != "invited" || r.Variant != "hi" || r.NoteLength != want || !r.Invited.Equal(t0.Add(time.Duration(i)*time.Minute)) ||
				r.Fields[0] != fmt.Sprintf("Name%d", i) {
				t.Errorf("%s: p%d: %+v, want invited with note length %d", what, i, r, want)
			}
		}
	}

	for i := range 6 {
		invite(i)
	}
	p1 := snapshot()
	sink, res := run()
	if !res.Since.IsZero() || res.Ledger != 6 || len(sink.rows) != 40 || !slices.Equal(res.FromFiles, []string{"c"}) {
		t.Errorf("whole ledger: %+v, %d rows", res, len(sink.rows))
	}
	check("a whole ledger, a snapshot beside it", sink, 6, func(int) bool { return true })
	for i := 6; i < 10; i++ {
		invite(i)
	}
	sink, _ = run()
	check("a whole ledger, a snapshot beside it", sink, 10, func(int) bool { return true })

	snapshot()
	if n, err := led.Trim(ctx, p1); err != nil || n == 0 {
		t.Fatalf("trim: %d %v", n, err)
	}
	sink, res = run()
	if res.Since.IsZero() || !res.Since.Equal(idTime(p1)) || res.Ledger != 4 {
		t.Errorf("trimmed: %+v, want since the older snapshot, %s", res, idTime(p1))
	}
	check("trimmed, from the older snapshot", sink, 10, func(i int) bool { return i >= 6 })

	// Forgotten: left out of a campaign read from its file.
	if _, err := led.Forgotten().Add(ctx, "https://example.com/in/p3", "https://example.com/in/p30"); err != nil {
		t.Fatal(err)
	}
	sink, _ = run()
	rows := sink.byKey()
	if _, ok := rows["https://example.com/in/p3"]; ok || len(sink.rows) != 38 {
		t.Errorf("forgotten people exported: %d rows", len(sink.rows))
	}
}

func TestIDTime(t *testing.T) {
	for id, want := range map[string]time.Time{
		"1700000000123-4": time.UnixMilli(1700000000123).UTC(),
		"0":               {},
		"x-1":             {},
		"":                {},
	} {
		if got := idTime(id); !got.Equal(want) {
			t.Errorf("idTime(%q) = %v, want %v", id, got, want)
		}
	}
}
