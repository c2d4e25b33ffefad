package install

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/internal/redistest"
	"github.com/outreach-scheduler/outreach/ledger"
	"github.com/outreach-scheduler/outreach/pacing"
	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/wire"
)

func TestMarker(t *testing.T) {
	rs := redistest.Start(t)
	rdb := rs.Client()
	ctx := context.Background()
	t0 := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)

	if _, err := Read(ctx, rdb); !errors.Is(err, ErrNoMarker) {
		t.Fatalf("Read on an empty Redis: %v, want ErrNoMarker", err)
	}
	m, err := Create(ctx, rdb, Marker{Created: t0, Origin: OriginNew})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.ID) != 32 || m.Version != Version {
		t.Errorf("created %+v: want a 32-hex ID and version %d", m, Version)
	}
	got, err := Read(ctx, rdb)
	if err != nil || got.ID != m.ID || !got.Created.Equal(t0) || got.Origin != OriginNew || got.Version != Version {
		t.Errorf("Read = %+v, %v; want %+v", got, err, m)
	}
	// A second Create keeps the first marker and says so.
	again, err := Create(ctx, rdb, Marker{Created: t0.Add(time.Hour), Origin: OriginInit})
	if !errors.Is(err, ErrExists) || again.ID != m.ID {
		t.Errorf("second Create = %+v, %v; want the first marker and ErrExists", again, err)
	}
	if err := Check(ctx, rdb, m.ID); err != nil {
		t.Errorf("Check of the right ID: %v", err)
	}
	var le *LostError
	err = Check(ctx, rdb, "other")
	if !errors.As(err, &le) || !errors.Is(err, ErrLost) || le.Got != m.ID || !strings.Contains(err.Error(), "changed") {
		t.Errorf("Check of another ID: %v; want a LostError naming the change", err)
	}
	rdb.FlushAll(ctx)
	err = Check(ctx, rdb, m.ID)
	if !errors.As(err, &le) || le.Got != "" || !strings.Contains(err.Error(), "vanished") {
		t.Errorf("Check after FLUSHALL: %v; want a LostError saying it vanished", err)
	}
	// Redis unreachable is not a loss: nothing is known.
	rs.Kill()
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := Check(cctx, rdb, m.ID); err == nil || errors.Is(err, ErrLost) {
		t.Errorf("Check with Redis down: %v; want an error that is not ErrLost", err)
	}
}

func TestLock(t *testing.T) {
	rdb := redistest.Start(t).Client()
	ctx := context.Background()
	got, holder, err := Lock(ctx, rdb, "a", time.Minute)
	if err != nil || !got || holder != "a" {
		t.Fatalf("first Lock = %v %q %v", got, holder, err)
	}
	got, holder, err = Lock(ctx, rdb, "b", time.Minute)
	if err != nil || got || holder != "a" {
		t.Errorf("second Lock = %v %q %v; want held by a", got, holder, err)
	}
	if err := Unlock(ctx, rdb, "b"); err != nil {
		t.Fatal(err)
	}
	if _, holder, _ := Lock(ctx, rdb, "b", time.Minute); holder != "a" {
		t.Errorf("b released a's lock")
	}
	Unlock(ctx, rdb, "a")
	if got, _, _ := Lock(ctx, rdb, "b", time.Minute); !got {
		t.Errorf("the lock is not free after a released it")
	}
}

func TestCheckEviction(t *testing.T) {
	ctx := context.Background()
	t.Run("noeviction", func(t *testing.T) {
		rdb := redistest.Start(t, redistest.WithArgs("--maxmemory-policy", "noeviction")).Client()
		if err := CheckEviction(ctx, rdb); err != nil {
			t.Errorf("noeviction: %v", err)
		}
	})
	t.Run("allkeys-lru", func(t *testing.T) {
		rdb := redistest.Start(t, redistest.WithArgs("--maxmemory", "10mb", "--maxmemory-policy", "allkeys-lru")).Client()
		err := CheckEviction(ctx, rdb)
		var ee *EvictionError
		if !errors.As(err, &ee) || ee.Policy != "allkeys-lru" {
			t.Fatalf("allkeys-lru: %v; want an EvictionError", err)
		}
		for _, want := range []string{"allkeys-lru", "maxmemory-policy noeviction"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("the error does not say %q: %v", want, err)
			}
		}
	})
	t.Run("CONFIG renamed away", func(t *testing.T) {
		rdb := redistest.Start(t, redistest.WithArgs("--rename-command", "CONFIG", "")).Client()
		if err := CheckEviction(ctx, rdb); !errors.Is(err, ErrConfigRefused) {
			t.Errorf("CONFIG unknown: %v; want ErrConfigRefused", err)
		}
	})
	t.Run("NOPERM", func(t *testing.T) {
		rdb := redistest.Start(t, redistest.WithArgs("--user", "default", "on", "nopass", "~*", "&*", "+@all", "-config")).Client()
		if err := CheckEviction(ctx, rdb); !errors.Is(err, ErrConfigRefused) {
			t.Errorf("CONFIG not allowed: %v; want ErrConfigRefused", err)
		}
	})
	t.Run("cluster", func(t *testing.T) {
		cl := redistest.StartCluster(t, 3)
		if err := CheckEviction(ctx, cl.Client()); err != nil {
			t.Errorf("cluster with the default policy: %v", err)
		}
		cl.Nodes()[1].Client().ConfigSet(ctx, "maxmemory-policy", "volatile-ttl")
		var ee *EvictionError
		if err := CheckEviction(ctx, cl.Client()); !errors.As(err, &ee) || ee.Policy != "volatile-ttl" || ee.Addr != cl.Nodes()[1].Addr() {
			t.Errorf("one master with volatile-ttl: %v; want an EvictionError naming it", err)
		}
	})
}

