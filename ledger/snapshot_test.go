package ledger_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/outreach-scheduler/outreach/internal/redistest"
	"github.com/outreach-scheduler/outreach/ledger"
	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/wire"
)

// backends are the Redis deployments the ledger runs on: a real server, a
// 3-master Redis Cluster (every key of the ledger shares one slot, so the
// snapshot switch is one MULTI/EXEC there too), and the embedded miniredis
// of `outreach run`.
func backends(t *testing.T) map[string]func(t *testing.T) redis.UniversalClient {
	return map[string]func(t *testing.T) redis.UniversalClient{
		"redis": func(t *testing.T) redis.UniversalClient { return redistest.Start(t).Client() },
		"cluster": func(t *testing.T) redis.UniversalClient {
			return redistest.StartCluster(t, 3).Client()
		},
		"miniredis": func(t *testing.T) redis.UniversalClient {
			m := miniredis.RunT(t)
			c := redis.NewClient(&redis.Options{Addr: m.Addr()})
			t.Cleanup(func() { c.Close() })
			return c
		},
	}
}

func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// TestSnapshotStore: write, read back, keep the previous, drop the one
// before; several chunks; damage detected.
func TestSnapshotStore(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			rdb := open(t)
			l := ledger.New(rdb, "")
			at := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
			if cur, prev, err := l.Snapshots(ctx); err != nil || cur != nil || prev != nil {
				t.Fatalf("empty: %v %v %v", cur, prev, err)
			}
			sizes := []int{10, 3<<20 + 5, 100}
			var written []ledger.Snapshot
			for i, n := range sizes {
				s, err := l.WriteSnapshot(ctx, fmt.Sprintf("%d-0", 1000+i), at.Add(time.Duration(i)*time.Minute), randomBytes(n, uint64(i)))
				if err != nil {
					t.Fatal(err)
				}
				written = append(written, s)
			}
			cur, prev, err := l.Snapshots(ctx)
			if err != nil || cur == nil || prev == nil || cur.Gen != written[2].Gen || prev.Gen != written[1].Gen || prev.Chunks != 4 {
				t.Fatalf("index: %+v %+v %v", cur, prev, err)
			}
			for i, s := range []*ledger.Snapshot{cur, prev} {
				got, err := l.LoadSnapshot(ctx, s)
				if err != nil || !bytes.Equal(got, randomBytes(sizes[2-i], uint64(2-i))) {
					t.Fatalf("snapshot %d read back wrong: %v", s.Gen, err)
				}
			}
			// The oldest one's pieces are gone.
			if _, err := l.LoadSnapshot(ctx, &written[0]); !errors.Is(err, ledger.ErrSnapshotDamaged) {
				t.Errorf("the snapshot before the previous is still readable: %v", err)
			}
			// A piece missing, a piece altered.
			rdb.Del(ctx, fmt.Sprintf("outreach:{ledger}:snapshot:%d:2", prev.Gen))
			if _, err := l.LoadSnapshot(ctx, prev); !errors.Is(err, ledger.ErrSnapshotDamaged) {
				t.Errorf("missing piece: %v", err)
			}
			rdb.SetRange(ctx, fmt.Sprintf("outreach:{ledger}:snapshot:%d:0", cur.Gen), 3, "x")
			if _, err := l.LoadSnapshot(ctx, cur); !errors.Is(err, ledger.ErrSnapshotDamaged) {
				t.Errorf("altered piece: %v", err)
			}
		})
	}
}

// TestTrim: entries before the MINID go, the trim is recorded only when it
// deleted something, and a newer entry stays readable.
func TestTrim(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			l := ledger.New(open(t), "")
			at := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
			for i := range 10 {
				ev := wire.Event{Type: platform.EventAccepted, Account: "a", Person: fmt.Sprint("p", i), Key: fmt.Sprint("c/x/", i), At: at}
				if err := l.AppendEvent(ctx, ev); err != nil {
					t.Fatal(err)
				}
			}
			es, err := l.Read(ctx, "0", 100, 0)
			if err != nil || len(es) != 10 {
				t.Fatalf("read %d, %v", len(es), err)
			}
			if n, err := l.Trim(ctx, "0"); err != nil || n != 0 {
				t.Fatalf("trim before everything: %d %v", n, err)
			}
			if tb, _ := l.TrimmedBefore(ctx); tb != "" {
				t.Fatalf("a trim that deleted nothing was recorded: %q", tb)
			}
			n, err := l.Trim(ctx, es[4].ID)
			if err != nil || n != 4 {
				t.Fatalf("trim: %d %v", n, err)
			}
			if tb, _ := l.TrimmedBefore(ctx); tb != es[4].ID {
				t.Fatalf("trimmed before %q, want %q", tb, es[4].ID)
			}
			rest, err := l.Read(ctx, "0", 100, 0)
			if err != nil || len(rest) != 6 || rest[0].ID != es[4].ID {
				t.Fatalf("after the trim: %d entries, %v", len(rest), err)
			}
		})
	}
}

// TestSnapshotWriteRace: a writer that started before another one's switch
// does not switch over it.
func TestSnapshotWriteRace(t *testing.T) {
	ctx := context.Background()
	rdb := redistest.Start(t).Client()
	l := ledger.New(rdb, "")
	at := time.Now()
	a, err := l.WriteSnapshot(ctx, "5-0", at, []byte("first"))
	if err != nil {
		t.Fatal(err)
	}
	// A writer holding a generation older than the current one (it was
	// slow): simulate by bumping the counter's current past it.
	rdb.HSet(ctx, "outreach:{ledger}:snapshots", "current", fmt.Sprintf(`{"v":1,"gen":%d,"position":"9-0","bytes":1,"chunks":1,"sha256":"x"}`, a.Gen+5))
	if _, err := l.WriteSnapshot(ctx, "6-0", at, []byte("late")); !errors.Is(err, ledger.ErrSnapshotRace) {
		t.Fatalf("late writer: %v, want ErrSnapshotRace", err)
	}
}

func TestAfter(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"1-0", "", true},
		{"1-0", "0", true},
		{"", "", false},
		{"10-0", "9-5", true}, // numeric, not lexical
		{"9-5", "10-0", false},
		{"9-10", "9-9", true},
		{"9-9", "9-9", false},
	} {
		if got := ledger.After(c.a, c.b); got != c.want {
			t.Errorf("After(%q, %q) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}
