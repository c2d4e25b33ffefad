package scheduler

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/lifecycle"
	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/wire"
)

const replyCampaign = `
name: c
accounts: [alice]
prospects: {csv: none.csv}
steps:
  - connect: {}
  - message:
      wait: 1h
      text: "Thanks for connecting"
  - message:
      wait: 1d
      text: "How are things?"
  - message:
      wait: 1d
      text: "One last note"
`

var replyStart = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

// replyWorld is one account, one campaign of three messages, three people.
func replyWorld(t *testing.T) (*Engine, *[]Event) {
	return replyWorldOf(t, 3)
}

func replyWorldOf(t *testing.T, n int) (*Engine, *[]Event) {
	t.Helper()
	cfg, cs := testWorld(t, oneAccount, replyCampaign)
	var evs []Event
	e, err := New(Options{Config: cfg, Campaigns: cs, Sources: map[string]Source{"c": &Synthetic{Prefix: "p", N: n}}, Seed: 1,
		OnEvent: func(ev Event) { evs = append(evs, ev) }})
	if err != nil {
		t.Fatal(err)
	}
	return e, &evs
}

// replyRun plans every minute from now to until and delivers each task
// at its time (invitations accepted a minute later), except the messages
// hold keeps: those are returned, planned and without an outcome, as
// tasks still in the queue would be.
func replyRun(t *testing.T, e *Engine, now, until time.Time, hold func(wire.Task) bool) (sent, held []wire.Task) {
	t.Helper()
	for ; now.Before(until); now = now.Add(time.Minute) {
		for _, tk := range e.Plan(now) {
			if tk.Kind == wire.KindMessage && hold != nil && hold(tk) {
				held = append(held, tk)
				continue
			}
			if err := e.Done(tk, wire.Outcome{Kind: wire.Delivered, At: tk.At}); err != nil {
				t.Fatal(err)
			}
			sent = append(sent, tk)
			if tk.Kind == wire.KindInvite {
				if err := e.Observe(wire.Event{Type: platform.EventAccepted, Account: "alice", Person: tk.Person, Key: tk.Key, At: tk.At.Add(time.Minute)}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	return sent, held
}

func replied(person, key string, at time.Time) wire.Event {
	return wire.Event{Type: platform.EventReplied, Account: "alice", Person: person, Key: key, At: at}
}

func messagesTo(ts []wire.Task, person string) []int {
	var steps []int
	for _, tk := range ts {
		if tk.Kind == wire.KindMessage && tk.Person == person {
			steps = append(steps, tk.Step)
		}
	}
	return steps
}

// TestReplyStopsTheMessages: a prospect who replies after the first
// message gets no later one; the others get all three. The reply is a
// lifecycle event, the prospect ends replied, the counts say so.
func TestReplyStopsTheMessages(t *testing.T) {
	e, evs := replyWorld(t)
	sent, _ := replyRun(t, e, replyStart, replyStart.Add(3*time.Hour), nil)
	if got := messagesTo(sent, "p0"); !slices.Equal(got, []int{0}) {
		t.Fatalf("p0 got message steps %v before the reply, want [0]", got)
	}
	if reason := e.ReplySkip(replied("p0", "k", replyStart.Add(3*time.Hour))); reason != "" {
		t.Fatalf("ReplySkip of an accepted prospect = %q, want it applied", reason)
	}
	if err := e.Observe(replied("p0", "k", replyStart.Add(3*time.Hour))); err != nil {
		t.Fatal(err)
	}
	if st, _ := e.State("c", "p0"); st != lifecycle.StateReplied {
		t.Fatalf("p0 is %s after its reply, want replied", st)
	}
	more, _ := replyRun(t, e, replyStart.Add(3*time.Hour), replyStart.Add(5*24*time.Hour), nil)
	sent = append(sent, more...)
	if got := messagesTo(sent, "p0"); !slices.Equal(got, []int{0}) {
		t.Errorf("p0 got message steps %v, want only [0]: nothing after a reply", got)
	}
	for _, p := range []string{"p1", "p2"} {
		if got := messagesTo(sent, p); !slices.Equal(got, []int{0, 1, 2}) {
			t.Errorf("%s got message steps %v, want [0 1 2]", p, got)
		}
	}
	n := 0
	for _, ev := range *evs {
		if ev.Type == lifecycle.EvReplied {
			n++
			if ev.Person != "p0" || ev.Account != "alice" || ev.Campaign != "c" || !ev.T.Equal(replyStart.Add(3*time.Hour)) {
				t.Errorf("replied event %+v", ev)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d replied events, want 1", n)
	}
	counts, byAcct := e.Counts("c")
	if counts.Replied != 1 || counts.Accepted != 3 || counts.Messaged != 7 || byAcct["alice"].Replied != 1 {
		t.Errorf("counts %+v (alice %+v), want 1 replied, 3 accepted, 7 messages", counts, byAcct["alice"])
	}
}

// TestReplyCancelsTheQueuedMessage: a reply that comes while the next
// message is planned (in the queue) hands its key to Cancelled, exactly
// once; the engine awaits no outcome for it and plans nothing more.
func TestReplyCancelsTheQueuedMessage(t *testing.T) {
	e, _ := replyWorld(t)
	hold := func(tk wire.Task) bool { return tk.Person == "p0" && tk.Step == 1 }
	_, held := replyRun(t, e, replyStart, replyStart.Add(26*time.Hour), hold)
	if len(held) != 1 {
		t.Fatalf("held %v, want p0's second message planned", held)
	}
	if keys := e.Cancelled(); len(keys) != 0 {
		t.Fatalf("Cancelled before any reply = %v", keys)
	}
	if err := e.Observe(replied("p0", "k", replyStart.Add(26*time.Hour))); err != nil {
		t.Fatal(err)
	}
	if keys := e.Cancelled(); !slices.Equal(keys, []string{held[0].Key}) {
		t.Fatalf("Cancelled = %v, want the queued message's key %q", keys, held[0].Key)
	}
	if keys := e.Cancelled(); len(keys) != 0 {
		t.Errorf("Cancelled a second time = %v, want nothing", keys)
	}
	for _, tk := range e.Outstanding(replyStart.Add(30 * 24 * time.Hour)) {
		if tk.Key == held[0].Key {
			t.Errorf("the cancelled message is still outstanding: %+v", tk)
		}
	}
	more, _ := replyRun(t, e, replyStart.Add(26*time.Hour), replyStart.Add(5*24*time.Hour), nil)
	if got := messagesTo(more, "p0"); len(got) != 0 {
		t.Errorf("p0 got message steps %v after the reply", got)
	}
}

// TestReplyWhileAMessageIsInFlight: the queue could not cancel the
// message (a worker was sending it): its outcome is recorded as it is (a
// message sent, counted), the prospect stays replied, nothing follows;
// the same outcome again is a repeat.
func TestReplyWhileAMessageIsInFlight(t *testing.T) {
	e, evs := replyWorld(t)
	hold := func(tk wire.Task) bool { return tk.Person == "p0" && tk.Step == 1 }
	_, held := replyRun(t, e, replyStart, replyStart.Add(26*time.Hour), hold)
	if len(held) != 1 {
		t.Fatalf("held %v", held)
	}
	if err := e.Observe(replied("p0", "k", held[0].At.Add(-time.Second))); err != nil {
		t.Fatal(err)
	}
	e.Cancelled()
	before := len(*evs)
	for range 2 {
		if err := e.Done(held[0], wire.Outcome{Kind: wire.Delivered, At: held[0].At}); err != nil {
			t.Fatal(err)
		}
	}
	var messaged int
	for _, ev := range (*evs)[before:] {
		if ev.Type == lifecycle.EvMessaged && ev.Person == "p0" {
			messaged++
		} else {
			t.Errorf("unexpected event %+v", ev)
		}
	}
	if messaged != 1 {
		t.Errorf("%d messaged events for the in-flight message, want 1 (recorded once)", messaged)
	}
	if st, _ := e.State("c", "p0"); st != lifecycle.StateReplied {
		t.Errorf("p0 is %s, want replied", st)
	}
	// A failure of it (abandoned, refused) changes nothing either.
	if err := e.Abandon(held[0], held[0].At.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if st, _ := e.State("c", "p0"); st != lifecycle.StateReplied {
		t.Errorf("p0 is %s after an abandoned message, want replied", st)
	}
	more, _ := replyRun(t, e, replyStart.Add(26*time.Hour), replyStart.Add(5*24*time.Hour), nil)
	if got := messagesTo(more, "p0"); len(got) != 0 {
		t.Errorf("p0 got message steps %v after the in-flight one", got)
	}
	if c, _ := e.Counts("c"); c.Messaged != 2+3+3 {
		t.Errorf("messages counted %d, want 8 (p0's two, three each for p1 and p2)", c.Messaged)
	}
}

// TestReplyBadInput: a reply for someone who is not in conversation with
// the account, or whose campaign is over, changes nothing, is no error,
// and ReplySkip names why.
func TestReplyBadInput(t *testing.T) {
	e, evs := replyWorldOf(t, 20)
	at := replyStart.Add(2 * time.Minute)
	// p0 is invited and accepted by then, p19 still queued.
	replyRun(t, e, replyStart, at, nil)
	if st, _ := e.State("c", "p0"); st != lifecycle.StateAccepted {
		t.Fatalf("p0 is %s, want accepted", st)
	}
	cases := []struct {
		ev   wire.Event
		want string
	}{
		{replied("nobody", "k", at), lifecycle.ReplyUnknownProspect},
		{replied("p19", "k", at), lifecycle.ReplyUnknownProspect}, // queued: not connected
		{wire.Event{Type: platform.EventReplied, Account: "ghost", Person: "p0", Key: "k", At: at}, lifecycle.ReplyUnknownProspect},
	}
	for _, tc := range cases {
		if got := e.ReplySkip(tc.ev); got != tc.want {
			t.Errorf("ReplySkip(%s by %s) = %q, want %q", tc.ev.Person, tc.ev.Account, got, tc.want)
		}
	}
	for _, tc := range cases[:2] {
		if err := e.Observe(tc.ev); err != nil {
			t.Errorf("Observe(%s): %v, want ignored", tc.ev.Person, err)
		}
	}
	if err := e.Observe(replied("p0", "k", at)); err != nil {
		t.Fatal(err)
	}
	e.Cancelled()
	n := len(*evs)
	if got := e.ReplySkip(replied("p0", "k2", at.Add(time.Hour))); got != lifecycle.ReplyFinal {
		t.Errorf("ReplySkip of a second reply = %q, want %q", got, lifecycle.ReplyFinal)
	}
	if err := e.Observe(replied("p0", "k2", at.Add(time.Hour))); err != nil {
		t.Errorf("a second reply: %v, want ignored", err)
	}
	if len(*evs) != n || len(e.Cancelled()) != 0 {
		t.Errorf("a second reply emitted %v and cancelled something", (*evs)[n:])
	}
	if st, _ := e.State("c", "p19"); st != lifecycle.StateQueued {
		t.Errorf("p19 is %s after a reply it could not send, want queued", st)
	}
	if !slices.Equal(lifecycle.ReplySkipReasons, []string{lifecycle.ReplyUnknownProspect, lifecycle.ReplyFinal}) {
		t.Errorf("lifecycle.ReplySkipReasons = %v", lifecycle.ReplySkipReasons)
	}
}

// TestReplyAfterTheLastMessage: a prospect who got every message and then
// replies is replied (the reply the reply rate counts); nothing to cancel.
func TestReplyAfterTheLastMessage(t *testing.T) {
	e, _ := replyWorld(t)
	replyRun(t, e, replyStart, replyStart.Add(4*24*time.Hour), nil)
	if st, _ := e.State("c", "p0"); st != lifecycle.StateMessaged {
		t.Fatalf("p0 is %s, want messaged", st)
	}
	if err := e.Observe(replied("p0", "k", replyStart.Add(4*24*time.Hour))); err != nil {
		t.Fatal(err)
	}
	if st, _ := e.State("c", "p0"); st != lifecycle.StateReplied {
		t.Errorf("p0 is %s, want replied", st)
	}
	if keys := e.Cancelled(); len(keys) != 0 {
		t.Errorf("Cancelled = %v, want nothing (no step left)", keys)
	}
}

// TestReplyReplayedCancelsByIdentity: an engine rebuilt from a ledger that
// holds a reply hands over the key of the step an earlier leader may have
// queued, and plans nothing more for the prospect.
func TestReplyReplayedCancelsByIdentity(t *testing.T) {
	live, _ := replyWorld(t)
	hold := func(tk wire.Task) bool { return tk.Person == "p0" && tk.Step == 1 }
	var ledger []wire.Entry
	for now := replyStart; now.Before(replyStart.Add(26 * time.Hour)); now = now.Add(time.Minute) {
		for _, tk := range live.Plan(now) {
			if hold(tk) {
				continue // queued by this leader, which then dies
			}
			o := wire.Outcome{Kind: wire.Delivered, At: tk.At}
			if err := live.Done(tk, o); err != nil {
				t.Fatal(err)
			}
			ledger = append(ledger, wire.Entry{Task: &tk, Outcome: &o})
			if tk.Kind == wire.KindInvite {
				ev := wire.Event{Type: platform.EventAccepted, Account: "alice", Person: tk.Person, Key: tk.Key, At: tk.At.Add(time.Minute)}
				if err := live.Observe(ev); err != nil {
					t.Fatal(err)
				}
				ledger = append(ledger, wire.Entry{Event: &ev})
			}
		}
	}
	rep := replied("p0", "k", replyStart.Add(26*time.Hour))
	ledger = append(ledger, wire.Entry{Event: &rep})

	rebuilt, _ := replyWorld(t)
	replayAll(t, rebuilt, ledger)
	want := rebuilt.key(rebuilt.camps[0], "p0", "message1", 0)
	if keys := rebuilt.Cancelled(); !slices.Equal(keys, []string{want}) {
		t.Fatalf("Cancelled after the rebuild = %v, want [%s]", keys, want)
	}
	more, _ := replyRun(t, rebuilt, replyStart.Add(26*time.Hour), replyStart.Add(5*24*time.Hour), nil)
	if got := messagesTo(more, "p0"); len(got) != 0 {
		t.Errorf("the rebuilt engine sent p0 message steps %v after the reply", got)
	}
}

// TestSnapshotKeepsReplied: a snapshot of an engine with a replied
// prospect is version 3 and restores it replied (counts, no message
// planned); one without is still written as version 2.
func TestSnapshotKeepsReplied(t *testing.T) {
	e, _ := replyWorld(t)
	replyRun(t, e, replyStart, replyStart.Add(3*time.Hour), nil)
	var before bytes.Buffer
	if err := e.Snapshot(&before, replyStart.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if v := snapshotVersionOf(t, before.Bytes()); v != 2 {
		t.Errorf("a snapshot without replies is version %d, want 2", v)
	}
	if err := e.Observe(replied("p0", "k", replyStart.Add(3*time.Hour))); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := e.Snapshot(&buf, replyStart.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if v := snapshotVersionOf(t, buf.Bytes()); v != 3 {
		t.Errorf("a snapshot with a replied prospect is version %d, want 3", v)
	}
	if err := e.snapshot(&bytes.Buffer{}, replyStart, 2); err == nil {
		t.Error("a version-2 snapshot of a replied prospect was written")
	}
	restored, _ := replyWorld(t)
	if _, err := restored.Restore(buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	if st, _ := restored.State("c", "p0"); st != lifecycle.StateReplied {
		t.Fatalf("p0 restored %s, want replied", st)
	}
	want, _ := e.Counts("c")
	if got, _ := restored.Counts("c"); got != want {
		t.Errorf("restored counts %+v, want %+v", got, want)
	}
	if got, want := restored.Variants("c", replyStart.Add(3*time.Hour)), e.Variants("c", replyStart.Add(3*time.Hour)); got[0].Sent != want[0].Sent || got[0].Accepted != want[0].Accepted {
		t.Errorf("restored experiment %+v, want %+v", got, want)
	}
	// Snapshotted again, it is still version 3.
	var again bytes.Buffer
	if err := restored.Snapshot(&again, replyStart.Add(3*time.Hour)); err != nil || snapshotVersionOf(t, again.Bytes()) != 3 {
		t.Errorf("the restored engine's snapshot: %v, version %d", err, snapshotVersionOf(t, again.Bytes()))
	}
	more, _ := replyRun(t, restored, replyStart.Add(3*time.Hour), replyStart.Add(5*24*time.Hour), nil)
	if got := messagesTo(more, "p0"); len(got) != 0 {
		t.Errorf("the restored engine sent p0 message steps %v", got)
	}
	// A version-2 snapshot holding the replied state is not what it says.
	bad := reseal(bytes.Replace(slices.Clone(buf.Bytes()), []byte(`{"v":3,`), []byte(`{"v":2,`), 1))
	fresh, _ := replyWorld(t)
	if _, err := fresh.Restore(bad); err == nil {
		t.Error("a version-2 snapshot with a replied prospect restored")
	}
}

// snapshotVersionOf reads a snapshot's header version.
func snapshotVersionOf(t *testing.T, b []byte) int {
	t.Helper()
	r := b[len(snapshotMagic):]
	n, k := binary.Uvarint(r)
	var h snapshotHeader
	if err := json.Unmarshal(r[k:k+int(n)], &h); err != nil {
		t.Fatal(err)
	}
	return h.V
}
