package lifecycle

import (
	"errors"
	"testing"
)

func TestLifecycleHappyPaths(t *testing.T) {
	paths := [][]Event{
		{EvFollowed, EvInvited, EvAccepted, EvMessaged, EvDone},
		{EvInvited, EvDeclined},
		{EvInvited, EvWithdrawn},
		{EvInvited, EvExpired},
		{EvSkipped},
		{EvFollowed, EvSkipped},
		{EvInvited, EvAccepted, EvDone},
	}
	want := []State{StateMessaged, StateDeclined, StateWithdrawn, StateExpired, StateSkipped, StateSkipped, StateMessaged}
	for i, p := range paths {
		s := StateQueued
		for _, ev := range p {
			next, err := Next(s, ev)
			if err != nil {
				t.Fatalf("path %d: %v", i, err)
			}
			s = next
		}
		if s != want[i] || !s.Terminal() {
			t.Errorf("path %d ends in %s, want terminal %s", i, s, want[i])
		}
	}
}

func TestLifecycleRefusesImpossibleEvents(t *testing.T) {
	cases := []struct {
		from State
		ev   Event
	}{
		{StateWithdrawn, EvAccepted}, // a late acceptance never resurrects a withdrawn invitation
		{StateDeclined, EvInvited},   // never re-invite a decliner
		{StateQueued, EvAccepted},
		{StateInvited, EvInvited}, // no second invitation while pending
		{StateMessaged, EvMessaged},
		{StateSkipped, EvInvited},
	}
	for _, c := range cases {
		got, err := Next(c.from, c.ev)
		var te *ErrTransition
		if !errors.As(err, &te) || got != c.from {
			t.Errorf("Next(%s, %s) = %s, %v; want an ErrTransition and no move", c.from, c.ev, got, err)
		}
	}
}

func TestStateNames(t *testing.T) {
	for s := StateQueued; s <= StateReplied; s++ {
		back, ok := ParseState(s.String())
		if !ok || back != s {
			t.Errorf("ParseState(%q) = %v, %v", s.String(), back, ok)
		}
	}
	if _, ok := ParseState("nope"); ok {
		t.Error("ParseState accepted an unknown name")
	}
}

// TestRetryReopensFailed: an operator's retry puts a failed prospect back
// in the queue, and only a failed one.
func TestRetryReopensFailed(t *testing.T) {
	s, err := Next(StateQueued, EvFailed)
	if err != nil || s != StateFailed {
		t.Fatalf("queued, failed: %s %v", s, err)
	}
	if s, err = Next(s, EvRetried); err != nil || s != StateQueued {
		t.Fatalf("failed, retried: %s %v, want queued", s, err)
	}
	for _, from := range []State{StateQueued, StateFollowed, StateInvited, StateAccepted, StateMessaged, StateDeclined, StateWithdrawn, StateExpired, StateSkipped, StateReplied} {
		if got, err := Next(from, EvRetried); err == nil || got != from {
			t.Errorf("Next(%s, retried) = %s, %v; want refused", from, got, err)
		}
	}
	if EvRetried.String() != "retried" {
		t.Errorf("EvRetried = %q", EvRetried.String())
	}
}

// TestReplyEndsTheSequence: a reply moves an accepted prospect, or one
// that got every message, to replied, where nothing more happens; a reply
// in any other state is refused (no connection to answer on, or final).
func TestReplyEndsTheSequence(t *testing.T) {
	for _, from := range []State{StateAccepted, StateMessaged} {
		s, err := Next(from, EvReplied)
		if err != nil || s != StateReplied || !s.Terminal() {
			t.Errorf("Next(%s, replied) = %s, %v; want the terminal replied", from, s, err)
		}
	}
	for _, from := range []State{StateQueued, StateFollowed, StateInvited, StateDeclined, StateWithdrawn, StateExpired, StateSkipped, StateFailed, StateReplied} {
		if got, err := Next(from, EvReplied); err == nil || got != from {
			t.Errorf("Next(%s, replied) = %s, %v; want refused", from, got, err)
		}
	}
	for _, ev := range []Event{EvMessaged, EvDone, EvMessageSkipped, EvFailed, EvRetried} {
		if got, err := Next(StateReplied, ev); err == nil || got != StateReplied {
			t.Errorf("Next(replied, %s) = %s, %v; want refused", ev, got, err)
		}
	}
	var c Counts
	c.Add(EvReplied)
	if c.Replied != 1 || EvReplied.String() != "replied" || StateReplied.String() != "replied" {
		t.Errorf("counts %+v, names %q %q", c, EvReplied, StateReplied)
	}
}
