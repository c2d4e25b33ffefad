package scheduler

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/lifecycle"
	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/wire"
)

// statesSource is a MemSource of n people p0..p(n-1) with some excluded
// and some pinned.
func statesSource(n int, excluded map[int]bool, pinned map[int]string) *MemSource {
	src := &MemSource{header: []string{"first_name"}}
	for i := range n {
		skip := ""
		if excluded[i] {
			skip = lifecycle.SkipExcluded
		}
		src.add(fmt.Sprintf("p%d", i), pinned[i], skip, map[string]string{"first_name": "N"})
	}
	return src
}

const statesConfig = `
defaults:
  min_gap: 1m
  jitter: 0
  days: [mon, tue, wed, thu, fri, sat, sun]
  hours: "00:00-24:00"
accounts:
  - id: alice
    tier: premium
    limits: {weekly: 100000, daily: 100000, max_pending: 100000}
  - id: bob
    tier: premium
    limits: {weekly: 100000, daily: 100000, max_pending: 100000}
`

const statesCampaign = `
name: c
accounts: [alice, bob]
prospects: {csv: none.csv}
steps:
  - connect:
      note:
        variants:
          - {name: hi, text: "Hi {{.first_name}}"}
  - message:
      wait: 1h
      text: "Thanks {{.first_name}}"
  - message:
      wait: 1h
      text: "Again {{.first_name}}"
`

// TestStates: States yields every prospect in source order with its
// state, account, variant, times and failure or skip reason, from the
// ledger replayed; a snapshot keeps the skip reasons.
func TestStates(t *testing.T) {
	cfg, cs := testWorld(t, statesConfig, statesCampaign)
	src := func() Source { return statesSource(11, map[int]bool{9: true}, map[int]string{10: "bob"}) }
	e, err := New(Options{Config: cfg, Campaigns: cs, Sources: map[string]Source{"c": src()}, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	invite := func(person string, at time.Time, o wire.Outcome) {
		t.Helper()
		tk := wire.Task{Kind: wire.KindInvite, At: at, Account: "alice", Campaign: "c", Person: person, Key: "c/" + person + "/connect", Variant: "hi", Chars: 7}
		o.At = at
		if err := e.Replay(tk, o); err != nil {
			t.Fatal(err)
		}
	}
	answer := func(person string, typ platform.EventType, at time.Time) {
		t.Helper()
		if err := e.Observe(wire.Event{Type: typ, Account: "alice", Person: person, At: at}); err != nil {
			t.Fatal(err)
		}
	}
	message := func(person string, step int, at time.Time) {
		t.Helper()
		tk := wire.Task{Kind: wire.KindMessage, At: at, Account: "alice", Campaign: "c", Person: person, Key: fmt.Sprintf("c/%s/m%d", person, step), Step: step}
		if err := e.Replay(tk, wire.Outcome{Kind: wire.Delivered, At: at}); err != nil {
			t.Fatal(err)
		}
	}
	delivered := wire.Outcome{Kind: wire.Delivered}
	for i, p := range []string{"p0", "p1", "p2", "p3", "p4"} {
		invite(p, t0.Add(time.Duration(i)*time.Minute), delivered)
	}
	answer("p1", platform.EventAccepted, t0.Add(time.Hour))
	answer("p2", platform.EventDeclined, t0.Add(2*time.Hour))
	answer("p3", platform.EventAccepted, t0.Add(3*time.Hour))
	message("p3", 0, t0.Add(4*time.Hour))
	message("p3", 1, t0.Add(5*time.Hour))
	if err := e.Replay(wire.Task{Kind: wire.KindWithdraw, At: t0.Add(6 * time.Hour), Account: "alice", Campaign: "c", Person: "p4", Key: "c/p4/withdraw"},
		wire.Outcome{Kind: wire.Delivered, At: t0.Add(6 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	invite("p5", t0, wire.Outcome{Kind: wire.Refused, Code: platform.CodeInvalidProfile})
	invite("p6", t0, wire.Outcome{Kind: wire.Refused, Code: platform.CodeDuplicate})

	at := func(d time.Duration) time.Time { return t0.Add(d) }
	want := []ProspectState{
		{Key: "p0", State: lifecycle.StateInvited, Account: "alice", Variant: "hi", Invited: at(0)},
		{Key: "p1", State: lifecycle.StateAccepted, Account: "alice", Variant: "hi", Invited: at(time.Minute), Answered: at(time.Hour)},
		{Key: "p2", State: lifecycle.StateDeclined, Account: "alice", Variant: "hi", Invited: at(2 * time.Minute), Answered: at(2 * time.Hour)},
		{Key: "p3", State: lifecycle.StateMessaged, Account: "alice", Variant: "hi", Invited: at(3 * time.Minute), MessageSteps: 2},
		{Key: "p4", State: lifecycle.StateWithdrawn, Account: "alice", Variant: "hi", Invited: at(4 * time.Minute), Answered: at(6 * time.Hour)},
		{Key: "p5", State: lifecycle.StateFailed, Account: "alice", Reason: "invalid_profile"},
		{Key: "p6", State: lifecycle.StateSkipped, Account: "alice", Reason: lifecycle.SkipAlreadyInvited},
		{Key: "p7", State: lifecycle.StateQueued},
		{Key: "p8", State: lifecycle.StateQueued},
		{Key: "p9", State: lifecycle.StateSkipped, Reason: lifecycle.SkipExcluded},
		{Key: "p10", State: lifecycle.StateQueued, Account: "bob"},
	}
	for i := range want {
		want[i].Ref = Ref{Campaign: 0, Index: int32(i)}
	}
	check := func(what string, e *Engine) {
		t.Helper()
		got := slices.Collect(e.States("c"))
		if !slices.Equal(got, want) {
			t.Errorf("%s: States:", what)
			for i := range max(len(got), len(want)) {
				var g, w ProspectState
				if i < len(got) {
					g = got[i]
				}
				if i < len(want) {
					w = want[i]
				}
				if g != w {
					t.Errorf("  got  %+v\n  want %+v", g, w)
				}
			}
		}
	}
	check("replayed", e)
	if n := 0; true {
		for range e.States("c") {
			n++
			break
		}
		if n != 1 {
			t.Errorf("States went on after the loop stopped")
		}
	}
	if got := slices.Collect(e.States("nope")); len(got) != 0 {
		t.Errorf("States of an unknown campaign: %v", got)
	}
	if r, ok := e.Lookup("c", "p3"); !ok || r.Index != 3 {
		t.Errorf("Lookup p3: %v %v", r, ok)
	}
	if _, ok := e.Lookup("c", "p99"); ok {
		t.Error("Lookup found p99")
	}

	var buf bytes.Buffer
	if err := e.Snapshot(&buf, t0.Add(7*time.Hour)); err != nil {
		t.Fatal(err)
	}
	r, err := New(Options{Config: cfg, Campaigns: cs, Sources: map[string]Source{"c": src()}, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Restore(buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	check("restored from a snapshot", r)
}
