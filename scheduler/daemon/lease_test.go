package daemon

import (
	"context"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/internal/redistest"
)

// TestLease: one holder at a time; a second waits while the first holds
// the lease and takes it once it is released; a holder whose lease was
// taken over learns it (lost is closed), and its Release leaves the new
// holder's lease alone.
func TestLease(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client()
	ctx := context.Background()
	ttl := 300 * time.Millisecond
	a := NewLease(rdb, "lease", "a", ttl, time.Now)
	b := NewLease(rdb, "lease", "b", ttl, time.Now)
	if err := a.Acquire(ctx); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, ttl/2)
	defer cancel()
	if err := b.Acquire(short); err == nil {
		t.Fatal("b acquired the lease a holds")
	}
	a.Release(ctx)
	if err := b.Acquire(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := Renew(ctx, rdb, "lease", "a", ttl); err != nil || n != 0 {
		t.Fatalf("a renewed b's lease: %d, %v", n, err)
	}
	lost := make(chan struct{})
	go a.Hold(ctx, lost)
	select {
	case <-lost:
	case <-time.After(5 * ttl):
		t.Fatal("a holds on to a lease b holds")
	}
	a.Release(ctx)
	if got, err := rdb.Get(ctx, "lease").Result(); err != nil || got != "b" {
		t.Fatalf("after a's release the lease is %q (%v), want b's", got, err)
	}
}
