package scheduler

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/internal/golden"
	"github.com/outreach-scheduler/outreach/lifecycle"
	"github.com/outreach-scheduler/outreach/pacing"
	"github.com/outreach-scheduler/outreach/platform/sandbox"
	"github.com/outreach-scheduler/outreach/wire"
	"github.com/outreach-scheduler/outreach/worker"
)

const snapConfig = `
defaults:
  min_gap: 5m
  jitter: 1
  withdraw_after: 6d
  reinvite_cooldown: 3d
  days: [mon, tue, wed, thu, fri]
  hours: "09:00-18:00"
accounts:
  - id: alice
    tier: premium
    limits: {weekly: 100, daily: 25, max_pending: 60, notes_per_month: 200}
  - id: bob
    tier: free
    timezone: Europe/Paris
    limits: {weekly: 80, daily: 20, max_pending: 40}
platform:
  sandbox: {accept_rate: 0.4, decline_rate: 0.1}
`

const snapMessages = `
name: c1
accounts: [alice, bob]
prospects: {csv: none.csv}
steps:
  - connect:
      note:
        variants:
          - {name: a, text: "Hi {{.first_name}}, glad to connect."}
          - {name: b, text: "Hello {{.first_name}}! Shall we connect?"}
        fallback: [b, blank]
  - message:
      wait: 1d
      text: "Thanks for connecting, {{.first_name}}!"
  - message:
      wait: 2d
      text: "How is {{.company}} doing?"
`

const snapFollow = `
name: c2
accounts: [bob]
prospects: {csv: none.csv}
steps:
  - follow: {}
    wait: 2d
  - connect: {}
`

// snapWorld is a workspace for the snapshot tests: two accounts, one
// campaign with an A/B test and two messages, one follow-first campaign,
// both over the same people (so dedupe matters).
func snapWorld(t testing.TB) (*config.Config, []*campaigns.Campaign, func() map[string]Source) {
	cfg, cs := testWorld(t, snapConfig, snapMessages, snapFollow)
	return cfg, cs, func() map[string]Source {
		return map[string]Source{"c1": &Synthetic{Prefix: "p", N: 900}, "c2": &Synthetic{Prefix: "p", N: 400}}
	}
}

// ledgerRun is the ledger driveRun would have the daemons write.
func ledgerRun(t *testing.T, cfg *config.Config, cs []*campaigns.Campaign, srcs map[string]Source, start time.Time, days int) []wire.Entry {
	t.Helper()
	return driveRun(t, cfg, cs, srcs, start, days, driveOptions{}).Ledger
}

