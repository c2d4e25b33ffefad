package store_test

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/internal/redistest"
	"github.com/outreach-scheduler/outreach/prospects"
	"github.com/outreach-scheduler/outreach/store"
)

// TestBytesPerProspect applies a generated 100,000-row CSV and compares
// the Redis memory the campaign takes, per prospect, with the CSV bytes
// per row: at most maxRatio. Memory is MEMORY USAGE ... SAMPLES 0 (exact)
// summed over the campaign's keys, and cross-checked with the used_memory
// delta (which also counts the keyspace's dict entries).
func TestBytesPerProspect(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: 100k rows")
	}
	const rows, maxRatio = 100_000, 1.5
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "prospects.csv")
	f, err := os.Create(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	if err := prospects.GenerateCSV(w, rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	st, _ := os.Stat(csvPath)
	csvPerRow := float64(st.Size()) / rows // the header line is noise at 100k rows

	allFields := "Hi {{.first_name}} {{.last_name}}, {{.title}} at {{.company}}, met at {{.event}}."
	for _, tc := range []struct {
		name, note string
		args       []string
		max        float64
	}{
		// The README's example: two fields of five, default Redis config.
		{"two-fields", "Hi {{.first_name}}, great meeting you at {{.event}}!", nil, maxRatio},
		// Every column but the key: most stored values pass 64 bytes, so
		// with Redis's default hash-max-listpack-value (64) the buckets
		// are hashtables (measured 1.62x; bounded here to catch worse) ...
		{"all-fields-default", allFields, nil, 1.8},
		// ... and listpacks again with the setting the README recommends.
		{"all-fields-tuned", allFields, []string{"--hash-max-listpack-value", "256"}, maxRatio},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := redistest.Start(t, redistest.WithArgs(tc.args...))
			rdb := srv.Client()
			ctx := context.Background()
			yaml := "name: bench\naccounts: [alice]\nprospects:\n  csv: prospects.csv\nsteps:\n  - connect:\n      note:\n        variants:\n          - name: a\n            text: \"" + tc.note + "\"\n"
			write(t, filepath.Join(dir, "bench.yaml"), yaml)
			c, fs, err := campaigns.Load(filepath.Join(dir, "bench.yaml"), nil)
			if err != nil || fs.HasErrors() {
				t.Fatal(err, fs)
			}
			before := usedMemory(t, rdb.Info(ctx, "memory").Val())
			s := store.New(rdb, "")
			res := apply(t, s, c)
			if res.Added != rows {
				t.Fatalf("added %d, want %d", res.Added, rows)
			}
			after := usedMemory(t, rdb.Info(ctx, "memory").Val())

			var total int64
			var keys, notListpack int
			iter := rdb.Scan(ctx, 0, "outreach:{camp:bench}:*", 1000).Iterator()
			for iter.Next(ctx) {
				key := iter.Val()
				n, err := rdb.MemoryUsage(ctx, key, 0).Result()
				if err != nil {
					t.Fatal(err)
				}
				total += n
				keys++
				if strings.Contains(key, ":p:") {
					if enc := rdb.ObjectEncoding(ctx, key).Val(); enc != "listpack" && enc != "ziplist" {
						notListpack++
					}
				}
			}
			if err := iter.Err(); err != nil {
				t.Fatal(err)
			}
			perProspect := float64(total) / rows
			delta := float64(after-before) / rows
			ratio := perProspect / csvPerRow
			t.Logf("%s: %d keys; MEMORY USAGE %.1f B/prospect, used_memory delta %.1f B/prospect; CSV %.1f B/row; ratio %.2f (delta: %.2f); buckets not listpack: %d",
				tc.name, keys, perProspect, delta, csvPerRow, ratio, delta/csvPerRow, notListpack)
			if ratio > tc.max || delta/csvPerRow > tc.max {
				t.Errorf("Redis bytes per prospect / CSV bytes per row = %.2f (used_memory: %.2f), want <= %.1f", ratio, delta/csvPerRow, tc.max)
			}
			if notListpack > 0 && tc.max == maxRatio {
				t.Errorf("%d buckets are not listpack-encoded", notListpack)
			}
		})
	}
}

func usedMemory(t *testing.T, info string) int64 {
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("no used_memory in INFO memory")
	return 0
}
