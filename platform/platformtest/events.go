package platformtest

import (
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/platform"
)

var eventChecks = []check{
	{"Accepted", func(t *testing.T, s suite) {
		opt := baseOptions()
		opt.AcceptRate = 1
		f := s.start(t, opt)
		sent := map[string]time.Time{"k-ann": f.at(0), "k-dan": f.at(10 * time.Minute)}
		wantOK(t, f.invite("k-ann", "ann", "Hi Ann", sent["k-ann"]), "the invitation to ann")
		wantOK(t, f.invite("k-dan", "dan", "", sent["k-dan"]), "the invitation to dan")
		f.at(answerAfter - time.Minute)
		if evs := f.h.Events(); len(evs) != 0 {
			t.Fatalf("events before any answer is due: %+v", evs)
		}
		f.at(answerWithin + 10*time.Minute)
		evs := f.h.Events()
		wantAnswers(t, evs, platform.EventAccepted, map[string]string{"k-ann": "ann", "k-dan": "dan"}, sent)
		f.at(answerWithin + time.Hour)
		if again := f.h.Events(); len(again) != len(evs) {
			t.Errorf("events after the clock moved on: %+v, want the same %d", again, len(evs))
		}
		wantRefused(t, f.invite("k-ann-2", "ann", "", f.now), platform.CodeAlreadyConnected, "inviting a new connection")
	}},
	{"Declined", func(t *testing.T, s suite) {
		opt := baseOptions()
		opt.DeclineRate = 1
		f := s.start(t, opt)
		wantOK(t, f.invite("k-ann", "ann", "", t0), "the invitation")
		f.at(answerWithin)
		wantAnswers(t, f.h.Events(), platform.EventDeclined, map[string]string{"k-ann": "ann"}, map[string]time.Time{"k-ann": t0})
		wantRefused(t, f.invite("k-ann-2", "ann", "", f.now), platform.CodeDeclined, "inviting someone who declined")
		wantRefused(t, f.p.Message(f.ctx, platform.Message{Action: action("m-ann", "alice", "ann", f.now), Text: "Hi"}),
			platform.CodeNotConnected, "a message to someone who declined")
	}},
	{"Ignored", func(t *testing.T, s suite) {
		f := s.start(t, baseOptions())
		wantOK(t, f.invite("k-ann", "ann", "", t0), "the invitation")
		f.at(7 * 24 * time.Hour)
		if evs := f.h.Events(); len(evs) != 0 {
			t.Errorf("events of an ignored invitation: %+v, want none", evs)
		}
		wantRefused(t, f.invite("k-ann-2", "ann", "", f.now), platform.CodeDuplicate, "inviting again while ignored (pending)")
	}},
}

// wantAnswers fails the test unless evs holds exactly one event of typ for
// each key (with its person, from alice), dated within the answer delays
// of its invitation, in time order.
func wantAnswers(t *testing.T, evs []platform.Event, typ platform.EventType, persons map[string]string, sent map[string]time.Time) {
	t.Helper()
	if len(evs) != len(persons) {
		t.Fatalf("events %+v, want %d %s", evs, len(persons), typ)
	}
	for i, e := range evs {
		person, ok := persons[e.Key]
		switch {
		case !ok:
			t.Errorf("event %+v: unknown key", e)
			continue
		case len(eventsOf(evs, e.Key)) != 1:
			t.Errorf("key %s answered %d times", e.Key, len(eventsOf(evs, e.Key)))
		case e.Type != typ || e.Account != "alice" || e.Person != person:
			t.Errorf("event %+v, want %s of alice's invitation to %s", e, typ, person)
		}
		if lo, hi := sent[e.Key].Add(answerAfter), sent[e.Key].Add(answerWithin); e.At.Before(lo) || e.At.After(hi) {
			t.Errorf("event %+v dated %v, want within [%v, %v]", e, e.At, lo, hi)
		}
		if i > 0 && e.At.Before(evs[i-1].At) {
			t.Errorf("event %d at %v before event %d at %v", i, e.At, i-1, evs[i-1].At)
		}
	}
}
