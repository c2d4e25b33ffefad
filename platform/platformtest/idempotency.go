package platformtest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/platform"
)

var idempotencyChecks = []check{
	{"SameKeyTwice", func(t *testing.T, s suite) {
		opt := baseOptions()
		opt.AcceptRate = 1
		f := s.start(t, opt)
		wantOK(t, f.invite("k-ann", "ann", "Hi Ann", t0), "the invitation")
		at := f.at(time.Minute)
		// The retry carries the same key and request, made later.
		wantOK(t, f.invite("k-ann", "ann", "Hi Ann", at), "the same key again")
		rec := f.h.Record()
		if n := performed(rec, OpInvite, "k-ann"); n != 1 {
			t.Errorf("the invitation was performed %d times, want once", n)
		}
		wantRecorded(t, rec, "k-ann", 2, Request{Op: OpInvite, Account: "alice", Person: "ann", Campaign: campaign,
			Variant: "short", HasNote: true, At: at, Repeat: true})
		f.at(answerWithin + time.Minute)
		if evs := eventsOf(f.h.Events(), "k-ann"); len(evs) != 1 {
			t.Errorf("events of the invitation: %+v, want one acceptance", evs)
		}
	}},
	{"RefusalRepeated", func(t *testing.T, s suite) {
		f := s.start(t, baseOptions())
		long := "Hi Ann, this note is far too long"
		wantRefused(t, f.invite("k-ann", "ann", long, t0), platform.CodeNoteTooLong, "a note over the limit")
		wantRefused(t, f.invite("k-ann", "ann", long, f.at(time.Minute)), platform.CodeNoteTooLong, "the same key again")
		wantRecorded(t, f.h.Record(), "k-ann", 2, Request{Op: OpInvite, Account: "alice", Person: "ann", Campaign: campaign,
			Variant: "short", HasNote: true, At: t0.Add(time.Minute), Refused: platform.CodeNoteTooLong, Repeat: true})
	}},
	{"FirstAnswerStands", func(t *testing.T, s suite) {
		// Between the first request and its retry the invitation was
		// withdrawn: the retry is answered as the first time (success),
		// and invites no one.
		f := s.start(t, baseOptions())
		wantOK(t, f.invite("k-ann", "ann", "", t0), "the invitation")
		wantOK(t, f.p.Withdraw(f.ctx, action("w-ann", "alice", "ann", f.at(time.Minute))), "its withdrawal")
		wantOK(t, f.invite("k-ann", "ann", "", f.at(2*time.Minute)), "the invitation's key again")
		wantRefused(t, f.p.Withdraw(f.ctx, action("w-ann-2", "alice", "ann", f.at(3*time.Minute))), platform.CodeNotPending,
			"a second withdrawal: the repeat must not have invited ann again")
		if n := performed(f.h.Record(), OpInvite, "k-ann"); n != 1 {
			t.Errorf("the invitation was performed %d times, want once", n)
		}
	}},
	{"KeyConflict", func(t *testing.T, s suite) {
		f := s.start(t, baseOptions())
		wantOK(t, f.invite("k1", "ann", "", t0), "the invitation to ann")
		wantRefused(t, f.invite("k1", "dan", "", f.at(time.Minute)), platform.CodeKeyConflict, "ann's key for dan")
		err := f.p.Invite(f.ctx, platform.Invite{Action: action("k1", "bob", "ann", t0.Add(time.Minute)), Variant: "blank"})
		wantRefused(t, err, platform.CodeKeyConflict, "alice's key for bob")
		// dan was not invited under the conflicting key.
		wantOK(t, f.invite("k2", "dan", "", t0.Add(time.Minute)), "dan with a key of his own")
	}},
	{"OtherOperations", func(t *testing.T, s suite) {
		f := s.start(t, baseOptions())
		wantOK(t, f.invite("k-ann", "ann", "", t0), "the invitation")
		for i := range 2 {
			at := f.at(time.Duration(i+1) * time.Minute)
			what := fmt.Sprintf("request %d", i+1)
			wantOK(t, f.p.Withdraw(f.ctx, action("w-ann", "alice", "ann", at)), "withdraw, "+what)
			wantOK(t, f.p.Message(f.ctx, platform.Message{Action: action("m-carl", "bob", "carl", at), Text: "Thanks!"}), "message, "+what)
			wantOK(t, f.p.Follow(f.ctx, action("f-dan", "alice", "dan", at)), "follow, "+what)
		}
		rec := f.h.Record()
		for _, c := range []struct {
			op  Op
			key string
		}{{OpWithdraw, "w-ann"}, {OpMessage, "m-carl"}, {OpFollow, "f-dan"}} {
			if n := performed(rec, c.op, c.key); n != 1 {
				t.Errorf("%s %s performed %d times, want once", c.op, c.key, n)
			}
			if got := withKey(rec, c.key); len(got) != 2 || !got[1].Repeat {
				t.Errorf("%s %s recorded as %+v, want the first and a repeat", c.op, c.key, got)
			}
		}
	}},
	{"Concurrent", func(t *testing.T, s suite) {
		opt := baseOptions()
		opt.Accounts["alice"] = Account{Weekly: 100, NoteChars: noteChars}
		f := s.start(t, opt)
		const n = 8
		errs := make([]error, 2*n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(2)
			go func() { // the same invitation n times at once
				defer wg.Done()
				errs[i] = f.invite("k-ann", "ann", "Hi Ann", t0)
			}()
			go func() { // and n others
				defer wg.Done()
				errs[n+i] = f.invite(fmt.Sprint("k-p", i), fmt.Sprint("p", i), "", t0)
			}()
		}
		wg.Wait()
		for i, err := range errs {
			wantOK(t, err, fmt.Sprintf("concurrent invitation %d", i))
		}
		rec := f.h.Record()
		if c := performed(rec, OpInvite, "k-ann"); c != 1 {
			t.Errorf("the invitation sent %d times at once was performed %d times, want once", n, c)
		}
		if got := len(withKey(rec, "k-ann")); got != n {
			t.Errorf("%d requests of the key recorded, want %d", got, n)
		}
		for i := range n {
			if c := performed(rec, OpInvite, fmt.Sprint("k-p", i)); c != 1 {
				t.Errorf("invitation k-p%d performed %d times, want once", i, c)
			}
		}
	}},
}
