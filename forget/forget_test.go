package forget_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/outreach-scheduler/outreach/forget"
	"github.com/outreach-scheduler/outreach/internal/redistest"
)

func TestRegistry(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	rdb := srv.Client()
	reg := forget.New(rdb, "")

	// Nobody forgotten yet: reading creates nothing.
	if ok, err := reg.Has(ctx, "https://example.com/in/zoe"); ok || err != nil {
		t.Fatalf("Has before any Add: %v %v", ok, err)
	}
	if set, err := reg.Load(ctx); err != nil || set.Len() != 0 || set.Has("https://example.com/in/zoe") {
		t.Fatalf("Load before any Add: %v %v", set, err)
	}
	if n := rdb.DBSize(ctx).Val(); n != 0 {
		t.Fatalf("reading created %d keys", n)
	}

	n, err := reg.Add(ctx, "  https://www.Example.com/in/Zoe/?trk=x ", "https://example.com/in/zoe", "", "ZED@example.com")
	if err != nil || n != 2 {
		t.Fatalf("Add: %d new, %v; want 2 (two spellings of one person, one email)", n, err)
	}
	if n, _ := reg.Add(ctx, "https://example.com/in/zoe"); n != 0 {
		t.Errorf("adding again: %d new", n)
	}
	if c, _ := reg.Count(ctx); c != 2 {
		t.Errorf("Count %d, want 2", c)
	}
	for _, k := range []string{"https://example.com/in/zoe", "http://linkedin.com/in/nobody", "zed@example.com"} {
		want := !strings.Contains(k, "nobody")
		if ok, err := reg.Has(ctx, k); ok != want || err != nil {
			t.Errorf("Has(%s) = %v %v, want %v", k, ok, err, want)
		}
		// A fresh registry (another process) reads the same salt.
		if ok, _ := forget.New(rdb, "").Has(ctx, strings.ToUpper(k)); ok != want {
			t.Errorf("another registry: Has(%s) = %v, want %v", k, ok, want)
		}
	}
	set, err := reg.Load(ctx)
	if err != nil || set.Len() != 2 || !set.Has("https://example.com/in/zoe") || set.Has("https://example.com/in/zo") {
		t.Errorf("Load: %v, %v", set.Len(), err)
	}

	// What Redis holds: a salt and two hashes, no key.
	hits, err := redistest.Grep(ctx, rdb, "zoe", "zed", "example")
	if err != nil || len(hits) != 0 {
		t.Errorf("the registry holds the keys: %v %v", hits, err)
	}
	if keys := rdb.Keys(ctx, "*").Val(); len(keys) != 2 {
		t.Errorf("keys %v, want the set and the salt", keys)
	}

	// Another install (another salt) hashes differently.
	other := redistest.Start(t)
	if _, err := forget.New(other.Client(), "").Add(ctx, "https://example.com/in/zoe"); err != nil {
		t.Fatal(err)
	}
	if a, b := rdb.SMembers(ctx, reg.Key()).Val(), other.Client().SMembers(ctx, reg.Key()).Val(); len(b) != 1 || strings.Contains(strings.Join(a, ","), b[0]) {
		t.Errorf("two installs hash a key alike: %v %v", a, b)
	}

	// The salt lost: nothing may be decided.
	rdb.Del(ctx, reg.SaltKey())
	fresh := forget.New(rdb, "")
	if _, err := fresh.Has(ctx, "https://example.com/in/zoe"); !errors.Is(err, forget.ErrSaltLost) {
		t.Errorf("Has without the salt: %v", err)
	}
	if _, err := fresh.Load(ctx); !errors.Is(err, forget.ErrSaltLost) {
		t.Errorf("Load without the salt: %v", err)
	}
	if _, err := fresh.Add(ctx, "x"); !errors.Is(err, forget.ErrSaltLost) {
		t.Errorf("Add without the salt: %v", err)
	}
}

func TestNilSet(t *testing.T) {
	var s *forget.Set
	if s.Has("x") || s.Len() != 0 {
		t.Error("a nil set is not empty")
	}
}
