package scheduler

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/lifecycle"
	"github.com/outreach-scheduler/outreach/pacing"
	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/platform/sandbox"
	"github.com/outreach-scheduler/outreach/wire"
	"github.com/outreach-scheduler/outreach/worker"
)

// retryAt is when the tests' operator retries: after the sandbox of
// failWorld stopped refusing profiles (2026-11-05).
var retryAt = time.Date(2026, 11, 6, 8, 0, 0, 0, time.UTC)

// failWorld is snapWorld with a sandbox that refuses a few profiles
// (invalid_profile) for the first days: failed prospects, with a reason.
func failWorld(t *testing.T) (*config.Config, []*campaigns.Campaign, func() map[string]Source) {
	const refuse = `platform:
  sandbox:
    accept_rate: 0.4
    decline_rate: 0.1
    refuse: [{code: invalid_profile, persons: [p5, p13, p30, p77, p211], until: "2026-11-05T00:00:00Z"}]
`
	cfgYAML := strings.Replace(snapConfig, "platform:\n  sandbox: {accept_rate: 0.4, decline_rate: 0.1}\n", refuse, 1)
	if cfgYAML == snapConfig {
		t.Fatal("failWorld: snapConfig changed; update the replacement")
	}
	cfg, cs := testWorld(t, cfgYAML, snapMessages, snapFollow)
	return cfg, cs, func() map[string]Source {
		return map[string]Source{"c1": &Synthetic{Prefix: "p", N: 900}, "c2": &Synthetic{Prefix: "p", N: 400}}
	}
}

