package platformtest

import (
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/platform"
)

var withdrawChecks = []check{
	{"Pending", func(t *testing.T, s suite) {
		opt := baseOptions()
		opt.AcceptRate = 1
		f := s.start(t, opt)
		wantOK(t, f.invite("k-ann", "ann", "", t0), "the invitation")
		at := f.at(answerAfter / 2)
		wantOK(t, f.p.Withdraw(f.ctx, action("w-ann", "alice", "ann", at)), "withdrawing the pending invitation")
		wantRecorded(t, f.h.Record(), "w-ann", 1, Request{Op: OpWithdraw, Account: "alice", Person: "ann", Campaign: campaign, At: at})
		// Its answer never comes.
		f.at(answerWithin + time.Hour)
		if evs := f.h.Events(); len(evs) != 0 {
			t.Errorf("events after the withdrawal: %+v, want none", evs)
		}
	}},
	{"NotPending", func(t *testing.T, s suite) {
		f := s.start(t, baseOptions())
		wantRefused(t, f.p.Withdraw(f.ctx, action("w-ann", "alice", "ann", t0)), platform.CodeNotPending, "withdrawing an invitation never sent")
		wantRecorded(t, f.h.Record(), "w-ann", 1, Request{Op: OpWithdraw, Account: "alice", Person: "ann", Campaign: campaign,
			At: t0, Refused: platform.CodeNotPending})
		wantOK(t, f.invite("k-dan", "dan", "", t0), "an invitation to dan")
		wantRefused(t, f.p.Withdraw(f.ctx, action("w-dan", "bob", "dan", t0)), platform.CodeNotPending, "bob withdrawing alice's invitation")
		wantOK(t, f.p.Withdraw(f.ctx, action("w-dan-1", "alice", "dan", f.at(time.Minute))), "alice withdrawing it")
		wantRefused(t, f.p.Withdraw(f.ctx, action("w-dan-2", "alice", "dan", f.at(2*time.Minute))), platform.CodeNotPending, "withdrawing it again")
	}},
	{"Answered", func(t *testing.T, s suite) {
		opt := baseOptions()
		opt.AcceptRate = 1
		f := s.start(t, opt)
		wantOK(t, f.invite("k-ann", "ann", "", t0), "the invitation")
		at := f.at(answerWithin + time.Minute)
		wantRefused(t, f.p.Withdraw(f.ctx, action("w-ann", "alice", "ann", at)), platform.CodeNotPending, "withdrawing an accepted invitation")
	}},
}

var messageChecks = []check{
	{"Connected", func(t *testing.T, s suite) {
		f := s.start(t, baseOptions())
		err := f.p.Message(f.ctx, platform.Message{Action: action("m-carl", "bob", "carl", t0), Text: "Thanks, Carl!"})
		wantOK(t, err, "a message to a connection")
		wantRecorded(t, f.h.Record(), "m-carl", 1, Request{Op: OpMessage, Account: "bob", Person: "carl", Campaign: campaign, Chars: 13, At: t0})
	}},
	{"NotConnected", func(t *testing.T, s suite) {
		f := s.start(t, baseOptions())
		err := f.p.Message(f.ctx, platform.Message{Action: action("m-carl", "alice", "carl", t0), Text: "Hello"})
		wantRefused(t, err, platform.CodeNotConnected, "a message to bob's connection from alice")
		wantRecorded(t, f.h.Record(), "m-carl", 1, Request{Op: OpMessage, Account: "alice", Person: "carl", Campaign: campaign,
			At: t0, Refused: platform.CodeNotConnected})
		wantOK(t, f.invite("k-ann", "ann", "", t0), "an invitation to ann")
		err = f.p.Message(f.ctx, platform.Message{Action: action("m-ann", "alice", "ann", t0), Text: "Hello"})
		wantRefused(t, err, platform.CodeNotConnected, "a message while the invitation is pending")
	}},
	{"AfterAcceptance", func(t *testing.T, s suite) {
		opt := baseOptions()
		opt.AcceptRate = 1
		f := s.start(t, opt)
		wantOK(t, f.invite("k-ann", "ann", "", t0), "the invitation")
		at := f.at(answerWithin + time.Minute)
		err := f.p.Message(f.ctx, platform.Message{Action: action("m-ann", "alice", "ann", at), Text: "Thanks for connecting"})
		wantOK(t, err, "a message after the acceptance")
	}},
}

var followChecks = []check{
	{"Anyone", func(t *testing.T, s suite) {
		f := s.start(t, baseOptions())
		wantOK(t, f.p.Follow(f.ctx, action("f-ann", "alice", "ann", t0)), "following a stranger")
		wantOK(t, f.p.Follow(f.ctx, action("f-carl", "bob", "carl", t0)), "following a connection")
		wantRecorded(t, f.h.Record(), "f-ann", 1, Request{Op: OpFollow, Account: "alice", Person: "ann", Campaign: campaign, At: t0})
		// Following is no invitation.
		wantOK(t, f.invite("k-ann", "ann", "", t0), "an invitation to someone followed")
	}},
	{"UnknownAccount", func(t *testing.T, s suite) {
		f := s.start(t, baseOptions())
		wantRefused(t, f.p.Follow(f.ctx, action("f-ann", "mallory", "ann", t0)), platform.CodeUnknownAccount, "following from an unknown account")
	}},
}
