package redistest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestStartCluster(t *testing.T) {
	start := time.Now()
	c := StartCluster(t, 3)
	t.Logf("3-master cluster up in %v", time.Since(start))
	ctx := context.Background()
	addrs := c.Addrs()
	if len(addrs) != 3 || len(c.Nodes()) != 3 {
		t.Fatalf("Addrs = %v", addrs)
	}
	seen := map[string]bool{}
	for i, a := range addrs {
		if strings.HasSuffix(a, ":6379") || !strings.HasPrefix(a, "127.0.0.1:") || seen[a] {
			t.Fatalf("Addrs = %v, want distinct loopback ports other than 6379", addrs)
		}
		seen[a] = true
		port := strings.TrimPrefix(a, "127.0.0.1:")
		if _, err := os.Stat(filepath.Join(c.Nodes()[i].Dir(), "nodes-"+port+".conf")); err != nil {
			t.Errorf("node %s: %v", a, err)
		}
	}
	cl := c.Client()
	if cl != c.Client() {
		t.Error("Client returns a new client on each call")
	}
	// Keys in many slots: each master gets some, the cluster client routes.
	for i := range 100 {
		if err := cl.Set(ctx, fmt.Sprintf("k%d", i), i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	total := int64(0)
	for _, n := range c.Nodes() {
		got, err := n.Client().DBSize(ctx).Result()
		if err != nil {
			t.Fatal(err)
		}
		if got == 0 {
			t.Errorf("master %s holds no key of 100", n.Addr())
		}
		total += got
	}
	if total != 100 {
		t.Errorf("the masters hold %d keys, want 100", total)
	}
	// A multi-key command within one hash tag works; across slots it fails.
	if err := cl.MSet(ctx, "{t}a", 1, "{t}b", 2).Err(); err != nil {
		t.Errorf("MSET in one hash tag: %v", err)
	}
	if err := c.Nodes()[0].Client().MSet(ctx, "a", 1, "b", 2, "c", 3, "d", 4).Err(); err == nil || !strings.Contains(err.Error(), "CROSSSLOT") && !strings.Contains(err.Error(), "MOVED") {
		t.Errorf("MSET across slots on one node: %v, want CROSSSLOT or MOVED", err)
	}
}

func startClusterWith(t *testing.T, ci string) *fakeTB {
	t.Setenv("PATH", t.TempDir())
	t.Setenv("CI", ci)
	f := &fakeTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		StartCluster(f, 3)
		t.Error("StartCluster returned without redis-server")
	}()
	<-done
	return f
}

func TestNoRedisServerForCluster(t *testing.T) {
	if f := startClusterWith(t, ""); f.skipped == "" || f.fatal != "" || !strings.Contains(f.skipped, "not found") {
		t.Errorf("without CI: skipped %q, fatal %q; want a skip", f.skipped, f.fatal)
	}
	if f := startClusterWith(t, "true"); f.fatal == "" || f.skipped != "" || !strings.Contains(f.fatal, "CI=true") {
		t.Errorf("with CI=true: skipped %q, fatal %q; want a failure", f.skipped, f.fatal)
	}
}
