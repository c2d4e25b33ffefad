package pacing_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/internal/redistest"
	"github.com/outreach-scheduler/outreach/pacing"
	"github.com/outreach-scheduler/outreach/pacing/limitertest"
)

func newRedisLimiter(t testing.TB, srv *redistest.Server, opts ...pacing.RedisOption) *pacing.RedisLimiter {
	t.Helper()
	l, err := pacing.NewRedisLimiter(srv.Client(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestRedisLimiter(t *testing.T) {
	srv := redistest.Start(t)
	var n atomic.Int64
	limitertest.Run(t, func(t *testing.T) pacing.Limiter {
		// one server for the suite, a key prefix per subtest
		return newRedisLimiter(t, srv, pacing.WithKeyPrefix(fmt.Sprintf("test%d:", n.Add(1))))
	})
}

var (
	t0    = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	caps5 = pacing.Rules{Weekly: 5, Daily: pacing.Unlimited, NotesPerMonth: pacing.Unlimited}
)

func reserve(t *testing.T, l pacing.Limiter, acct, id string, at time.Time, note bool, r pacing.Rules) pacing.Decision {
	t.Helper()
	d, err := l.Reserve(context.Background(), pacing.Request{Account: acct, ID: id, At: at, Note: note, Rules: r})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestRedisLimiterKeys(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	rdb := srv.Client()
	l := newRedisLimiter(t, srv)
	want := []string{
		"outreach:{acct:alice}:sends", "outreach:{acct:alice}:notes",
		"outreach:{acct:alice}:state", "outreach:{acct:alice}:pause",
	}
	if got := l.Keys("alice"); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("Keys = %v, want %v", got, want)
	}
	reserve(t, l, "alice", "c1/p1/connect", t0, true, caps5)
	if err := l.Pause(ctx, "alice", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	keys, err := rdb.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 4 {
		t.Fatalf("keys %v, want the 4 of alice", keys)
	}
	for i, typ := range []string{"zset", "zset", "hash", "string"} {
		if got := rdb.Type(ctx, want[i]).Val(); got != typ {
			t.Errorf("%s: type %s, want %s", want[i], got, typ)
		}
		ttl := rdb.PTTL(ctx, want[i]).Val()
		if typ == "string" && ttl != -1 || typ != "string" && (ttl <= 0 || ttl > pacing.IdleTTL) {
			t.Errorf("%s: TTL %v", want[i], ttl)
		}
	}
	if s := rdb.ZScore(ctx, want[0], "c1/p1/connect").Val(); int64(s) != t0.UnixMilli() {
		t.Errorf("send score %v, want %d", s, t0.UnixMilli())
	}
	if v := rdb.HGet(ctx, want[2], "c1/p1/connect").Val(); v != "r" {
		t.Errorf("state %q, want r", v)
	}
	if _, err := l.Restore(ctx, "alice", "c1/p0/connect", t0.Add(-time.Hour), false); err != nil {
		t.Fatal(err)
	}
	if v := rdb.HGet(ctx, want[2], "c1/p0/connect").Val(); v != "c" {
		t.Errorf("state %q of a restored send, want c", v)
	}

	other := newRedisLimiter(t, srv, pacing.WithKeyPrefix("x:"))
	if got := other.Keys("bob")[0]; got != "x:{acct:bob}:sends" {
		t.Errorf("prefixed key %q", got)
	}
	if _, err := pacing.NewRedisLimiter(rdb, pacing.WithKeyPrefix("a{b}:")); err == nil {
		t.Error("a prefix with braces was accepted")
	}
	if _, err := pacing.NewRedisLimiter(nil); err == nil {
		t.Error("a nil client was accepted")
	}
}

// The script is loaded again when the server forgot it (restart, flush).
func TestRedisLimiterScriptFlush(t *testing.T) {
	srv := redistest.Start(t)
	l := newRedisLimiter(t, srv)
	reserve(t, l, "a", "1", t0, false, caps5)
	if err := srv.Client().ScriptFlush(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	if d := reserve(t, l, "a", "2", t0.Add(time.Minute), false, caps5); !d.Granted {
		t.Fatalf("after SCRIPT FLUSH: %+v", d)
	}
}

// With AOF, a crash (SIGKILL) and restart lose nothing acknowledged.
func TestRedisLimiterAOFRestart(t *testing.T) {
	srv := redistest.Start(t, redistest.WithAOF())
	ctx := context.Background()
	l := newRedisLimiter(t, srv)
	if _, err := l.Restore(ctx, "a", "0", t0, true); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < 5; i++ {
		if d := reserve(t, l, "a", fmt.Sprint(i), t0.Add(time.Duration(i)*time.Minute), false, caps5); !d.Granted {
			t.Fatalf("send %d: %+v", i, d)
		}
	}
	if err := l.Pause(ctx, "b", t0.Add(day)); err != nil {
		t.Fatal(err)
	}
	srv.Restart(t)
	if d := reserve(t, l, "a", "5", t0.Add(time.Hour), false, caps5); d.Granted || d.Denial != pacing.DenyWeekly {
		t.Fatalf("after restart: %+v, want the week still full\nserver log:\n%s", d, srv.Log())
	}
	if d := reserve(t, l, "b", "1", t0, false, caps5); d.Denial != pacing.DenyPaused {
		t.Fatalf("after restart: %+v, want b still paused", d)
	}
	if err := l.Release(ctx, "a", "0"); !errors.Is(err, pacing.ErrConfirmed) {
		t.Fatalf("Release of the restored send after restart: %v, want ErrConfirmed", err)
	}
	if err := l.Release(ctx, "a", "1"); err != nil {
		t.Fatalf("Release of a reserved send after restart: %v", err)
	}
	u, err := l.Usage(ctx, "a", t0.Add(time.Hour), caps5)
	if err != nil {
		t.Fatal(err)
	}
	if u.Week != 4 || !u.Last.Equal(t0.Add(4*time.Minute)) {
		t.Fatalf("after restart and the releases: %+v, want 4 sends, the restored one kept", u)
	}
}

// Restore records a send the platform's own record shows, whatever the
// rules say, as confirmed: Release never frees it (ErrConfirmed), and it
// counts against the caps, the gap and the note allowance.
func TestRedisLimiterRestore(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	l := newRedisLimiter(t, srv)
	month := pacing.Rules{
		Weekly: 5, Daily: pacing.Unlimited, MinGap: time.Hour, NotesPerMonth: 1,
		MonthStart: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), MonthEnd: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC),
	}
	restore := func(id string, at time.Time, note, want bool) {
		t.Helper()
		got, err := l.Restore(ctx, "a", id, at, note)
		if err != nil || got != want {
			t.Fatalf("Restore(%s) = %v, %v; want %v", id, got, err, want)
		}
	}
	restore("old", t0, true, true)
	restore("old", t0.Add(time.Minute), false, false) // idempotent: kept as it is
	if d := reserve(t, l, "a", "r1", t0.Add(2*time.Hour), false, month); !d.Granted {
		t.Fatalf("Reserve after the restored send: %+v", d)
	}
	restore("r1", t0.Add(3*time.Hour), false, false) // a reserved ID stays reserved

	if err := l.Release(ctx, "a", "old"); !errors.Is(err, pacing.ErrConfirmed) {
		t.Fatalf("Release of a restored send = %v, want ErrConfirmed", err)
	}
	if err := l.Release(ctx, "a", "old"); !errors.Is(err, pacing.ErrConfirmed) {
		t.Fatalf("Release of a restored send, again = %v, want ErrConfirmed", err)
	}
	if err := l.Release(ctx, "a", "r1"); err != nil {
		t.Fatalf("Release of a reserved send = %v", err)
	}
	u, err := l.Usage(ctx, "a", t0.Add(3*time.Hour), month)
	if err != nil {
		t.Fatal(err)
	}
	if u.Week != 1 || u.NotesMonth != 1 || !u.Last.Equal(t0) {
		t.Fatalf("Usage = %+v, want the restored send (with its note) still counted, the released one gone", u)
	}
	if d := reserve(t, l, "a", "n", t0.Add(30*time.Minute), false, month); d.Denial != pacing.DenyGap {
		t.Fatalf("Reserve 30m after the restored send = %+v, want denied by the gap", d)
	}
	if d := reserve(t, l, "a", "n", t0.Add(3*time.Hour), true, month); d.Denial != pacing.DenyNoteAllowance {
		t.Fatalf("a note with the restored one = %+v, want denied note_allowance", d)
	}

	for name, call := range map[string]func() error{
		"bad account": func() error { _, err := l.Restore(ctx, "A", "x", t0, false); return err },
		"empty ID":    func() error { _, err := l.Restore(ctx, "a", "", t0, false); return err },
		"zero time":   func() error { _, err := l.Restore(ctx, "a", "x", time.Time{}, false); return err },
	} {
		if err := call(); !errors.Is(err, pacing.ErrInvalidRequest) {
			t.Errorf("Restore with %s: %v, want ErrInvalidRequest", name, err)
		}
	}
}

// With the server gone, Reserve fails: it never grants blindly.
func TestRedisLimiterServerDown(t *testing.T) {
	srv := redistest.Start(t)
	l := newRedisLimiter(t, srv)
	srv.Kill()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	d, err := l.Reserve(ctx, pacing.Request{Account: "a", ID: "1", At: t0, Rules: caps5})
	if err == nil || d.Granted {
		t.Fatalf("Reserve with no server = %+v, %v; want an error", d, err)
	}
}

// BenchmarkRedisLimiterReserve: one Reserve of a simulation of 1,000
// accounts, one round trip each, on a local server.
func BenchmarkRedisLimiterReserve(b *testing.B) {
	srv := redistest.Start(b)
	l, err := pacing.NewRedisLimiter(srv.Client())
	if err != nil {
		b.Fatal(err)
	}
	benchReserve(b, l)
}

const day = 24 * time.Hour
