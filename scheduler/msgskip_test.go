package scheduler

import (
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/lifecycle"
	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/wire"
)

// skipWorld is a campaign of two messages: the first needs company, the
// second has a variant that needs company and one that does not. p0 has
// both fields, p1 no company, p2 neither field.
func skipWorld(t *testing.T) (*Engine, *[]Event, *campaigns.Campaign) {
	t.Helper()
	cfg, cs := testWorld(t, oneAccount, `
name: c
accounts: [alice]
prospects: {csv: none.csv}
steps:
  - connect: {}
  - message:
      wait: 1h
      text: "How is {{.company}}?"
  - message:
      wait: 1h
      variants:
        - {name: both, text: "{{.first_name}}, say hi to {{.company}}"}
        - {name: name, text: "Thanks {{.first_name}}"}
`)
	src := &MemSource{header: []string{"first_name", "company"}}
	src.add("p0", "", "", map[string]string{"first_name": "Ann", "company": "Acme"})
	src.add("p1", "", "", map[string]string{"first_name": "Bo"})
	src.add("p2", "", "", map[string]string{"first_name": " "})
	var evs []Event
	e, err := New(Options{Config: cfg, Campaigns: cs, Sources: map[string]Source{"c": src}, Seed: 1,
		OnEvent: func(ev Event) { evs = append(evs, ev) }})
	if err != nil {
		t.Fatal(err)
	}
	return e, &evs, cs[0]
}

// TestMessageSkippedWhenItDoesNotRender: a prospect for whom a message
// does not render skips it (event message_skipped, reason missing_field)
// and gets the next one, its variant chosen by fallback; one for whom no
// message renders ends the sequence with nothing sent. Nobody fails.
func TestMessageSkippedWhenItDoesNotRender(t *testing.T) {
	e, evs, _ := skipWorld(t)
	// Each invitation is accepted a minute after it is sent.
	sent := map[string][]wire.Task{}
	start := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	for now := start; now.Before(start.Add(8 * time.Hour)); now = now.Add(time.Minute) {
		for _, tk := range e.Plan(now) {
			if err := e.Done(tk, wire.Outcome{Kind: wire.Delivered, At: tk.At}); err != nil {
				t.Fatal(err)
			}
			switch tk.Kind {
			case wire.KindInvite:
				if err := e.Observe(wire.Event{Type: platform.EventAccepted, Account: "alice", Person: tk.Person, Key: tk.Key, At: tk.At.Add(time.Minute)}); err != nil {
					t.Fatal(err)
				}
			case wire.KindMessage:
				sent[tk.Person] = append(sent[tk.Person], tk)
			default:
				t.Fatalf("planned %+v", tk)
			}
		}
	}
	want := map[string][]string{
		"p0": {"How is Acme?", "Ann, say hi to Acme"},
		"p1": {"Thanks Bo"},
		"p2": nil,
	}
	for person, texts := range want {
		got := sent[person]
		if len(got) != len(texts) {
			t.Errorf("%s: sent %+v, want %q", person, got, texts)
			continue
		}
		for i, tk := range got {
			if tk.Text != texts[i] {
				t.Errorf("%s message %d: %q, want %q", person, i, tk.Text, texts[i])
			}
		}
		if st, _ := e.State("c", person); st != lifecycle.StateMessaged {
			t.Errorf("%s: state %s, want messaged", person, st)
		}
	}
	if got := sent["p1"]; len(got) == 1 && got[0].Step != 1 {
		t.Errorf("p1's message is step %d, want 1", got[0].Step)
	}
	skips := map[string]int{}
	for _, ev := range *evs {
		switch ev.Type {
		case lifecycle.EvMessageSkipped:
			if ev.Reason != campaigns.MessageSkipMissingField || ev.Account != "alice" {
				t.Errorf("skip event %+v", ev)
			}
			skips[ev.Person]++
		case lifecycle.EvFailed:
			t.Errorf("a prospect failed: %+v", ev)
		}
	}
	if skips["p0"] != 0 || skips["p1"] != 1 || skips["p2"] != 2 {
		t.Errorf("skip events by person: %v, want p1 1, p2 2", skips)
	}
}

// TestReplayAfterSkippedMessage: an engine rebuilt from the ledger, which
// holds the second message of a prospect that skipped the first, knows
// the sequence is done: it applies the message by its step, and plans
// nothing more.
func TestReplayAfterSkippedMessage(t *testing.T) {
	e, _, _ := skipWorld(t)
	at := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	inv := wire.Task{Kind: wire.KindInvite, At: at, Account: "alice", Campaign: "c", Person: "p1", Key: "inv-p1", Variant: "blank"}
	if err := e.Replay(inv, wire.Outcome{Kind: wire.Delivered, At: at}); err != nil {
		t.Fatal(err)
	}
	if err := e.Observe(wire.Event{Type: platform.EventAccepted, Account: "alice", Person: "p1", Key: "inv-p1", At: at.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	msg := wire.Task{Kind: wire.KindMessage, At: at.Add(2 * time.Hour), Account: "alice", Campaign: "c", Person: "p1", Key: "msg1-p1", Step: 1, Text: "Thanks Bo"}
	if err := e.Replay(msg, wire.Outcome{Kind: wire.Delivered, At: msg.At}); err != nil {
		t.Fatal(err)
	}
	if st, _ := e.State("c", "p1"); st != lifecycle.StateMessaged {
		t.Errorf("p1: state %s after its last message was replayed, want messaged", st)
	}
	for now := at.Add(2 * time.Hour); now.Before(at.Add(8 * time.Hour)); now = now.Add(time.Minute) {
		for _, tk := range e.Plan(now) {
			if tk.Person == "p1" {
				t.Fatalf("planned %+v for p1, whose messages are done", tk)
			}
		}
	}
}
