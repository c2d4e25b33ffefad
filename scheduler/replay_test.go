package scheduler

import (
	"strings"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/lifecycle"
	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/wire"
)

// TestReplayRebuildsState: a second engine fed the first one's recorded
// outcomes and events ends in the same state, and plans nobody twice.
func TestReplayRebuildsState(t *testing.T) {
	cfg, cs := testWorld(t, strings.Replace(oneAccount, "min_gap: 1m", "min_gap: 10s", 1), blankCampaign)
	newEngine := func() *Engine {
		e, err := New(Options{Config: cfg, Campaigns: cs, Sources: map[string]Source{"c": &Synthetic{Prefix: "p", N: 200}}, Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	type rec struct {
		t  wire.Task
		o  wire.Outcome
		ev *wire.Event
	}
	var log []rec
	a := newEngine()
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	for i := 0; i < 20; i++ { // 20 minutes of ticks
		for _, tk := range a.Plan(now) {
			o := wire.Outcome{Kind: wire.Delivered, At: tk.At}
			if err := a.Done(tk, o); err != nil {
				t.Fatal(err)
			}
			log = append(log, rec{t: tk, o: o})
			if len(log)%3 == 0 { // every third accepts
				ev := wire.Event{Type: platform.EventAccepted, Account: tk.Account, Person: tk.Person, Key: tk.Key, At: tk.At.Add(time.Second)}
				if err := a.Observe(ev); err != nil {
					t.Fatal(err)
				}
				log = append(log, rec{ev: &ev})
			}
		}
		now = now.Add(time.Minute)
	}
	if len(log) < 50 {
		t.Fatalf("only %d records: the test exercises nothing", len(log))
	}

	b := newEngine()
	for _, r := range log {
		if r.ev != nil {
			if err := b.Observe(*r.ev); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := b.Replay(r.t, r.o); err != nil {
			t.Fatal(err)
		}
	}
	for i := range a.camps[0].ps {
		if sa, sb := a.camps[0].ps[i].state, b.camps[0].ps[i].state; sa != sb {
			t.Errorf("prospect %d: %s after running, %s after replay", i, sa, sb)
		}
	}
	sa, _ := a.Account("alice")
	sb, _ := b.Account("alice")
	if sa.Pending != sb.Pending || sa.Connections != sb.Connections {
		t.Errorf("account after running %+v, after replay %+v", sa, sb)
	}
	// The replayed engine goes on from where the first stopped: the next
	// invitations are to people nobody invited yet, and keep the gap.
	invited := map[string]bool{}
	var last time.Time
	for _, r := range log {
		if r.ev == nil {
			invited[r.t.Person] = true
			last = r.t.At
		}
	}
	for _, tk := range b.Plan(now) {
		if invited[tk.Person] {
			t.Errorf("replayed engine plans %s again", tk.Person)
		}
		if tk.At.Sub(last) < 10*time.Second {
			t.Errorf("replayed engine plans %v after the last send at %v: closer than the gap", tk.At, last)
		}
		last = tk.At
	}
}

// TestDoneIsIdempotent: an outcome recorded twice changes nothing the
// second time (and never panics on an impossible transition).
func TestDoneIsIdempotent(t *testing.T) {
	cfg, cs := testWorld(t, oneAccount, blankCampaign)
	e, err := New(Options{Config: cfg, Campaigns: cs, Sources: map[string]Source{"c": &Synthetic{Prefix: "p", N: 10}}})
	if err != nil {
		t.Fatal(err)
	}
	tasks := e.Plan(time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	if len(tasks) == 0 {
		t.Fatal("nothing planned")
	}
	tk := tasks[0]
	o := wire.Outcome{Kind: wire.Delivered, At: tk.At}
	for i := 0; i < 3; i++ {
		if err := e.Done(tk, o); err != nil {
			t.Fatal(err)
		}
		if err := e.Replay(tk, o); err != nil {
			t.Fatal(err)
		}
	}
	if st, _ := e.Account("alice"); st.Pending != 1 {
		t.Fatalf("pending %d after one invitation recorded six times", st.Pending)
	}
}

// removedSource marks some of a Synthetic list as removed from the file.
type removedSource struct {
	*Synthetic
	removed map[int]bool
}

func (r removedSource) Skip(i int) string {
	if r.removed[i] {
		return lifecycle.SkipRemoved
	}
	return ""
}

// TestCancelRemoved: prospects removed from the file are never invited;
// one already invited keeps its pending invitation.
func TestCancelRemoved(t *testing.T) {
	cfg, cs := testWorld(t, oneAccount, blankCampaign)
	src := removedSource{&Synthetic{Prefix: "p", N: 10}, map[int]bool{0: true, 5: true}}
	e, err := New(Options{Config: cfg, Campaigns: cs, Sources: map[string]Source{"c": src}})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	// p0 was invited before it was removed: the ledger says so.
	if err := e.Replay(wire.Task{Kind: wire.KindInvite, At: now.Add(-time.Hour), Account: "alice", Campaign: "c", Person: "p0", Key: "c/x/connect", Variant: "blank"},
		wire.Outcome{Kind: wire.Delivered, At: now.Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	e.CancelRemoved(now)
	for i := 0; i < 30; i++ {
		for _, tk := range e.Plan(now) {
			if tk.Person == "p0" || tk.Person == "p5" {
				t.Errorf("planned %s for %s, removed from the file", tk.Kind, tk.Person)
			}
			e.Done(tk, wire.Outcome{Kind: wire.Delivered, At: tk.At})
		}
		now = now.Add(time.Minute)
	}
	if st := e.camps[0].ps[0].state; st != lifecycle.StateInvited {
		t.Errorf("the removed but invited prospect is %s, want still invited", st)
	}
	if st := e.camps[0].ps[5].state; st != lifecycle.StateSkipped {
		t.Errorf("the removed prospect is %s, want skipped", st)
	}
}

// TestAbandonStuckTasks: tasks whose outcome never comes are listed by
// Outstanding; abandoning an invitation fails its prospect (the action may
// have happened) and it is never planned again.
func TestAbandonStuckTasks(t *testing.T) {
	cfg, cs := testWorld(t, oneAccount, blankCampaign)
	e, err := New(Options{Config: cfg, Campaigns: cs, Sources: map[string]Source{"c": &Synthetic{Prefix: "p", N: 5}}})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	planned := e.Plan(now)
	if len(planned) == 0 {
		t.Fatal("nothing planned")
	}
	first := planned[0]
	for _, tk := range planned[1:] {
		e.Done(tk, wire.Outcome{Kind: wire.Delivered, At: tk.At})
	}
	stuck := e.Outstanding(now.Add(time.Hour))
	if len(stuck) != 1 || stuck[0].Key != first.Key {
		t.Fatalf("outstanding %v, want only %s", stuck, first.Key)
	}
	if err := e.Abandon(first, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if len(e.Outstanding(now.Add(2*time.Hour))) != 0 {
		t.Fatal("an abandoned task is still outstanding")
	}
	if st := e.camps[0].ps[mustRef(t, e, first).Index].state; st != lifecycle.StateFailed {
		t.Fatalf("abandoned prospect is %s, want failed", st)
	}
	for i := 0; i < 60; i++ {
		now = now.Add(time.Minute)
		for _, tk := range e.Plan(now) {
			if tk.Person == first.Person {
				t.Fatalf("the abandoned prospect was planned again")
			}
			e.Done(tk, wire.Outcome{Kind: wire.Delivered, At: tk.At})
		}
	}
}

// TestExpiryIsATask: an invitation that reaches expire_after unreported
// (withdraw_after later) is expired through a KindExpire task, not on the
// spot: the expiry happens when its outcome is applied (Done, or Replay
// after a restart), once, however often that outcome is repeated, and an
// engine rebuilt from the outcomes neither expires it again nor asks for a
// second expire task.
func TestExpiryIsATask(t *testing.T) {
	cfgYAML := strings.Replace(oneAccount, "  min_gap: 1m\n", "  min_gap: 1m\n  withdraw_after: 2h\n  expire_after: 1h\n", 1)
	cfg, cs := testWorld(t, cfgYAML, blankCampaign)
	var expired int
	newEngine := func() *Engine {
		e, err := New(Options{Config: cfg, Campaigns: cs, Sources: map[string]Source{"c": &Synthetic{Prefix: "p", N: 1}}, Seed: 1,
			OnEvent: func(ev Event) {
				if ev.Type == lifecycle.EvExpired {
					expired++
				}
			}})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	a := newEngine()
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	var log [][2]any
	var exp *wire.Task
	for i := 0; i < 120 && exp == nil; i++ { // two hours of ticks
		for _, tk := range a.Plan(now) {
			if tk.Kind == wire.KindExpire {
				exp = &tk
				continue
			}
			o := wire.Outcome{Kind: wire.Delivered, At: tk.At}
			if err := a.Done(tk, o); err != nil {
				t.Fatal(err)
			}
			log = append(log, [2]any{tk, o})
		}
		now = now.Add(time.Minute)
	}
	if exp == nil || expired != 0 {
		t.Fatalf("expire task %v, %d expired before it is done: want a task and none", exp, expired)
	}
	if inv := log[0][0].(wire.Task); exp.Person != inv.Person || !exp.At.Equal(inv.At.Add(time.Hour)) {
		t.Fatalf("expire task %+v for the invitation %+v", *exp, inv)
	}
	o := wire.Outcome{Kind: wire.Delivered, At: exp.At.Add(time.Minute)}
	for range 2 { // at-least-once: the second is a repeat
		if err := a.Done(*exp, o); err != nil {
			t.Fatal(err)
		}
	}
	log = append(log, [2]any{*exp, o})
	if expired != 1 {
		t.Fatalf("%d expiries, want 1", expired)
	}
	if ts := a.Plan(now.Add(3 * time.Hour)); len(ts) != 0 {
		t.Errorf("after the expiry: %v", ts)
	}

	expired = 0
	b := newEngine()
	for _, r := range log {
		if err := b.Replay(r[0].(wire.Task), r[1].(wire.Outcome)); err != nil {
			t.Fatal(err)
		}
	}
	if ts := b.Plan(now.Add(3 * time.Hour)); expired != 1 || len(ts) != 0 {
		t.Errorf("rebuilt: %d expiries (want 1), tasks %v", expired, ts)
	}
}

// mustRef finds the prospect a task names, by identity.
func mustRef(t *testing.T, e *Engine, tk wire.Task) Ref {
	t.Helper()
	ref, ok := e.lookup(tk.Campaign, tk.Person)
	if !ok {
		t.Fatalf("task %s names no prospect of the engine", tk.Key)
	}
	return ref
}
