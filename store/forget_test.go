package store_test

import (
	"context"
	"iter"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/outreach-scheduler/outreach/forget"
	"github.com/outreach-scheduler/outreach/internal/redistest"
	"github.com/outreach-scheduler/outreach/lifecycle"
	"github.com/outreach-scheduler/outreach/store"
)

const (
	janeKey  = "https://linkedin.com/in/jane"
	mariaKey = "https://linkedin.com/in/maria"
)

// forgetPeople does what `outreach forget` does to the store: records the
// people, then removes them.
func forgetPeople(t *testing.T, s *store.Store, rdb redis.UniversalClient, keys ...string) store.ForgetResult {
	t.Helper()
	ctx := context.Background()
	if _, err := forget.New(rdb, "").Add(ctx, keys...); err != nil {
		t.Fatal(err)
	}
	res, err := s.Forget(ctx, keys)
	if err != nil {
		t.Fatalf("Forget: %v", err)
	}
	return res
}

func grepNone(t *testing.T, rdb redis.UniversalClient, needles ...string) {
	t.Helper()
	hits, err := redistest.Grep(context.Background(), rdb, needles...)
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) > 0 {
		t.Errorf("Redis still holds a forgotten person:\n%s", strings.Join(hits, "\n"))
	}
}

func TestForgetStore(t *testing.T) {
	s, rdb := newStore(t)
	ctx := context.Background()
	dir := t.TempDir()
	c := writeCampaign(t, dir, campaignYAML, jane, john, excluded, maria)
	apply(t, s, c)
	// Maria leaves the CSV: she is in the removed set of generation 2,
	// and both are in generation 1, readable for the grace period.
	c = writeCampaign(t, dir, campaignYAML, jane, john, excluded)
	if got := apply(t, s, c); got.Removed != 1 || got.Generation != 2 {
		t.Fatalf("apply without maria: %+v", got)
	}
	if hits, _ := redistest.Grep(ctx, rdb, "jane", "maria"); len(hits) < 4 {
		t.Fatalf("before forget, the scan finds too little (%d places): %v", len(hits), hits)
	}

	res := forgetPeople(t, s, rdb, janeKey, mariaKey)
	if res.Rows != 2 || res.Stale != 2 || res.Campaigns != 1 {
		t.Errorf("Forget: %+v, want 2 rows (jane a member, maria removed), 2 stale (generation 1)", res)
	}
	want := "https://linkedin.com/in/john skip= acct= event=Web Summit first_name=John\nhttps://linkedin.com/in/excluded skip=excluded acct=\n"
	if got := dump(t, s, "demo"); got != want {
		t.Errorf("after forget:\n%s\nwant:\n%s", got, want)
	}
	if in, err := s.Info(ctx, "demo"); err != nil || in.Prospects != 2 || in.Removed != 0 {
		t.Errorf("counts after forget: %+v %v", in, err)
	}
	grepNone(t, rdb, "jane", "maria")
	if res := forgetPeople(t, s, rdb, janeKey, mariaKey); res != (store.ForgetResult{}) {
		t.Errorf("forgetting again: %+v", res)
	}

	// The same CSV again, with both: they are left out, never stored.
	c = writeCampaign(t, dir, campaignYAML, jane, john, excluded, maria)
	got := apply(t, s, c)
	if !got.Unchanged || got.Forgotten != 2 || got.String() != "unchanged; 2 skipped: forgotten" {
		t.Errorf("re-apply: %+v (%s)", got, got)
	}
	grepNone(t, rdb, "jane", "maria")
	// A changed CSV: a switch, still without them.
	c = writeCampaign(t, dir, campaignYAML, jane, john, excluded, maria, wei)
	got = apply(t, s, c)
	if got.Added != 1 || got.Kept != 2 || got.Removed != 0 || got.Forgotten != 2 {
		t.Errorf("apply with wei: %+v", got)
	}
	if got := dump(t, s, "demo"); !strings.Contains(got, "wei") || strings.Contains(got, "jane") || strings.Count(got, "\n") != 3 {
		t.Errorf("after apply with wei:\n%s", got)
	}
	grepNone(t, rdb, "jane", "maria")
}

// rowsThen yields rows, calling hook after the row whose key is after.
func rowsThen(rows iter.Seq2[store.Row, error], after string, hook func()) iter.Seq2[store.Row, error] {
	return func(yield func(store.Row, error) bool) {
		for r, err := range rows {
			if !yield(r, err) {
				return
			}
			if r.Key == after {
				hook()
			}
		}
	}
}

// TestForgetWhileApplying forgets a person an apply has already staged:
// the switch must not bring them back, and the counts must match.
func TestForgetWhileApplying(t *testing.T) {
	for _, tc := range []struct {
		name  string
		store bool // also store.Forget (touches meta) or only record
	}{{"forget", true}, {"record only", false}} {
		t.Run(tc.name, func(t *testing.T) {
			s, rdb := newStore(t)
			s.Batch = 1 // jane is staged before the hook runs
			ctx := context.Background()
			dir := t.TempDir()
			apply(t, s, writeCampaign(t, dir, campaignYAML, wei))
			c := writeCampaign(t, dir, campaignYAML, jane, john, maria)
			rows, hint, err := store.CSVRows(c)
			if err != nil {
				t.Fatal(err)
			}
			rows = rowsThen(rows, "https://linkedin.com/in/john", func() {
				if tc.store {
					forgetPeople(t, s, rdb, janeKey)
				} else if _, err := forget.New(rdb, "").Add(ctx, janeKey); err != nil {
					t.Fatal(err)
				}
			})
			res, err := s.Apply(ctx, c, rows, store.ApplyOptions{SizeHint: hint})
			if err != nil {
				t.Fatalf("apply: %v", err)
			}
			if res.Forgotten != 1 {
				t.Errorf("result %+v, want 1 forgotten", res)
			}
			src, err := s.Open(ctx, "demo")
			if err != nil {
				t.Fatalf("open after the switch: %v", err)
			}
			var keys []string
			for i := range src.Len() {
				keys = append(keys, src.Key(i)+" "+src.Skip(i))
			}
			if got := strings.Join(keys, "|"); got != "https://linkedin.com/in/john |https://linkedin.com/in/maria |https://linkedin.com/in/wei "+lifecycle.SkipRemoved {
				t.Errorf("applied: %s", got)
			}
			grepNone(t, rdb, "jane")
		})
	}
}

func TestForgetOnCluster(t *testing.T) {
	cl := redistest.StartCluster(t, 3)
	rdb := cl.Client()
	s := store.New(rdb, "")
	dir := t.TempDir()
	for i, name := range []string{"demo", "other"} {
		c := writeCampaign(t, dir, strings.Replace(campaignYAML, "name: demo", "name: "+name, 1), jane, john, maria)
		if got := apply(t, s, c); got.Added != 3 {
			t.Fatalf("apply %d: %+v", i, got)
		}
	}
	res := forgetPeople(t, s, rdb, janeKey)
	if res.Rows != 2 || res.Campaigns != 2 {
		t.Errorf("Forget on a cluster: %+v, want a row in each of 2 campaigns", res)
	}
	grepNone(t, rdb, "jane")
	for _, name := range []string{"demo", "other"} {
		if got := dump(t, s, name); strings.Count(got, "\n") != 2 {
			t.Errorf("%s:\n%s", name, got)
		}
	}
}
