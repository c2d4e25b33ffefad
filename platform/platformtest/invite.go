package platformtest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/platform"
)

var inviteChecks = []check{
	{"WithNote", func(t *testing.T, s suite) {
		f := s.start(t, baseOptions())
		at := f.at(time.Minute)
		wantOK(t, f.invite("k-ann", "ann", "Hi Ann, let's talk", at), "an invitation with a note")
		rec := f.h.Record()
		if len(rec) != 1 {
			t.Fatalf("record %+v, want the one invitation", rec)
		}
		wantRecorded(t, rec, "k-ann", 1, Request{Op: OpInvite, Account: "alice", Person: "ann", Campaign: campaign,
			Variant: "short", HasNote: true, Chars: 18, At: at})
	}},
	{"Blank", func(t *testing.T, s suite) {
		f := s.start(t, baseOptions())
		// Made at t0 on a clock in another time zone: the same instant.
		wantOK(t, f.invite("k-ann", "ann", "", t0.In(time.FixedZone("UTC+5:30", 5*3600+1800))), "a blank invitation")
		wantRecorded(t, f.h.Record(), "k-ann", 1, Request{Op: OpInvite, Account: "alice", Person: "ann", Campaign: campaign,
			Variant: "blank", HasNote: false, At: t0})
	}},
	{"NoteAtLimit", func(t *testing.T, s suite) {
		// Ten emoji: 40 bytes, 10 runes, 20 UTF-16 code units, as a
		// browser counts them: exactly the limit.
		f := s.start(t, baseOptions())
		note := strings.Repeat("\U0001F44B", noteChars/2)
		wantOK(t, f.invite("k-ann", "ann", note, t0), "a note of 20 UTF-16 code units, the limit")
		wantRecorded(t, f.h.Record(), "k-ann", 1, Request{Op: OpInvite, Account: "alice", Person: "ann", Campaign: campaign,
			Variant: "short", HasNote: true, Chars: noteChars, At: t0})
	}},
	{"NoteTooLong", func(t *testing.T, s suite) {
		f := s.start(t, baseOptions())
		note := strings.Repeat("\U0001F44B", noteChars/2) + "!"
		wantRefused(t, f.invite("k-ann", "ann", note, t0), platform.CodeNoteTooLong, "a note one UTF-16 code unit over the limit")
		wantRecorded(t, f.h.Record(), "k-ann", 1, Request{Op: OpInvite, Account: "alice", Person: "ann", Campaign: campaign,
			Variant: "short", HasNote: true, Chars: noteChars + 1, At: t0, Refused: platform.CodeNoteTooLong})
		// The refusal changed nothing: ann can be invited with a new key.
		wantOK(t, f.invite("k-ann-2", "ann", "", t0), "a blank invitation after a refused note")
		if n := performed(f.h.Record(), OpInvite, "k-ann"); n != 0 {
			t.Errorf("the refused invitation counts as performed %d times", n)
		}
	}},
	{"WeeklyLimit", func(t *testing.T, s suite) {
		opt := baseOptions()
		opt.Accounts["alice"] = Account{Weekly: 2, NoteChars: noteChars}
		f := s.start(t, opt)
		wantOK(t, f.invite("k1", "p1", "", f.at(0)), "invitation 1 of 2")
		wantOK(t, f.invite("k2", "p2", "", f.at(time.Hour)), "invitation 2 of 2")
		wantRefused(t, f.invite("k3", "p3", "", f.at(2*time.Hour)), platform.CodeWeeklyLimit, "invitation 3 within 7 days")
		wantRecorded(t, f.h.Record(), "k3", 1, Request{Op: OpInvite, Account: "alice", Person: "p3", Campaign: campaign,
			Variant: "blank", At: t0.Add(2 * time.Hour), Refused: platform.CodeWeeklyLimit})
		// Another account has its own limit.
		err := f.p.Invite(f.ctx, platform.Invite{Action: action("k-bob", "bob", "p3", t0.Add(2*time.Hour)), Variant: "blank"})
		wantOK(t, err, "bob's invitation while alice is at her limit")
		// The window rolls: 7 days after the first, one leaves it.
		wantRefused(t, f.invite("k4", "p4", "", f.at(7*24*time.Hour-time.Nanosecond)), platform.CodeWeeklyLimit,
			"an invitation a nanosecond before the first leaves the window")
		wantOK(t, f.invite("k5", "p5", "", f.at(7*24*time.Hour)), "an invitation 7 days after the first")
	}},
	{"Duplicate", func(t *testing.T, s suite) {
		f := s.start(t, baseOptions())
		wantOK(t, f.invite("k1", "ann", "", t0), "the first invitation")
		wantRefused(t, f.invite("k2", "ann", "", f.at(time.Minute)), platform.CodeDuplicate, "a second invitation while the first is pending")
	}},
	{"UnknownAccount", func(t *testing.T, s suite) {
		f := s.start(t, baseOptions())
		err := f.p.Invite(f.ctx, platform.Invite{Action: action("k1", "mallory", "ann", t0), Variant: "blank"})
		wantRefused(t, err, platform.CodeUnknownAccount, "an invitation from an unknown account")
	}},
	{"Invalid", func(t *testing.T, s suite) {
		f := s.start(t, baseOptions())
		for _, tc := range []struct {
			name string
			r    platform.Invite
		}{
			{"no key", invitation("", "ann", "", t0)},
			{"no account", platform.Invite{Action: action("k2", "", "ann", t0), Variant: "blank"}},
			{"no person", invitation("k3", "", "", t0)},
			{"no time", invitation("k4", "ann", "", time.Time{})},
		} {
			wantRefused(t, f.p.Invite(f.ctx, tc.r), platform.CodeInvalid, "an invitation with "+tc.name)
		}
		wantOK(t, f.invite("k5", "ann", "", t0), "a well-formed invitation after malformed ones")
	}},
	{"InvalidKey", func(t *testing.T, s suite) {
		// A key must travel unchanged wherever a driver carries it (an
		// HTTP header included): see platform.ValidKey.
		opt := baseOptions()
		opt.Accounts["alice"] = Account{Weekly: 20, NoteChars: noteChars}
		f := s.start(t, opt)
		for i, key := range []string{"k\n1", "k\r\n2", "k\x003", "k\t4", " k5", "k6 ", "k\xff7", "k\x7f8"} {
			person := fmt.Sprint("p", i)
			wantRefused(t, f.invite(key, person, "", t0), platform.CodeInvalid, fmt.Sprintf("an invitation with key %q", key))
			wantRefused(t, f.p.Follow(f.ctx, action(key, "alice", person, t0)), platform.CodeInvalid, fmt.Sprintf("a follow with key %q", key))
			wantOK(t, f.invite(fmt.Sprint("k-", i), person, "", t0), "the same invitation with a valid key")
		}
	}},
	{"UnicodeKeys", func(t *testing.T, s suite) {
		f := s.start(t, baseOptions())
		key, person := "spring/jos\u00e9-m\u00fcller/connect \U0001F44B", "https://example.com/in/jos\u00e9-m\u00fcller-\u6771\u4eac"
		note := "Hallo J\u00f6rg \U0001F44B"
		wantOK(t, f.invite(key, person, note, t0), "an invitation with non-ASCII key, person and note")
		wantRecorded(t, f.h.Record(), key, 1, Request{Op: OpInvite, Account: "alice", Person: person, Campaign: campaign,
			Variant: "short", HasNote: true, Chars: 13, At: t0})
		wantRefused(t, f.invite(key, "someone-else", "", t0), platform.CodeKeyConflict, "the same key for someone else")
	}},
	{"ContextDone", func(t *testing.T, s suite) {
		f := s.start(t, baseOptions())
		ctx, cancel := context.WithCancel(f.ctx)
		cancel()
		err := f.p.Invite(ctx, invitation("k1", "ann", "", t0))
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("an invitation with a cancelled context: %v, want context.Canceled", err)
		}
		if !platform.IsRetryable(err) || platform.IsNotPerformed(err) || platform.CodeOf(err) != "" || platform.FaultOf(err) != "" {
			t.Errorf("a cancelled invitation: retryable %v, not performed %v, code %q, fault %q; want an unknown outcome, retryable",
				platform.IsRetryable(err), platform.IsNotPerformed(err), platform.CodeOf(err), platform.FaultOf(err))
		}
		if n := len(withKey(f.h.Record(), "k1")); n != 0 {
			t.Errorf("a request whose context had ended was recorded %d times", n)
		}
		wantOK(t, f.invite("k1", "ann", "", t0), "the same invitation with a live context")
	}},
}
