package sim

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/outreach-scheduler/outreach/internal/redistest"
	"github.com/outreach-scheduler/outreach/ledger"
	"github.com/outreach-scheduler/outreach/lifecycle"
	"github.com/outreach-scheduler/outreach/scheduler"
	schedulerdaemon "github.com/outreach-scheduler/outreach/scheduler/daemon"
	"github.com/outreach-scheduler/outreach/wire"
)

// BenchmarkTakeover measures what a leader taking over costs after a
// simulated year of the year world (every account at its caps), and what
// Redis holds, with and without snapshots:
//
//   - without: the whole year's ledger in the stream; the new leader
//     replays all of it;
//   - with: a snapshot of the state 14 days (ledger.retention) before the
//     end, the stream trimmed to those 14 days; the new leader restores the
//     snapshot and replays the 14 days.
//
// Both rebuild through schedulerdaemon.Rebuild from a real redis-server, into engines
// over the same synthetic prospects, and must end in the same counts. The
// ratios (with / without) are reported, and the bytes a prospect costs in
// the snapshot and a day of history costs in the stream.
//
// OUTREACH_BENCH_ACCOUNTS sets the world's size (default 100; the issue's
// figure is 1,000: 7.8M invitations, which needs ~20 GB of RAM for the
// unsnapshotted ledger alone).
func BenchmarkTakeover(b *testing.B) {
	n := 100
	if v := os.Getenv("OUTREACH_BENCH_ACCOUNTS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatal(err)
		}
	}
	const days, retention = 364, 14
	const snapshotEvery = 10 * time.Minute // config.DefaultLedgerSnapshotEvery
	w := yearWorld(b, n, 52)
	start := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	end := start.AddDate(0, 0, days)

	// The year: every entry the ledger would hold, encoded into one arena
	// (a slice per entry would cost gigabytes more at 1,000 accounts).
	type rec struct {
		at       int64
		off, end int
	}
	var mu sync.Mutex
	var recs []rec
	var arena []byte
	opt := w.options()
	opt.Start, opt.Days, opt.Seed, opt.lightRecord = start, days, 1, true
	opt.onEntry = func(e wire.Entry) {
		data, err := wire.EncodeEntry(e)
		if err != nil {
			panic(err)
		}
		var at time.Time
		if e.Event != nil {
			at = e.Event.At
		} else {
			at = e.Outcome.At
		}
		mu.Lock()
		recs = append(recs, rec{at.UnixNano(), len(arena), len(arena) + len(data)})
		arena = append(arena, data...)
		mu.Unlock()
	}
	res, err := Run(context.Background(), opt)
	if err != nil {
		b.Fatal(err)
	}
	invited := 0
	for _, a := range res.Accounts {
		invited += a.Invited
	}
	slices.SortStableFunc(recs, func(x, y rec) int { return int(x.at - y.at) })

	// Into the stream, with IDs from the simulated clock (so that the
	// retention window means simulated days).
	srv := redistest.Start(b)
	rdb := srv.Client()
	ctx := context.Background()
	led := ledger.New(rdb, "")
	// Two snapshots, as a running scheduler leaves them: the current one
	// snapshotEvery before the end (a takeover replays what came after it),
	// and the previous one; the ledger trimmed before the retention window.
	// (The previous one is taken at the window's edge, the oldest a
	// fallback can be: it measures a takeover whose current snapshot is
	// damaged.)
	cutAt := end.AddDate(0, 0, -retention).UnixNano()
	lateAt := end.Add(-snapshotEvery).UnixNano()
	at := func(t int64) int {
		i, _ := slices.BinarySearchFunc(recs, t, func(r rec, t int64) int { return int(r.at - t) })
		return i
	}
	cut, late := at(cutAt), at(lateAt)
	entries := len(recs)
	var cutID, lateID, lastID string
	prevMS, seq := int64(-1), 0
	for i := 0; i < len(recs); i += 5000 {
		pipe := rdb.Pipeline()
		for j := i; j < min(i+5000, len(recs)); j++ {
			ms := recs[j].at / 1e6
			if ms == prevMS {
				seq++
			} else {
				prevMS, seq = ms, 0
			}
			id := fmt.Sprintf("%d-%d", ms, seq)
			if j == cut-1 {
				cutID = id
			}
			if j == late-1 {
				lateID = id
			}
			lastID = id
			pipe.XAdd(ctx, &redis.XAddArgs{Stream: led.Key(), ID: id, Values: []any{"e", arena[recs[j].off:recs[j].end]}})
		}
		if _, err := pipe.Exec(ctx); err != nil {
			b.Fatal(err)
		}
	}
	recs, arena = nil, nil // from here on, the ledger is in Redis only
	runtime.GC()
	memFull := usedMemory(b, rdb)
	newEngine := func() *scheduler.Engine {
		srcs := map[string]scheduler.Source{}
		for k, v := range w.sources {
			srcs[k] = v
		}
		e, err := scheduler.New(scheduler.Options{Config: w.cfg, Campaigns: w.camps, Sources: srcs, Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		return e
	}
	counts := func(e *scheduler.Engine) map[string]lifecycle.Counts {
		out := map[string]lifecycle.Counts{}
		for _, c := range w.camps {
			out[c.Name], _ = e.Counts(c.Name)
		}
		return out
	}

	// One round: the rounds are minutes long, and a round changes Redis
	// (the trim). Run with -benchtime=1x.
	b.ResetTimer()

	// Without snapshots: the whole year.
	b.StopTimer()
	full := newEngine()
	b.StartTimer()
	t0 := time.Now()
	snap, nFull, err := schedulerdaemon.Rebuild(ctx, full, led)
	tFull := time.Since(t0)
	b.StopTimer()
	if err != nil || snap != nil || nFull != entries {
		b.Fatalf("full rebuild: %v (snapshot %v, %d of %d entries)", err, snap, nFull, entries)
	}
	want := counts(full)
	prospects := 0
	for _, n := range want {
		prospects += n.Invited + n.Skipped
	}
	full = nil
	runtime.GC()

	// With snapshots: the states at the window's edge and snapshotEvery
	// before the end, from one pass over the stream.
	before := newEngine()
	var bufs [2]bytes.Buffer
	var encode time.Duration
	for i, stop := range []struct {
		id string
		at int64
	}{{cutID, cutAt}, {lateID, lateAt}} {
		for after := map[int]string{0: "0", 1: cutID}[i]; after != stop.id; {
			es, err := led.Read(ctx, after, 10000, 0)
			if err != nil || len(es) == 0 {
				b.Fatalf("reading the year: %v", err)
			}
			for _, e := range es {
				if e.Event != nil {
					err = before.Observe(*e.Event)
				} else {
					err = before.Replay(*e.Task, *e.Outcome)
				}
				if err != nil {
					b.Fatal(err)
				}
				after = e.ID
				if after == stop.id {
					break
				}
			}
		}
		tEnc := time.Now()
		if err := before.Snapshot(&bufs[i], time.Unix(0, stop.at)); err != nil {
			b.Fatal(err)
		}
		encode = time.Since(tEnc)
		if _, err := led.WriteSnapshot(ctx, stop.id, time.Unix(0, stop.at), bufs[i].Bytes()); err != nil {
			b.Fatal(err)
		}
	}
	before = nil
	buf := &bufs[1]
	trimmed, err := led.Trim(ctx, cutID) // as the scheduler does: up to the previous snapshot's position
	if err != nil || int(trimmed) != cut-1 {
		b.Fatalf("trim: %v, %d of %d", err, trimmed, cut-1)
	}
	memSnap := usedMemory(b, rdb)
	runtime.GC()
	rebuildFrom := func(wantTail int) time.Duration {
		restored := newEngine()
		b.StartTimer()
		t1 := time.Now()
		snap, nTail, err := schedulerdaemon.Rebuild(ctx, restored, led)
		d := time.Since(t1)
		b.StopTimer()
		if err != nil || snap == nil || nTail != wantTail {
			b.Fatalf("rebuild from a snapshot: %v (snapshot %v, %d entries, want %d)", err, snap, nTail, wantTail)
		}
		if got := counts(restored); !maps.Equal(got, want) {
			b.Fatalf("the snapshot's rebuild counts %+v, the full replay's %+v", got, want)
		}
		restored = nil
		runtime.GC()
		return d
	}
	tSnap := rebuildFrom(entries - late)
	nTail := entries - late

	// The current snapshot damaged: the previous one, 14 days of ledger.
	cur, _, _ := led.Snapshots(ctx)
	if err := rdb.SetRange(ctx, fmt.Sprintf("outreach:{ledger}:snapshot:%d:0", cur.Gen), 100, "damage").Err(); err != nil {
		b.Fatal(err)
	}
	tFallback := rebuildFrom(entries - cut)
	if _, err := led.WriteSnapshot(ctx, lateID, time.Unix(0, lateAt), buf.Bytes()); err != nil { // repaired
		b.Fatal(err)
	}

	// Where the time goes: load and restore alone, on another fresh engine.
	probe := newEngine()
	cur, _, _ = led.Snapshots(ctx)
	tl := time.Now()
	data, err := led.LoadSnapshot(ctx, cur)
	if err != nil {
		b.Fatal(err)
	}
	tLoad := time.Since(tl)
	tr := time.Now()
	if _, err := probe.Restore(data); err != nil {
		b.Fatal(err)
	}
	tRestore := time.Since(tr)

	streamNow := float64(streamBytes(b, rdb, led.Key()))
	b.ReportMetric(float64(invited), "invitations")
	b.ReportMetric(float64(entries), "entries")
	b.ReportMetric(tFull.Seconds(), "takeover-full-s")
	b.ReportMetric(tSnap.Seconds(), "takeover-snap-s")
	b.ReportMetric(tSnap.Seconds()/tFull.Seconds(), "takeover-ratio")
	b.ReportMetric(tFallback.Seconds(), "takeover-fallback-s")
	b.ReportMetric(tLoad.Seconds(), "snap-load-s")
	b.ReportMetric(tRestore.Seconds(), "snap-restore-s")
	b.ReportMetric(encode.Seconds(), "snapshot-encode-s")
	b.ReportMetric(float64(memFull)/1e6, "redis-full-MB")
	b.ReportMetric(float64(memSnap)/1e6, "redis-snap-MB")
	b.ReportMetric(float64(memSnap)/float64(memFull), "memory-ratio")
	b.ReportMetric(float64(buf.Len())/float64(prospects), "snapshot-B/prospect")
	b.ReportMetric(streamNow/retention, "stream-B/day")
	b.Logf("%d accounts, %d invitations, %d entries (last %s): takeover %.2fs with the whole ledger, %.2fs from the current snapshot (ratio %.3f; load %.2fs, restore %.2fs, %d entries after it), %.2fs from the previous one at the retention's edge; Redis %d MB vs %d MB (ratio %.3f); snapshot %d bytes for %d prospects (%.1f B/prospect, encoded in %.2fs); stream %.0f B/day of history",
		n, invited, entries, lastID, tFull.Seconds(), tSnap.Seconds(), tSnap.Seconds()/tFull.Seconds(), tLoad.Seconds(), tRestore.Seconds(), nTail, tFallback.Seconds(),
		memFull>>20, memSnap>>20, float64(memSnap)/float64(memFull), buf.Len(), prospects, float64(buf.Len())/float64(prospects), encode.Seconds(), streamNow/retention)
}

func usedMemory(tb testing.TB, rdb *redis.Client) int64 {
	info, err := rdb.Info(context.Background(), "memory").Result()
	if err != nil {
		tb.Fatal(err)
	}
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	tb.Fatal("no used_memory in INFO memory")
	return 0
}

func streamBytes(tb testing.TB, rdb *redis.Client, key string) int64 {
	n, err := rdb.MemoryUsage(context.Background(), key, 0).Result()
	if err != nil {
		tb.Fatal(err)
	}
	return n
}
