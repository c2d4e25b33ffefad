package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/internal/redistest"
	"github.com/outreach-scheduler/outreach/ledger"
	"github.com/outreach-scheduler/outreach/platform/sandbox"
	"github.com/outreach-scheduler/outreach/scheduler"
	schedulerdaemon "github.com/outreach-scheduler/outreach/scheduler/daemon"
)

// runWithSnapshots runs the service on a real Redis for d with snapshots
// every second and a retention so short that each snapshot trims the
// ledger up to the previous one.
func runWithSnapshots(t *testing.T, w *twoSenders, model *sandbox.Model, seed uint64, d time.Duration) {
	t.Helper()
	w.cfg.Ledger.SnapshotEvery = time.Second
	w.cfg.Ledger.Retention = time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if err := Run(ctx, Options{Config: w.cfg, Campaigns: []*campaigns.Campaign{w.camp}, Model: model, Seed: seed}); err != nil {
		t.Fatal(err)
	}
}

func fastModel(t *testing.T, w *twoSenders) *sandbox.Model {
	t.Helper()
	opt, err := sandbox.OptionsFromConfig(w.cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	opt.AcceptRate, opt.DeclineRate = 0.5, 0.2
	opt.Delays = []sandbox.DelayPoint{{Within: 2 * time.Second, Share: 1}}
	return sandbox.New(opt)
}

// TestSnapshotsBoundTheLedger: with snapshots, the ledger is trimmed while
// the service runs; a restarted service (and status) rebuilds from the
// snapshot and the rest of the ledger, and goes on without inviting anyone
// twice: the sandbox's own record is the referee. No snapshot byte holds
// personal data.
func TestSnapshotsBoundTheLedger(t *testing.T) {
	rs := redistest.Start(t)
	w := newTwoSenders(t, fmt.Sprintf("redis:\n  addr: %s\n", rs.Addr()))
	model := fastModel(t, w)
	runWithSnapshots(t, w, model, 1, 6*time.Second)
	ctx := context.Background()
	led := ledger.New(rs.Client(), "")
	trimmed, err := led.TrimmedBefore(ctx)
	if err != nil || trimmed == "" || trimmed == "0" {
		t.Fatalf("the ledger was never trimmed (%q, %v)", trimmed, err)
	}
	cur, prev, err := led.Snapshots(ctx)
	if err != nil || cur == nil || prev == nil || cur.Gen <= prev.Gen {
		t.Fatalf("snapshots: current %+v previous %+v, %v", cur, prev, err)
	}
	first := invitedBy(model)
	if len(first) < 5 {
		t.Fatalf("only %d invitations in the first run", len(first))
	}

	// A restart: from the snapshot, not from the (trimmed) start.
	runWithSnapshots(t, w, model, 2, 5*time.Second)
	all := invitedBy(model)
	if len(all) <= len(first) {
		t.Fatalf("the restarted service sent nothing more (%d then %d)", len(first), len(all))
	}
	seen := map[string]string{}
	for _, e := range model.Record() {
		if e.Op != "invite" || e.Refused != "" || e.Repeat {
			continue
		}
		if acct, ok := seen[e.Person]; ok {
			t.Errorf("person invited twice (by %s and %s)", acct, e.Account)
		}
		seen[e.Person] = e.Account
	}
	if v := model.Violations(); len(v) > 0 {
		t.Errorf("the platform refused %d requests, first %+v", len(v), v[0])
	}

	// status rebuilds from the snapshot too, and counts what the platform saw.
	st, err := ReadStatus(ctx, w.cfg, []*campaigns.Campaign{w.camp}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Campaigns[0].Counts.Invited; got != len(seen) {
		t.Errorf("status counts %d invited, the platform %d", got, len(seen))
	}

	// No personal data in any snapshot byte.
	keys, err := rs.Client().Keys(ctx, "outreach:{ledger}:snapshot:*").Result()
	if err != nil || len(keys) == 0 {
		t.Fatalf("snapshot keys: %v, %v", keys, err)
	}
	for _, k := range keys {
		v, _ := rs.Client().Get(ctx, k).Bytes()
		for _, needle := range []string{"example.com", "Name1", "connect."} {
			if bytes.Contains(v, []byte(needle)) {
				t.Errorf("%s holds %q", k, needle)
			}
		}
	}
}

func invitedBy(m *sandbox.Model) []string {
	var out []string
	for _, e := range m.Record() {
		if e.Op == "invite" && e.Refused == "" && !e.Repeat {
			out = append(out, e.Person)
		}
	}
	return out
}

// TestSnapshotFallback: a damaged current snapshot falls back to the
// previous one; both damaged, to the whole ledger while it is whole; the
// ledger trimmed and no snapshot usable, the rebuild refuses to guess.
func TestSnapshotFallback(t *testing.T) {
	rs := redistest.Start(t)
	w := newTwoSenders(t, fmt.Sprintf("redis:\n  addr: %s\n", rs.Addr()))
	w.cfg.Ledger.SnapshotEvery = time.Second
	w.cfg.Ledger.Retention = 14 * 24 * time.Hour // no trim by age: the whole ledger stays
	ctx := context.Background()
	rctx, cancel := context.WithTimeout(ctx, 4*time.Second)
	if err := Run(rctx, Options{Config: w.cfg, Campaigns: []*campaigns.Campaign{w.camp}, Model: fastModel(t, w), Seed: 1}); err != nil {
		t.Fatal(err)
	}
	cancel()
	rdb := rs.Client()
	led := ledger.New(rdb, "")
	cur, prev, err := led.Snapshots(ctx)
	if err != nil || cur == nil || prev == nil {
		t.Fatalf("snapshots %+v %+v %v", cur, prev, err)
	}
	rebuildWith := func() (schedulerdaemon.Rebuilt, string, error) {
		eng, err := scheduler.New(scheduler.Options{Config: w.cfg, Campaigns: []*campaigns.Campaign{w.camp}, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		var logs bytes.Buffer
		rb, err := schedulerdaemon.RebuildWith(ctx, eng, led, schedulerdaemon.RebuildOptions{Log: slog.New(slog.NewTextHandler(&logs, nil))})
		if err == nil {
			total, _ := eng.Counts(w.camp.Name)
			if total.Invited == 0 {
				t.Fatal("rebuilt state has no invitation")
			}
		}
		return rb, logs.String(), err
	}
	rb, _, err := rebuildWith()
	if err != nil || rb.Snapshot == nil || rb.Snapshot.Gen != cur.Gen {
		t.Fatalf("healthy: %+v %v", rb, err)
	}
	damage := func(s *ledger.Snapshot) {
		key := fmt.Sprintf("outreach:{ledger}:snapshot:%d:0", s.Gen)
		if err := rdb.SetRange(ctx, key, 40, "garbage").Err(); err != nil {
			t.Fatal(err)
		}
	}
	damage(cur)
	rb, logs, err := rebuildWith()
	if err != nil || rb.Snapshot == nil || rb.Snapshot.Gen != prev.Gen {
		t.Fatalf("current damaged: %+v %v", rb, err)
	}
	if !strings.Contains(logs, "snapshot unusable") || !strings.Contains(logs, fmt.Sprint(cur.Gen)) {
		t.Errorf("the fallback was not reported: %s", logs)
	}
	damage(prev)
	rb, _, err = rebuildWith()
	if err != nil || rb.Snapshot != nil || rb.Last == "0" {
		t.Fatalf("both damaged, whole ledger: %+v %v", rb, err)
	}
	// Trimmed: nothing to fall back to.
	if _, err := led.Trim(ctx, prev.Position); err != nil {
		t.Fatal(err)
	}
	if _, _, err := rebuildWith(); !errors.Is(err, schedulerdaemon.ErrStateLost) {
		t.Fatalf("both damaged, ledger trimmed: %v, want schedulerdaemon.ErrStateLost", err)
	}
}

// TestBadLedgerEntry: an entry that does not decode stops the rebuild with
// its stream ID; skipped only when asked (--skip-bad-entries), and then
// logged with its ID.
func TestBadLedgerEntry(t *testing.T) {
	rs := redistest.Start(t)
	w := newTwoSenders(t, fmt.Sprintf("redis:\n  addr: %s\n", rs.Addr()))
	w.cfg.Ledger.SnapshotEvery = 0
	ctx := context.Background()
	rctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	if err := Run(rctx, Options{Config: w.cfg, Campaigns: []*campaigns.Campaign{w.camp}, Model: fastModel(t, w), Seed: 1}); err != nil {
		t.Fatal(err)
	}
	cancel()
	led := ledger.New(rs.Client(), "")
	badID, err := rs.Client().XAdd(ctx, &redis.XAddArgs{Stream: led.Key(), Values: []any{"e", `{"v":1,"task":{"v":1,"kind":"invi`}}).Result()
	if err != nil {
		t.Fatal(err)
	}
	rctx, cancel = context.WithTimeout(ctx, 2*time.Second) // more entries after it
	if err := Run(rctx, Options{Config: w.cfg, Campaigns: []*campaigns.Campaign{w.camp}, Model: fastModel(t, w), Seed: 2}); err == nil || !strings.Contains(err.Error(), badID) {
		t.Fatalf("run over a bad entry: %v, want an error naming %s", err, badID)
	}
	cancel()
	for _, skip := range []bool{false, true} {
		eng, err := scheduler.New(scheduler.Options{Config: w.cfg, Campaigns: []*campaigns.Campaign{w.camp}, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		var logs bytes.Buffer
		rb, err := schedulerdaemon.RebuildWith(ctx, eng, led, schedulerdaemon.RebuildOptions{SkipBad: skip, Log: slog.New(slog.NewTextHandler(&logs, nil))})
		switch {
		case !skip && (err == nil || !strings.Contains(err.Error(), badID) || !strings.Contains(err.Error(), "--skip-bad-entries")):
			t.Errorf("without skipping: %v", err)
		case skip && (err != nil || rb.Skipped != 1 || !strings.Contains(logs.String(), badID)):
			t.Errorf("skipping: %+v %v; logs %s", rb, err, logs.String())
		}
	}
}