// TestRebuild rebuilds a platform's record into the ledger and the
// limiter: the ledger holds each invitation and its answer in time order,
// and the limiter counts the recent sends against the caps and the gap.
func TestRebuild(t *testing.T) {
	rdb := redistest.Start(t).Client()
	ctx := context.Background()
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	sent := []platform.Sent{
		{Key: "c/1/invite", Account: "alice", Person: "p1", Campaign: "c", Variant: "hi", Note: true, At: now.Add(-50 * 24 * time.Hour),
			Answer: platform.AnswerAccepted, AnsweredAt: now.Add(-49 * 24 * time.Hour)},
		{Key: "c/2/invite", Account: "alice", Person: "p2", Campaign: "c", At: now.Add(-3 * time.Hour),
			Answer: platform.AnswerWithdrawn, AnsweredAt: now.Add(-time.Hour)},
		{Key: "c/3/invite", Account: "alice", Person: "p3", Campaign: "c", Variant: "hi", Note: true, At: now.Add(-2 * time.Hour)},
		{Key: "c/4/invite", Account: "bob", Person: "p4", Campaign: "c", At: now.Add(-90 * time.Minute),
			Answer: platform.AnswerDeclined, AnsweredAt: now.Add(-80 * time.Minute)},
	}
	if err := Validate(sent, map[string]bool{"alice": true, "bob": true}); err != nil {
		t.Fatal(err)
	}
	led := ledger.New(rdb, "")
	lim, err := pacing.NewRedisLimiter(rdb)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // idempotent for the limiter; the ledger replays idempotently
		sum, err := Rebuild(ctx, led, lim, sent, now)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Invitations != 4 || sum.Accounts != 2 || sum.Restored != 3 || sum.Answers["pending"] != 1 || sum.Answers["withdrawn"] != 1 {
			t.Errorf("summary %+v", sum)
		}
	}
	es, err := led.Read(ctx, "0", 100, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range es[:len(es)/2] {
		switch {
		case e.Event != nil:
			got = append(got, string(e.Event.Type)+" "+e.Event.Key)
		default:
			got = append(got, e.Task.Kind.String()+" "+e.Task.Key+" "+e.Outcome.Kind.String())
		}
	}
	want := []string{
		"invite c/1/invite delivered", "accepted c/1/invite",
		"invite c/2/invite delivered", "invite c/3/invite delivered", "invite c/4/invite delivered",
		"declined c/4/invite", "withdraw c/2/invite~withdrawn delivered",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("ledger:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if es[0].Task.Variant != "hi" || es[2].Task.Variant != "blank" {
		t.Errorf("variants %q %q: want the platform's, and blank without a note", es[0].Task.Variant, es[2].Task.Variant)
	}
	if _, err := wire.EncodeEntry(es[0]); err != nil {
		t.Errorf("a rebuilt entry does not encode: %v", err)
	}

	// The limiter counts alice's two recent sends: a weekly cap of 2 is
	// reached, and the gap holds around the last one.
	day := pacing.Rules{Weekly: 2, Daily: pacing.Unlimited, NotesPerMonth: pacing.Unlimited, MinGap: time.Minute}
	d, err := lim.Reserve(ctx, pacing.Request{Account: "alice", ID: "new", At: now, Rules: day})
	if err != nil || d.Granted || d.Denial != pacing.DenyWeekly {
		t.Errorf("alice with 2 sends restored and a weekly cap of 2: %+v %v; want denied weekly", d, err)
	}
	day.Weekly = 10
	d, err = lim.Reserve(ctx, pacing.Request{Account: "bob", ID: "new", At: now.Add(-89*time.Minute - 30*time.Second), Rules: day})
	if err != nil || d.Granted || d.Denial != pacing.DenyGap {
		t.Errorf("bob 30s after his restored send: %+v %v; want denied by the gap", d, err)
	}
	// restored sends are confirmed: never released
	if err := lim.Release(ctx, "alice", "c/3/invite"); !errors.Is(err, pacing.ErrConfirmed) {
		t.Errorf("Release of a restored send: %v, want ErrConfirmed", err)
	}
	u, err := lim.Usage(ctx, "alice", now, day)
	if err != nil || u.Week != 2 {
		t.Errorf("alice usage %+v %v; want 2 sends this week", u, err)
	}
}
