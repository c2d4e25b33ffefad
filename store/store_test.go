package store_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/internal/redistest"
	"github.com/outreach-scheduler/outreach/lifecycle"
	"github.com/outreach-scheduler/outreach/scheduler"
	"github.com/outreach-scheduler/outreach/store"
)

var _ scheduler.Source = (*store.Source)(nil)

const campaignYAML = `name: demo
accounts: [alice, bob]
prospects:
  csv: prospects.csv
exclude:
  csv: exclude.csv
steps:
  - connect:
      note:
        variants:
          - name: event
            text: "Hi {{.first_name}}, great meeting you at {{.event}}!"
  - message:
      text: "Thanks, {{.first_name}}!"
`

const header = "profile_url,first_name,last_name,company,event,account\n"

// writeCampaign writes the campaign, its CSV (header + rows) and an
// exclusion list into dir, and loads it.
func writeCampaign(t *testing.T, dir, yaml string, rows ...string) *campaigns.Campaign {
	t.Helper()
	write(t, filepath.Join(dir, "campaign.yaml"), yaml)
	write(t, filepath.Join(dir, "prospects.csv"), header+strings.Join(rows, "\n")+"\n")
	write(t, filepath.Join(dir, "exclude.csv"), "profile_url\nhttps://linkedin.com/in/excluded\n")
	c, fs, err := campaigns.Load(filepath.Join(dir, "campaign.yaml"), nil)
	if err != nil || fs.HasErrors() {
		t.Fatalf("load: %v %v", err, fs)
	}
	return c
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func apply(t *testing.T, s *store.Store, c *campaigns.Campaign) store.ApplyResult {
	t.Helper()
	rows, hint, err := store.CSVRows(c)
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Apply(context.Background(), c, rows, store.ApplyOptions{SizeHint: hint})
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	return res
}

// dump renders a Source one prospect a line: key skip account fields.
func dump(t *testing.T, s *store.Store, name string) string {
	t.Helper()
	src, err := s.Open(context.Background(), name)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	var b strings.Builder
	for i := range src.Len() {
		f := src.Fields(i)
		keys := slices.Sorted(func(yield func(string) bool) {
			for k := range f {
				if !yield(k) {
					return
				}
			}
		})
		fmt.Fprintf(&b, "%s skip=%s acct=%s", src.Key(i), src.Skip(i), src.Account(i))
		for _, k := range keys {
			fmt.Fprintf(&b, " %s=%s", k, f[k])
		}
		b.WriteByte('\n')
	}
	return b.String()
}

var (
	jane     = "https://www.linkedin.com/in/Jane,Jane,Doe,Acme,Sibos,alice"
	john     = "https://linkedin.com/in/john,John,Smith,Globex,Web Summit,"
	excluded = "https://linkedin.com/in/excluded,Ex,Cluded,Hooli,Sibos,"
	maria    = "https://linkedin.com/in/maria,Maria,Garcia,Initech,Sibos,bob"
	wei      = "https://linkedin.com/in/wei,Wei,Chen,Hooli,SaaStr,"
	aisha    = "https://linkedin.com/in/aisha,Aisha,Khan,Umbrella,Sibos,"
)

func newStore(t *testing.T) (*store.Store, *redis.Client) {
	srv := redistest.Start(t)
	return store.New(srv.Client(), ""), srv.Client()
}

func TestApplyReapplyEdit(t *testing.T) {
	s, rdb := newStore(t)
	ctx := context.Background()
	dir := t.TempDir()
	c := writeCampaign(t, dir, campaignYAML, jane, john, excluded, maria)

	if got := apply(t, s, c); got.Added != 4 || got.Kept != 0 || got.Removed != 0 || got.Unchanged || got.Generation != 1 {
		t.Fatalf("first apply: %+v", got)
	}
	want := `https://linkedin.com/in/jane skip= acct=alice event=Sibos first_name=Jane
https://linkedin.com/in/john skip= acct= event=Web Summit first_name=John
https://linkedin.com/in/excluded skip=excluded acct=
https://linkedin.com/in/maria skip= acct=bob event=Sibos first_name=Maria
`
	if got := dump(t, s, "demo"); got != want {
		t.Fatalf("after first apply:\n%s\nwant:\n%s", got, want)
	}
	if got := apply(t, s, c); !got.Unchanged || got.Kept != 4 || got.Generation != 1 {
		t.Fatalf("re-apply of the same file: %+v, want unchanged", got)
	}
	if n := len(rdb.Keys(ctx, "outreach:{camp:demo}:g2*").Val()); n != 0 {
		t.Errorf("an unchanged apply left %d staging keys", n)
	}

	// Edit: add wei and aisha, remove john, change maria's event.
	maria2 := strings.Replace(maria, "Sibos", "Money20/20", 1)
	c = writeCampaign(t, dir, campaignYAML, jane, excluded, maria2, wei, aisha)
	got := apply(t, s, c)
	if got.Added != 2 || got.Kept != 3 || got.Removed != 1 || got.Changed != 2 || got.Unchanged {
		// Changed: maria's event, and the positions of excluded and maria.
		t.Fatalf("apply of the edited file: %+v, want 2 added, 3 kept (2 changed), 1 removed", got)
	}
	want = `https://linkedin.com/in/jane skip= acct=alice event=Sibos first_name=Jane
https://linkedin.com/in/excluded skip=excluded acct=
https://linkedin.com/in/maria skip= acct=bob event=Money20/20 first_name=Maria
https://linkedin.com/in/wei skip= acct= event=SaaStr first_name=Wei
https://linkedin.com/in/aisha skip= acct= event=Sibos first_name=Aisha
https://linkedin.com/in/john skip=removed acct=
`
	if got := dump(t, s, "demo"); got != want {
		t.Fatalf("after the edit:\n%s\nwant:\n%s", got, want)
	}
	// The replaced generation expires after the grace period.
	if ttl := rdb.TTL(ctx, "outreach:{camp:demo}:g1:removed").Val(); ttl != -2 {
		t.Errorf("g1 removed set exists (TTL %v): it was never created", ttl)
	}
	for _, key := range rdb.Keys(ctx, "outreach:{camp:demo}:g1:*").Val() {
		if ttl := rdb.TTL(ctx, key).Val(); ttl <= 0 || ttl > s.Grace {
			t.Errorf("%s: TTL %v, want within the grace period %v", key, ttl, s.Grace)
		}
	}
	for _, key := range rdb.Keys(ctx, "outreach:{camp:demo}:g3:*").Val() {
		if ttl := rdb.TTL(ctx, key).Val(); ttl != -1 {
			t.Errorf("%s: live key with TTL %v", key, ttl)
		}
	}

	// John comes back, aisha goes: john leaves the removed set.
	c = writeCampaign(t, dir, campaignYAML, jane, john, excluded, maria2, wei)
	if got := apply(t, s, c); got.Added != 1 || got.Kept != 4 || got.Removed != 1 {
		t.Fatalf("apply with john back: %+v", got)
	}
	src, err := s.Open(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	if n := src.Len(); n != 6 || src.Key(5) != "https://linkedin.com/in/aisha" || src.Skip(5) != lifecycle.SkipRemoved || src.Skip(1) != "" {
		t.Errorf("after john's return: %s", dump(t, s, "demo"))
	}
	if in := src.Info(); in.Prospects != 5 || in.Removed != 1 || !slices.Equal(in.Fields, []string{"event", "first_name"}) {
		t.Errorf("info: %+v", in)
	}
	names, err := s.Campaigns(ctx)
	if err != nil || !slices.Equal(names, []string{"demo"}) {
		t.Errorf("Campaigns = %v, %v", names, err)
	}
}

func TestDefinitionChangeIsNotUnchanged(t *testing.T) {
	s, _ := newStore(t)
	dir := t.TempDir()
	c := writeCampaign(t, dir, campaignYAML, jane, john)
	apply(t, s, c)
	c = writeCampaign(t, dir, strings.Replace(campaignYAML, "Thanks,", "Thank you,", 1), jane, john)
	got := apply(t, s, c)
	if got.Unchanged || got.Added+got.Removed+got.Changed != 0 || got.Kept != 2 || got.Generation != 2 {
		t.Fatalf("apply with an edited message: %+v, want a new generation with 2 kept", got)
	}
	in, err := s.Info(context.Background(), "demo")
	if err != nil || !strings.Contains(string(in.YAML), "Thank you,") {
		t.Fatalf("stored definition: %v %q", err, in.YAML)
	}
}

// failing yields rows, then fails after n of them (calling before first).
func failing(rows iter.Seq2[store.Row, error], n int, before func(), err error) iter.Seq2[store.Row, error] {
	return func(yield func(store.Row, error) bool) {
		i := 0
		for r, e := range rows {
			if i == n {
				before()
				if err != nil {
					yield(store.Row{}, err)
					return
				}
			}
			if !yield(r, e) {
				return
			}
			i++
		}
	}
}

func TestApplyIsAtomic(t *testing.T) {
	s, rdb := newStore(t)
	s.Batch = 2 // so that batches are flushed before the failure
	ctx := context.Background()
	dir := t.TempDir()
	c := writeCampaign(t, dir, campaignYAML, jane, john)
	apply(t, s, c)
	before := dump(t, s, "demo")
	keysBefore := rdb.Keys(ctx, "*").Val()
	slices.Sort(keysBefore)

	c = writeCampaign(t, dir, campaignYAML, maria, wei, aisha, excluded, jane)
	rows, _, err := store.CSVRows(c)
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("disk on fire")
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for _, tc := range []struct {
		name string
		ctx  context.Context
		rows iter.Seq2[store.Row, error]
		want error
	}{
		{"row error", ctx, failing(rows, 3, func() {}, boom), boom},
		{"cancelled", cctx, failing(rows, 3, cancel, nil), context.Canceled},
		{"bad pin", ctx, func(yield func(store.Row, error) bool) {
			yield(store.Row{Key: "a"}, nil)
			yield(store.Row{Key: "b", Account: "mallory"}, nil)
		}, nil},
		{"repeated key", ctx, func(yield func(store.Row, error) bool) {
			_ = yield(store.Row{Key: "a"}, nil) && yield(store.Row{Key: "b"}, nil) && yield(store.Row{Key: "a"}, nil)
		}, nil},
	} {
		res, err := s.Apply(tc.ctx, c, tc.rows, store.ApplyOptions{SizeHint: 5})
		if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
			t.Errorf("%s: Apply = %+v, %v; want error %v", tc.name, res, err, tc.want)
		}
		if got := dump(t, s, "demo"); got != before {
			t.Errorf("%s: the applied version changed:\n%s\nwant:\n%s", tc.name, got, before)
		}
		keys := rdb.Keys(ctx, "*").Val()
		slices.Sort(keys)
		if !slices.Equal(keys, keysBefore) {
			t.Errorf("%s: keys %v, want %v (staging left behind?)", tc.name, keys, keysBefore)
		}
	}
	// A good apply after the failures works and counts against g1.
	if got := apply(t, s, c); got.Added != 4 || got.Kept != 1 || got.Removed != 1 {
		t.Errorf("apply after failures: %+v", got)
	}
}

func TestConcurrentApply(t *testing.T) {
	// The outer apply is unchanged against its base, or changes it: either
	// way another apply committing while it stages makes it fail.
	for _, outer := range [][]string{{jane, john}, {jane, john, maria}} {
		s, _ := newStore(t)
		c := writeCampaign(t, t.TempDir(), campaignYAML, jane, john)
		apply(t, s, c)
		c = writeCampaign(t, t.TempDir(), campaignYAML, outer...)
		rows, _, _ := store.CSVRows(c)
		var inner store.ApplyResult
		mid := failing(rows, 1, func() { inner = apply(t, s, writeCampaign(t, t.TempDir(), campaignYAML, wei)) }, nil)
		_, err := s.Apply(context.Background(), c, mid, store.ApplyOptions{})
		if !errors.Is(err, store.ErrConcurrentApply) {
			t.Fatalf("outer apply of %d rows: %v, want ErrConcurrentApply", len(outer), err)
		}
		if inner.Added != 1 || inner.Removed != 2 {
			t.Errorf("inner apply: %+v", inner)
		}
		if got := dump(t, s, "demo"); !strings.HasPrefix(got, "https://linkedin.com/in/wei skip= ") {
			t.Errorf("the inner apply's version is not current:\n%s", got)
		}
	}
}

func TestOpenNotApplied(t *testing.T) {
	s, _ := newStore(t)
	if _, err := s.Open(context.Background(), "nope"); !errors.Is(err, store.ErrNotApplied) {
		t.Fatalf("Open of an unknown campaign: %v", err)
	}
}
