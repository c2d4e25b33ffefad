package platformtest

import (
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/platform"
)

var refusalChecks = []check{
	{"Restricted", func(t *testing.T, s suite) {
		opt := baseOptions()
		opt.Refusals = []Refusal{{Account: "alice", Code: platform.CodeRestricted}}
		f := s.start(t, opt)
		wantRefused(t, f.invite("k-ann", "ann", "", t0), platform.CodeRestricted, "an invitation from a restricted account")
		wantRefused(t, f.invite("k-ann", "ann", "", f.at(time.Minute)), platform.CodeRestricted, "its retry")
		wantRecorded(t, f.h.Record(), "k-ann", 2, Request{Op: OpInvite, Account: "alice", Person: "ann", Campaign: campaign,
			Variant: "blank", At: t0.Add(time.Minute), Refused: platform.CodeRestricted, Repeat: true})
		err := f.p.Invite(f.ctx, platform.Invite{Action: action("k-bob-ann", "bob", "ann", f.now), Variant: "blank"})
		wantOK(t, err, "an invitation from another account")
	}},
	{"InvalidProfile", func(t *testing.T, s suite) {
		opt := baseOptions()
		opt.Refusals = []Refusal{{Persons: []string{"ghost"}, Code: platform.CodeInvalidProfile}}
		f := s.start(t, opt)
		wantRefused(t, f.invite("k-ghost", "ghost", "", t0), platform.CodeInvalidProfile, "an invitation to a deleted profile")
		wantOK(t, f.invite("k-ann", "ann", "", t0), "an invitation to someone else")
		if n := performed(f.h.Record(), OpInvite, "k-ghost"); n != 0 {
			t.Errorf("the refused invitation performed %d times", n)
		}
	}},
	{"RestrictedUntil", func(t *testing.T, s suite) {
		opt := baseOptions()
		opt.Refusals = []Refusal{{Account: "alice", Code: platform.CodeRestricted, Until: t0.Add(24 * time.Hour)}}
		f := s.start(t, opt)
		wantRefused(t, f.invite("k-ann", "ann", "", t0), platform.CodeRestricted, "an invitation during the restriction")
		at := f.at(24 * time.Hour)
		wantOK(t, f.invite("k-ann-2", "ann", "", at), "an invitation after it, with a new key")
		// A refusal is the key's answer for good.
		wantRefused(t, f.invite("k-ann", "ann", "", at), platform.CodeRestricted, "the refused key after the restriction")
	}},
	{"Unavailable", func(t *testing.T, s suite) {
		// Not performed: a retry with the same key is a first request.
		opt := baseOptions()
		opt.Refusals = []Refusal{{Persons: []string{"ann"}, Code: platform.CodeUnavailable, Until: t0.Add(time.Hour)}}
		f := s.start(t, opt)
		wantUnavailable(t, f.invite("k-ann", "ann", "", t0), "an invitation while the platform is unavailable")
		if n := performed(f.h.Record(), OpInvite, "k-ann"); n != 0 {
			t.Errorf("the unavailable invitation performed %d times", n)
		}
		wantOK(t, f.invite("k-dan", "dan", "", t0), "an invitation the failure does not match")
		at := f.at(time.Hour)
		wantOK(t, f.invite("k-ann", "ann", "", at), "the same key once available")
		rec := f.h.Record()
		wantLast(t, rec, "k-ann", Request{Op: OpInvite, Account: "alice", Person: "ann",
			Campaign: campaign, Variant: "blank", At: at})
		if n := performed(rec, OpInvite, "k-ann"); n != 1 {
			t.Errorf("the invitation performed %d times, want once", n)
		}
	}},
	{"UnavailableApplied", func(t *testing.T, s suite) {
		// Performed, the answer lost: a retry is a repeat.
		opt := baseOptions()
		opt.Refusals = []Refusal{{Persons: []string{"ann"}, Code: platform.CodeUnavailable, Until: t0.Add(time.Hour), Applied: true}}
		f := s.start(t, opt)
		wantUnavailable(t, f.invite("k-ann", "ann", "", t0), "an invitation whose answer is lost")
		at := f.at(time.Hour)
		wantOK(t, f.invite("k-ann", "ann", "", at), "the same key once available")
		rec := f.h.Record()
		if n := performed(rec, OpInvite, "k-ann"); n != 1 {
			t.Errorf("the invitation performed %d times, want once", n)
		}
		wantLast(t, rec, "k-ann", Request{Op: OpInvite, Account: "alice", Person: "ann",
			Campaign: campaign, Variant: "blank", At: at, Repeat: true})
		wantRefused(t, f.invite("k-ann-2", "ann", "", at), platform.CodeDuplicate, "a new key for ann: her invitation is pending")
	}},
}
