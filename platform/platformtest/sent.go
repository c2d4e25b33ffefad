package platformtest

import (
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/platform"
)

var sentChecks = []check{
	{"Listed", func(t *testing.T, s suite) {
		opt := baseOptions()
		opt.AcceptRate = 1
		f := s.start(t, opt)
		lister, ok := f.p.(SentLister)
		if !ok {
			t.Skip("the platform lists no sent invitations")
		}
		wantOK(t, f.invite("k-ann", "ann", "Hi Ann", t0), "the invitation to ann")
		wantOK(t, f.invite("k-dan", "dan", "", t0), "the invitation to dan")
		wantRefused(t, f.invite("k-eve", "eve", "Hi Eve, this note is too long", t0), platform.CodeNoteTooLong, "a refused invitation")
		withdrawn := f.at(answerAfter / 2)
		wantOK(t, f.invite("k-ann", "ann", "Hi Ann", withdrawn), "a repeat")
		wantOK(t, f.p.Withdraw(f.ctx, action("w-dan", "alice", "dan", withdrawn)), "withdrawing dan's invitation")
		pendingAt := f.at(answerAfter - time.Minute)
		wantOK(t, f.invite("k-fay", "fay", "", pendingAt), "an invitation still pending at the listing")
		f.at(answerWithin + time.Minute)

		list, err := lister.SentInvitations(f.ctx, time.Time{})
		wantOK(t, err, "listing the sent invitations")
		want := map[string]platform.Sent{
			"k-ann": {Key: "k-ann", Account: "alice", Person: "ann", Campaign: campaign, Variant: "short", Note: true, At: t0, Answer: platform.AnswerAccepted},
			"k-dan": {Key: "k-dan", Account: "alice", Person: "dan", Campaign: campaign, Variant: "blank", At: t0, Answer: platform.AnswerWithdrawn, AnsweredAt: withdrawn},
			"k-fay": {Key: "k-fay", Account: "alice", Person: "fay", Campaign: campaign, Variant: "blank", At: pendingAt},
		}
		if len(list) != len(want) {
			t.Fatalf("sent invitations %+v, want %d (no refusal, no repeat)", list, len(want))
		}
		for _, got := range list {
			w, ok := want[got.Key]
			if !ok {
				t.Errorf("listed %+v: not an invitation the platform accepted", got)
				continue
			}
			delete(want, got.Key)
			answered := got.AnsweredAt.Equal(w.AnsweredAt)
			if w.Answer == platform.AnswerAccepted {
				answered = !got.AnsweredAt.Before(t0.Add(answerAfter)) && !got.AnsweredAt.After(t0.Add(answerWithin))
			}
			if got.Account != w.Account || got.Person != w.Person || got.Campaign != w.Campaign || got.Variant != w.Variant ||
				got.Note != w.Note || !got.At.Equal(w.At) || got.Answer != w.Answer || !answered {
				t.Errorf("listed %+v, want %+v", got, w)
			}
		}
		later, err := lister.SentInvitations(f.ctx, t0.Add(time.Nanosecond))
		wantOK(t, err, "listing the invitations since a time")
		if len(later) != 1 || later[0].Key != "k-fay" {
			t.Errorf("sent since %v: %+v, want k-fay alone", t0.Add(time.Nanosecond), later)
		}
	}},
}