func replayAll(t *testing.T, e *Engine, es []wire.Entry) {
	t.Helper()
	for _, x := range es {
		var err error
		if x.Event != nil {
			err = e.Observe(*x.Event)
		} else {
			err = e.Replay(*x.Task, *x.Outcome)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func entryTime(x wire.Entry) time.Time {
	if x.Event != nil {
		return x.Event.At
	}
	return x.Outcome.At
}

// TestSnapshotBehavesAsFullReplay: an engine restored from a snapshot taken
// at any point of the ledger, then given the rest of the ledger, plans
// exactly what an engine given the whole ledger plans, tick by tick, for
// weeks, through the same outcomes and answers.
func TestSnapshotBehavesAsFullReplay(t *testing.T) {
	cfg, cs, sources := snapWorld(t)
	start := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	ledger := ledgerRun(t, cfg, cs, sources(), start, 21)
	var kinds [6]int
	for _, x := range ledger {
		if x.Task != nil {
			kinds[x.Task.Kind]++
		}
	}
	if kinds[wire.KindInvite] < 300 || kinds[wire.KindMessage] == 0 || kinds[wire.KindFollow] == 0 || kinds[wire.KindWithdraw] == 0 {
		t.Fatalf("the run did not exercise every kind of task: %v", kinds)
	}
	for _, cut := range []int{1, len(ledger) / 3, 2 * len(ledger) / 3, len(ledger)} {
		t.Run(fmt.Sprint("cut", cut), func(t *testing.T) {
			newEngine := func(seed uint64) *Engine {
				e, err := New(Options{Config: cfg, Campaigns: cs, Sources: sources(), Seed: seed})
				if err != nil {
					t.Fatal(err)
				}
				return e
			}
			full := newEngine(7)
			replayAll(t, full, ledger)

			before := newEngine(99) // another seed: the snapshot carries its own
			replayAll(t, before, ledger[:cut])
			var buf bytes.Buffer
			if err := before.Snapshot(&buf, entryTime(ledger[cut-1])); err != nil {
				t.Fatal(err)
			}
			restored := newEngine(7)
			st, err := restored.Restore(buf.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			if st.Prospects == 0 || st.Unmatched != 0 {
				t.Fatalf("restore: %+v", st)
			}
			replayAll(t, restored, ledger[cut:])
			lockstep(t, cfg, full, restored, start.AddDate(0, 0, 21), 14)
		})
	}
}

// lockstep plans both engines minute by minute and fails at the first
// difference; both get the same outcomes and answers.
func lockstep(t *testing.T, cfg *config.Config, a, b *Engine, from time.Time, days int) {
	t.Helper()
	sbOpt, err := sandbox.OptionsFromConfig(cfg, 5)
	if err != nil {
		t.Fatal(err)
	}
	model := sandbox.New(sbOpt)
	d := &worker.Deliverer{Limiter: pacing.NewMemLimiter(), Platform: model, Rules: worker.ConfigRules(cfg), RestrictionPause: time.Hour}
	var qa []wire.Task
	planned := 0
	show := func(ts []wire.Task) string {
		var s []string
		for _, x := range ts {
			s = append(s, fmt.Sprintf("%s %s %s %s", x.Kind, x.Key, x.At.Format(time.RFC3339), x.Variant))
		}
		return strings.Join(s, "\n  ")
	}
	end := from.AddDate(0, 0, days)
	for now := from; now.Before(end); now = now.Add(time.Minute) {
		for _, ev := range model.Advance(now) {
			if err := errors.Join(a.Observe(ev), b.Observe(ev)); err != nil {
				t.Fatal(err)
			}
		}
		pa, pb := slices.Clone(a.Plan(now)), slices.Clone(b.Plan(now))
		byKey := func(x, y wire.Task) int { return strings.Compare(x.Key, y.Key) }
		slices.SortFunc(pa, byKey)
		slices.SortFunc(pb, byKey)
		if !slices.EqualFunc(pa, pb, func(x, y wire.Task) bool { return x == y }) {
			t.Fatalf("at %s the engines plan differently after %d tasks:\nfull replay:\n  %s\nsnapshot:\n  %s", now, planned, show(pa), show(pb))
		}
		planned += len(pa)
		qa = append(qa, pa...)
		slices.SortStableFunc(qa, func(x, y wire.Task) int { return x.At.Compare(y.At) })
		for len(qa) > 0 && !qa[0].At.After(now) {
			tk := qa[0]
			qa = qa[1:]
			o, err := d.Do(context.Background(), tk, tk.At)
			if err != nil {
				t.Fatal(err)
			}
			if err := errors.Join(a.Done(tk, o), b.Done(tk, o)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if planned < 100 {
		t.Fatalf("only %d tasks planned in %d days: the comparison says little", planned, days)
	}
}

// TestRestoreRejectsDamage: a truncated or altered snapshot is refused
// with ErrSnapshotCorrupt, a newer version with *wire.ErrVersion, and the
// engine is left fresh (a restore of the good one then works).
func TestRestoreRejectsDamage(t *testing.T) {
	cfg, cs, sources := snapWorld(t)
	start := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	ledger := ledgerRun(t, cfg, cs, sources(), start, 5)
	e, err := New(Options{Config: cfg, Campaigns: cs, Sources: sources(), Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	replayAll(t, e, ledger)
	var buf bytes.Buffer
	if err := e.Snapshot(&buf, entryTime(ledger[len(ledger)-1])); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	r := rand.New(rand.NewPCG(1, 2))
	damaged := [][]byte{nil, good[:10], good[:len(good)/2], good[:len(good)-1]}
	for range 20 {
		b := slices.Clone(good)
		b[r.IntN(len(b))] ^= byte(1 + r.IntN(255))
		damaged = append(damaged, b)
	}
	fresh, err := New(Options{Config: cfg, Campaigns: cs, Sources: sources(), Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	for i, b := range damaged {
		if _, err := fresh.Restore(b); !errors.Is(err, ErrSnapshotCorrupt) {
			t.Fatalf("damaged snapshot %d: %v, want ErrSnapshotCorrupt", i, err)
		}
	}
	newer := bytes.Replace(slices.Clone(good), []byte(fmt.Sprintf(`{"v":%d,`, snapshotVersionOf(t, good))), []byte(`{"v":4,`), 1)
	// Re-seal it, so that only the version is wrong.
	newer = reseal(newer)
	var ev *wire.ErrVersion
	if _, err := fresh.Restore(newer); !errors.As(err, &ev) || ev.Got != 4 {
		t.Fatalf("newer snapshot: %v, want *wire.ErrVersion", err)
	}
	if _, err := fresh.Restore(good); err != nil {
		t.Fatalf("the good snapshot after refused ones: %v", err)
	}
	if _, err := fresh.Restore(good); err == nil {
		t.Fatal("a second Restore into the same engine was accepted")
	}
}

// TestSnapshotHasNoPersonalData: no key, field or note of any prospect in
// the bytes.
func TestSnapshotHasNoPersonalData(t *testing.T) {
	cfg, cs, sources := snapWorld(t)
	start := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	ledger := ledgerRun(t, cfg, cs, sources(), start, 7)
	e, err := New(Options{Config: cfg, Campaigns: cs, Sources: sources(), Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	replayAll(t, e, ledger)
	var buf bytes.Buffer
	if err := e.Snapshot(&buf, entryTime(ledger[len(ledger)-1])); err != nil {
		t.Fatal(err)
	}
	for _, needle := range []string{"p123", "p899", "Emeka", "Company 1", "glad to connect", "Thanks for"} {
		if bytes.Contains(buf.Bytes(), []byte(needle)) {
			t.Errorf("the snapshot contains %q", needle)
		}
	}
}

// reseal recomputes a snapshot's checksum after a deliberate change.
func reseal(b []byte) []byte {
	body := b[:len(b)-sha256.Size]
	sum := sha256.Sum256(body)
	return append(slices.Clone(body), sum[:]...)
}

// TestSnapshotGolden pins the snapshot encoding (go test -update rewrites
// testdata/snapshot-v2.golden), and checks that a snapshot written in that
// format still restores: change the format only with a new version, and
// keep the old golden file as a test that the old version still reads
// (testdata/snapshot-v1.golden, written by version 1, is never rewritten:
// it restores to the counts it held).
func TestSnapshotGolden(t *testing.T) {
	cfg, cs, _ := failWorld(t) // with failed prospects
	sources := func() map[string]Source {
		return map[string]Source{"c1": &Synthetic{Prefix: "p", N: 40}, "c2": &Synthetic{Prefix: "p", N: 20}}
	}
	start := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	ledger := ledgerRun(t, cfg, cs, sources(), start, 6)
	e, err := New(Options{Config: cfg, Campaigns: cs, Sources: sources(), Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	replayAll(t, e, ledger)
	var buf bytes.Buffer
	if err := e.Snapshot(&buf, entryTime(ledger[len(ledger)-1])); err != nil {
		t.Fatal(err)
	}
	enc := base64.StdEncoding.EncodeToString(buf.Bytes())
	var lines strings.Builder
	for len(enc) > 76 {
		lines.WriteString(enc[:76] + "\n")
		enc = enc[76:]
	}
	lines.WriteString(enc + "\n")
	golden.Check(t, "testdata/snapshot-v3.golden", lines.String())
	if len(e.Failed("c1")) == 0 {
		t.Fatal("the golden world has no failed prospect: the reasons go untested")
	}
	if c, _ := e.Counts("c1"); c.Replied == 0 {
		t.Fatal("the golden world has no replied prospect: the replied state goes untested")
	}

	restore := func(file string) *Engine {
		t.Helper()
		data := readGolden(t, file)
		restored, err := New(Options{Config: cfg, Campaigns: cs, Sources: sources(), Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		st, err := restored.Restore(data)
		if err != nil || st.Prospects == 0 {
			t.Fatalf("the golden snapshot %s does not restore: %+v %v", file, st, err)
		}
		return restored
	}
	v3 := restore("testdata/snapshot-v3.golden")
	for _, c := range []string{"c1", "c2"} {
		want, _ := e.Counts(c)
		got, _ := v3.Counts(c)
		if got != want || !maps.Equal(v3.Failed(c), e.Failed(c)) {
			t.Errorf("campaign %s restored from the golden file: %+v %v, want %+v %v", c, got, v3.Failed(c), want, e.Failed(c))
		}
	}
	// Version 2 (before replies): what it held when it was written.
	v2 := restore("testdata/snapshot-v2.golden")
	for c, want := range map[string]lifecycle.Counts{
		"c1": {Invited: 37, Accepted: 11, Declined: 2, Pending: 24, Messaged: 17},
		"c2": {Followed: 18},
	} {
		if got, _ := v2.Counts(c); got != want {
			t.Errorf("campaign %s restored from the version-2 golden file: %+v, want %+v", c, got, want)
		}
	}
	if f := v2.Failed("c1"); f["invalid_profile"] != 3 {
		t.Errorf("failed prospects restored from the version-2 golden file: %v, want 3 invalid_profile", f)
	}
	// Version 1: what it held when it was written.
	v1 := restore("testdata/snapshot-v1.golden")
	for c, want := range map[string]lifecycle.Counts{
		"c1": {Invited: 40, Accepted: 12, Declined: 3, Pending: 25, Messaged: 19},
		"c2": {Followed: 20},
	} {
		if got, _ := v1.Counts(c); got != want {
			t.Errorf("campaign %s restored from the version-1 golden file: %+v, want %+v", c, got, want)
		}
	}
}

// readGolden reads a base64 golden snapshot.
func readGolden(tb testing.TB, file string) []byte {
	tb.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		tb.Fatal(err)
	}
	data, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(string(raw), "\n", ""))
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// FuzzRestore: whatever the bytes (sealed with a valid checksum, so that
// the decoder itself is exercised), Restore never panics, and what it
// refuses leaves the engine fresh.
func FuzzRestore(f *testing.F) {
	for _, file := range []string{"testdata/snapshot-v1.golden", "testdata/snapshot-v2.golden"} {
		golden := readGolden(f, file)
		f.Add(golden[:len(golden)-sha256.Size])
	}
	f.Add([]byte(snapshotMagic))
	cfg, cs, _ := snapWorld(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		e, err := New(Options{Config: cfg, Campaigns: cs, Seed: 1,
			Sources: map[string]Source{"c1": &Synthetic{Prefix: "p", N: 40}, "c2": &Synthetic{Prefix: "p", N: 20}}})
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(body)
		if _, err := e.Restore(append(slices.Clone(body), sum[:]...)); err != nil {
			if len(e.people.all) != 0 || len(e.out) != 0 {
				t.Fatalf("a refused snapshot changed the engine: %v", err)
			}
			return
		}
		e.Plan(time.Date(2026, 11, 9, 10, 0, 0, 0, time.UTC)) // a restored engine plans
	})
}