// commandRun is ledgerRun with operator commands: each is applied to the
// engine, and recorded in the ledger, at its time. before, if set, sees the
// engine just before each command.
func commandRun(t *testing.T, cfg *config.Config, cs []*campaigns.Campaign, srcs map[string]Source, start time.Time, days int,
	cmds []wire.Command, before func(*Engine, wire.Command), after func(*Engine, wire.Command, int)) (*Engine, []wire.Entry) {
	t.Helper()
	sbOpt, err := sandbox.OptionsFromConfig(cfg, 3)
	if err != nil {
		t.Fatal(err)
	}
	model := sandbox.New(sbOpt)
	eng, err := New(Options{Config: cfg, Campaigns: cs, Sources: srcs, Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	d := &worker.Deliverer{Limiter: pacing.NewMemLimiter(), Platform: model, Rules: worker.ConfigRules(cfg), RestrictionPause: time.Hour}
	var out []wire.Entry
	var queue []wire.Task
	end := start.AddDate(0, 0, days)
	for now := start; now.Before(end); now = now.Add(time.Minute) {
		for len(cmds) > 0 && !cmds[0].At.After(now) {
			cmd := cmds[0]
			cmds = cmds[1:]
			if before != nil {
				before(eng, cmd)
			}
			n, err := eng.Command(cmd)
			if err != nil {
				t.Fatal(err)
			}
			if after != nil {
				after(eng, cmd, n)
			}
			out = append(out, wire.Entry{Command: &cmd})
		}
		for _, ev := range model.Advance(now) {
			if err := eng.Observe(ev); err != nil {
				t.Fatal(err)
			}
			out = append(out, wire.Entry{Event: &ev})
		}
		queue = append(queue, eng.Plan(now)...)
		slices.SortStableFunc(queue, func(a, b wire.Task) int { return a.At.Compare(b.At) })
		for len(queue) > 0 && !queue[0].At.After(now) {
			tk := queue[0]
			queue = queue[1:]
			o, err := d.Do(context.Background(), tk, tk.At)
			if err != nil {
				t.Fatal(err)
			}
			if err := eng.Done(tk, o); err != nil {
				t.Fatal(err)
			}
			out = append(out, wire.Entry{Task: &tk, Outcome: &o})
		}
	}
	return eng, out
}

// replayEntries applies ledger entries as a rebuild does.
func replayEntries(t *testing.T, e *Engine, es []wire.Entry) {
	t.Helper()
	for _, x := range es {
		var err error
		switch {
		case x.Event != nil:
			err = e.Observe(*x.Event)
		case x.Command != nil:
			_, err = e.Command(*x.Command)
		default:
			err = e.Replay(*x.Task, *x.Outcome)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func entryAt(x wire.Entry) time.Time {
	if x.Command != nil {
		return x.Command.At
	}
	return entryTime(x)
}

type campPerson struct{ campaign, person string }

// TestRetryCommand: profiles the platform refused (invalid_profile) fail
// with that reason and are counted by it; once the refusal ends, the
// operator's retry command puts them back in their queues (followed ones
// too, without following again), under a new attempt: each is then invited
// once, under a new key, and nobody is invited twice.
func TestRetryCommand(t *testing.T) {
	cfg, cs, sources := failWorld(t)
	start := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	cmd := wire.Command{Kind: wire.CommandRetry, At: retryAt, Code: string(platform.CodeInvalidProfile), By: "ops@host", Reason: "profiles back"}
	failedBefore := map[string]map[string]int{}
	var retried int
	eng, ledger := commandRun(t, cfg, cs, sources(), start, 14, []wire.Command{cmd},
		func(e *Engine, _ wire.Command) {
			for _, c := range []string{"c1", "c2"} {
				failedBefore[c] = e.Failed(c)
			}
		},
		func(e *Engine, _ wire.Command, n int) {
			retried = n
			for _, c := range []string{"c1", "c2"} {
				if f := e.Failed(c); f[string(platform.CodeInvalidProfile)] != 0 {
					t.Errorf("campaign %s after the retry: failed %v", c, f)
				}
				if !e.Completed(c).IsZero() && failedBefore[c][string(platform.CodeInvalidProfile)] > 0 {
					t.Errorf("campaign %s is still complete with prospects requeued", c)
				}
			}
		})
	want := failedBefore["c1"][string(platform.CodeInvalidProfile)] + failedBefore["c2"][string(platform.CodeInvalidProfile)]
	if want == 0 || retried != want {
		t.Fatalf("failed before the retry %v; the command retried %d", failedBefore, retried)
	}

	refusedKey := map[campPerson]string{} // the refused invitation's key
	delivered := map[campPerson][]string{}
	follows := map[campPerson]int{}
	byPerson := map[string]int{}
	for _, x := range ledger {
		if x.Task == nil {
			continue
		}
		cp := campPerson{x.Task.Campaign, x.Task.Person}
		switch {
		case x.Task.Kind == wire.KindInvite && x.Outcome.Kind == wire.Refused && x.Outcome.Code == platform.CodeInvalidProfile:
			refusedKey[cp] = x.Task.Key
		case x.Task.Kind == wire.KindInvite && x.Outcome.Kind == wire.Delivered:
			delivered[cp] = append(delivered[cp], x.Task.Key)
			byPerson[x.Task.Person]++
		case x.Task.Kind == wire.KindFollow && x.Outcome.Kind == wire.Delivered:
			follows[cp]++
		}
	}
	invitedAgain := 0
	if len(refusedKey) != want {
		t.Errorf("%d prospects refused invalid_profile in the ledger, %d failed", len(refusedKey), want)
	}
	for cp, key := range refusedKey {
		got := delivered[cp]
		if cp.campaign == "c2" && follows[cp] != 1 {
			t.Errorf("%v (follow-first) followed %d times, want once: a retry does not follow again", cp, follows[cp])
		}
		if st, _ := eng.State(cp.campaign, cp.person); st == lifecycle.StateSkipped && len(got) == 0 && byPerson[cp.person] == 1 {
			continue // invited by the other campaign since it failed here (dedupe workspace)
		}
		if len(got) != 1 || got[0] == key || !strings.HasSuffix(got[0], ".1") {
			t.Errorf("%v refused under %s: invited %v; want once, under the next attempt's key", cp, key, got)
		}
		invitedAgain++
	}
	for p, n := range byPerson {
		if n > 1 {
			t.Errorf("%s invited %d times (dedupe workspace)", p, n)
		}
	}
	for _, c := range []string{"c1", "c2"} {
		if f := eng.Failed(c); len(f) != 0 {
			t.Errorf("campaign %s ends with failed %v", c, f)
		}
	}
	if invitedAgain == 0 {
		t.Error("no retried prospect was invited again")
	}
	t.Logf("failed before the retry %v, retried %d, invited again %d (the others invited by the other campaign meanwhile)", failedBefore, retried, invitedAgain)
}

// TestRetryCommandRebuilds: a rebuild replays the command once, where it
// stands: an engine given the whole ledger, and engines restored from
// snapshots taken before and after the command then given the rest, hold
// the same state and plan the same tasks, tick by tick (nobody is
// requeued twice). A snapshot in the version-1 format (no reasons) restores
// its failed prospects with reason unrecorded, which a retry of that reason
// requeues.
func TestRetryCommandRebuilds(t *testing.T) {
	cfg, cs, sources := failWorld(t)
	start := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	cmd := wire.Command{Kind: wire.CommandRetry, At: retryAt, Code: string(platform.CodeInvalidProfile)}
	live, ledger := commandRun(t, cfg, cs, sources(), start, 10, []wire.Command{cmd}, nil, nil)
	at := slices.IndexFunc(ledger, func(x wire.Entry) bool { return x.Command != nil })
	newEngine := func(seed uint64) *Engine {
		e, err := New(Options{Config: cfg, Campaigns: cs, Sources: sources(), Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	full := newEngine(7)
	replayEntries(t, full, ledger)
	for _, c := range []string{"c1", "c2"} {
		a, _ := live.Counts(c)
		b, _ := full.Counts(c)
		if a.Invited != b.Invited || !maps.Equal(live.Failed(c), full.Failed(c)) {
			t.Errorf("campaign %s: live invited %d, failed %v; rebuilt %d, %v", c, a.Invited, live.Failed(c), b.Invited, full.Failed(c))
		}
	}
	// (A cut at the very end is TestSnapshotBehavesAsFullReplay's: there
	// a message due within the hour of the cut would go out a fraction of
	// a millisecond apart, the snapshot keeping milliseconds.)
	for _, cut := range []int{at - 1, at, at + 1, (at + len(ledger)) / 2} {
		t.Run(fmt.Sprint("cut", cut), func(t *testing.T) {
			before := newEngine(99)
			replayEntries(t, before, ledger[:cut])
			var buf bytes.Buffer
			if err := before.Snapshot(&buf, entryAt(ledger[cut-1])); err != nil {
				t.Fatal(err)
			}
			restored := newEngine(7)
			if _, err := restored.Restore(buf.Bytes()); err != nil {
				t.Fatal(err)
			}
			if cut <= at && !maps.Equal(restored.Failed("c1"), before.Failed("c1")) {
				t.Fatalf("restored failed %v, want %v", restored.Failed("c1"), before.Failed("c1"))
			}
			replayEntries(t, restored, ledger[cut:])
			again := newEngine(7)
			replayEntries(t, again, ledger)
			lockstep(t, cfg, again, restored, start.AddDate(0, 0, 10), 5)
		})
	}

	// Version 1: no reasons (and, written before replies existed, no
	// replied prospect: the replies are left out).
	before := newEngine(99)
	var noReplies []wire.Entry
	for _, x := range ledger[:at] {
		if x.Event == nil || x.Event.Type != platform.EventReplied {
			noReplies = append(noReplies, x)
		}
	}
	replayEntries(t, before, noReplies)
	var buf bytes.Buffer
	if err := before.snapshot(&buf, entryAt(ledger[at-1]), 1); err != nil {
		t.Fatal(err)
	}
	old := newEngine(7)
	if _, err := old.Restore(buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range []string{"c1", "c2"} {
		f := old.Failed(c)
		n += f[ReasonUnrecorded]
		if len(f) > 1 || f[ReasonUnrecorded] != before.Failed(c)[string(platform.CodeInvalidProfile)] {
			t.Errorf("campaign %s from a version-1 snapshot: failed %v, want %v as unrecorded", c, f, before.Failed(c))
		}
	}
	if got, err := old.Command(wire.Command{Kind: wire.CommandRetry, At: retryAt, Code: ReasonUnrecorded}); err != nil || got != n || n == 0 {
		t.Errorf("retry unrecorded: %d, %v; want %d", got, err, n)
	}
}

// pinnedSource pins every even prospect to bob.
type pinnedSource struct{ Synthetic }

func (s *pinnedSource) Account(i int) string {
	if i%2 == 0 {
		return "bob"
	}
	return ""
}

// TestRetryCommandFilters: only failed prospects of the reason, the
// campaign and the account named are retried; a pinned prospect goes back
// to its sender; the count left to invite and the completion follow.
func TestRetryCommandFilters(t *testing.T) {
	cfg, cs := testWorld(t, strings.Replace(oneAccount, "  - id: alice", "  - id: bob\n    tier: premium\n    limits: {weekly: 100000, daily: 100000, max_pending: 100000}\n  - id: alice", 1), `
name: c
accounts: [alice, bob]
prospects: {csv: none.csv}
steps:
  - connect: {}
`, `
name: d
accounts: [alice]
prospects: {csv: none.csv}
steps:
  - connect: {}
`)
	e, err := New(Options{Config: cfg, Campaigns: cs, Seed: 1, Sources: map[string]Source{
		"c": &pinnedSource{Synthetic{Prefix: "c", N: 8}}, "d": &Synthetic{Prefix: "d", N: 4}}})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	code := func(tk wire.Task) platform.Code {
		switch {
		case tk.Person == "c7":
			return platform.CodeNoteTooLong
		case strings.HasPrefix(tk.Person, "c"), tk.Person == "d1":
			return platform.CodeInvalidProfile
		}
		return ""
	}
	keys := map[string]string{}
	for i := 0; i < 60 && len(keys) < 12; i++ {
		for _, tk := range e.Plan(now) {
			o := wire.Outcome{Kind: wire.Delivered, At: tk.At}
			if c := code(tk); c != "" {
				o = wire.Outcome{Kind: wire.Refused, At: tk.At, Code: c}
			}
			keys[tk.Person] = tk.Key
			if err := e.Done(tk, o); err != nil {
				t.Fatal(err)
			}
		}
		now = now.Add(time.Minute)
	}
	if f := e.Failed("c"); f["invalid_profile"] != 7 || f["note_too_long"] != 1 {
		t.Fatalf("failed in c: %v", f)
	}
	if got := e.FailureReasons(); !slices.Equal(got, []string{"invalid_profile", "note_too_long"}) {
		t.Errorf("reasons %v", got)
	}
	if e.Completed("c").IsZero() {
		t.Fatal("campaign c not complete with every prospect failed")
	}
	for _, bad := range []wire.Command{{Kind: "reboot", Code: "x"}, {Kind: wire.CommandRetry}} {
		if _, err := e.Command(bad); err == nil {
			t.Errorf("command %+v accepted", bad)
		}
	}
	// Bob's only, in campaign c: the pinned even ones, and the shared ones bob tried.
	n, err := e.Command(wire.Command{Kind: wire.CommandRetry, At: now, Campaign: "c", Account: "bob", Code: "invalid_profile"})
	if err != nil || n < 4 || n > 7 {
		t.Fatalf("retry of bob's: %d, %v; want the 4 pinned at least", n, err)
	}
	if !e.Completed("c").IsZero() {
		t.Error("campaign c still complete after a retry")
	}
	m, err := e.Command(wire.Command{Kind: wire.CommandRetry, At: now, Campaign: "c", Code: "invalid_profile"})
	if err != nil || n+m != 7 {
		t.Fatalf("retry of the rest: %d, %v; want %d", m, err, 7-n)
	}
	if f := e.Failed("c"); !maps.Equal(f, map[string]int{"note_too_long": 1}) {
		t.Errorf("failed in c after the retries: %v", f)
	}
	if f := e.Failed("d"); !maps.Equal(f, map[string]int{"invalid_profile": 1}) {
		t.Errorf("campaign d: failed %v, untouched by a retry of campaign c", f)
	}
	// Planned again, each by its sender (the pinned by bob), under .1.
	planned := map[string]wire.Task{}
	for range 60 {
		for _, tk := range e.Plan(now) {
			planned[tk.Person] = tk
			if err := e.Done(tk, wire.Outcome{Kind: wire.Delivered, At: tk.At}); err != nil {
				t.Fatal(err)
			}
		}
		now = now.Add(time.Minute)
	}
	for i := range 7 {
		p := fmt.Sprintf("c%d", i)
		tk, ok := planned[p]
		if !ok || tk.Key != keys[p]+".1" || (i%2 == 0 && tk.Account != "bob") {
			t.Errorf("%s planned again as %+v (first key %s); want the next attempt, by bob when pinned", p, tk, keys[p])
		}
	}
	if _, ok := planned["c7"]; ok {
		t.Error("c7 (note_too_long) was retried by a retry of invalid_profile")
	}
	if n, _ := e.Command(wire.Command{Kind: wire.CommandRetry, At: now, Code: "invalid_profile", Campaign: "c"}); n != 0 {
		t.Errorf("a second retry requeued %d invited prospects", n)
	}
}

// TestReasonTable: a reason is kept in a byte; beyond 255 reasons (an
// integration inventing codes) the rest share "other".
func TestReasonTable(t *testing.T) {
	var e Engine
	first := e.reason("invalid_profile")
	if e.reason("invalid_profile") != first || e.reasonName(first) != "invalid_profile" || e.reasonName(0) != ReasonUnrecorded {
		t.Fatal("the table does not keep a reason")
	}
	for i := range 400 {
		if name := e.reasonName(e.reason(fmt.Sprintf("code_%d", i))); name != fmt.Sprintf("code_%d", i) && name != ReasonOther {
			t.Fatalf("code_%d is named %q", i, name)
		}
	}
	if len(e.reasons.names) != 256 || e.reasonName(e.reason("code_399")) != ReasonOther || e.reasonName(e.reason("code_10")) != "code_10" {
		t.Errorf("table of %d names; code_399 %q", len(e.reasons.names), e.reasonName(e.reason("code_399")))
	}
}
