package redistest

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestStart(t *testing.T) {
	s := Start(t)
	ctx := context.Background()
	if strings.HasSuffix(s.Addr(), ":6379") || !strings.HasPrefix(s.Addr(), "127.0.0.1:") {
		t.Fatalf("Addr = %s, want a loopback port other than 6379", s.Addr())
	}
	c := s.Client()
	if c != s.Client() {
		t.Error("Client returns a new client on each call")
	}
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	for param, want := range map[string]string{"save": "", "appendonly": "no", "dir": s.Dir(), "bind": "127.0.0.1"} {
		got, err := c.ConfigGet(ctx, param).Result()
		if err != nil {
			t.Fatal(err)
		}
		if got[param] != want {
			t.Errorf("CONFIG GET %s = %q, want %q", param, got[param], want)
		}
	}
	if n, _ := c.DBSize(ctx).Result(); n != 0 {
		t.Errorf("a new server holds %d keys", n)
	}
}

func TestTwoServersAreSeparate(t *testing.T) {
	a, b := Start(t), Start(t)
	ctx := context.Background()
	if a.Addr() == b.Addr() || a.Dir() == b.Dir() {
		t.Fatal("two servers share an address or a directory")
	}
	a.Client().Set(ctx, "k", "a", 0)
	if v := b.Client().Get(ctx, "k").Val(); v != "" {
		t.Fatalf("b sees a's key: %q", v)
	}
}

func TestRestartWithAOF(t *testing.T) {
	s := Start(t, WithAOF())
	ctx := context.Background()
	addr := s.Addr()
	for i := range 100 {
		if err := s.Client().Incr(ctx, "n").Err(); err != nil {
			t.Fatal(i, err)
		}
	}
	s.Restart(t)
	if s.Addr() != addr {
		t.Fatalf("Addr changed from %s to %s", addr, s.Addr())
	}
	if v, err := s.Client().Get(ctx, "n").Int(); err != nil || v != 100 {
		t.Fatalf("after restart: n = %d, %v; want 100\n%s", v, err, s.Log())
	}
}

func TestRestartWithoutAOFLosesData(t *testing.T) {
	s := Start(t)
	ctx := context.Background()
	s.Client().Set(ctx, "k", "v", 0)
	s.Restart(t)
	if n, err := s.Client().DBSize(ctx).Result(); err != nil || n != 0 {
		t.Fatalf("after restart without persistence: %d keys, %v", n, err)
	}
}

func TestKill(t *testing.T) {
	s := Start(t, WithArgs("--maxmemory", "10mb"))
	ctx := context.Background()
	if got := s.Client().ConfigGet(ctx, "maxmemory").Val()["maxmemory"]; got != "10485760" {
		t.Errorf("WithArgs: maxmemory = %q", got)
	}
	s.Kill()
	s.Kill() // twice is fine
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := s.Client().Ping(ctx).Err(); err == nil {
		t.Fatal("PING answered after Kill")
	}
}

// fakeTB records Skip and Fatal, ending the goroutine as testing does.
type fakeTB struct {
	testing.TB
	skipped, fatal string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Skip(args ...any) {
	f.skipped = fmt.Sprint(args...)
	runtime.Goexit()
}

func (f *fakeTB) Fatal(args ...any) {
	f.fatal = fmt.Sprint(args...)
	runtime.Goexit()
}

func startWith(t *testing.T, ci string) *fakeTB {
	t.Setenv("PATH", t.TempDir())
	t.Setenv("CI", ci)
	f := &fakeTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		Start(f)
		t.Error("Start returned without redis-server")
	}()
	<-done
	return f
}

func TestNoRedisServer(t *testing.T) {
	if f := startWith(t, ""); f.skipped == "" || f.fatal != "" || !strings.Contains(f.skipped, "redis-server not found") {
		t.Errorf("without CI: skipped %q, fatal %q; want a skip", f.skipped, f.fatal)
	}
	if f := startWith(t, "true"); f.fatal == "" || f.skipped != "" || !strings.Contains(f.fatal, "CI=true") {
		t.Errorf("with CI=true: skipped %q, fatal %q; want a failure", f.skipped, f.fatal)
	}
}
