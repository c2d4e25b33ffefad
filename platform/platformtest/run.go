package platformtest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/platform"
)

// Run runs the conformance suite: each check as a subtest, each subtest
// with a harness of its own from newHarness.
func Run(t *testing.T, newHarness func(t *testing.T, opt Options) Harness) {
	s := suite{newHarness: newHarness}
	for _, group := range []struct {
		name   string
		checks []check
	}{
		{"Invite", inviteChecks},
		{"Idempotency", idempotencyChecks},
		{"Withdraw", withdrawChecks},
		{"Message", messageChecks},
		{"Follow", followChecks},
		{"Events", eventChecks},
		{"Refusals", refusalChecks},
		{"Sent", sentChecks},
	} {
		t.Run(group.name, func(t *testing.T) {
			for _, c := range group.checks {
				t.Run(c.name, func(t *testing.T) { c.run(t, s) })
			}
		})
	}
}

// check is one subtest of the suite.
type check struct {
	name string
	run  func(t *testing.T, s suite)
}

type suite struct {
	newHarness func(t *testing.T, opt Options) Harness
}

// The suite's fixed times and delays.
var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC) // a Monday

const (
	answerAfter  = time.Hour
	answerWithin = 2 * time.Hour
	campaign     = "spring"
	noteChars    = 20
)

// baseOptions is the platform most checks start from: alice and bob, 5
// invitations a week each and notes up to 20 UTF-16 code units, bob
// connected to carl; every invitation ignored.
func baseOptions() Options {
	return Options{
		Now: t0,
		Accounts: map[string]Account{
			"alice": {Weekly: 5, NoteChars: noteChars},
			"bob":   {Weekly: 5, NoteChars: noteChars, ConnectedTo: []string{"carl"}},
		},
		AnswerAfter: answerAfter, AnswerWithin: answerWithin,
	}
}

// fixture is one harness with the suite's helpers.
type fixture struct {
	t   *testing.T
	h   Harness
	p   platform.Platform
	ctx context.Context
	now time.Time
}

func (s suite) start(t *testing.T, opt Options) *fixture {
	t.Helper()
	h := s.newHarness(t, opt)
	if h == nil {
		t.Fatal("platformtest: newHarness returned nil")
	}
	p := h.Platform()
	if p == nil {
		t.Fatal("platformtest: Harness.Platform returned nil")
	}
	return &fixture{t: t, h: h, p: p, ctx: t.Context(), now: opt.Now}
}

// at moves the platform's clock to t0+d, if that is later than now, and
// returns t0+d.
func (f *fixture) at(d time.Duration) time.Time {
	f.t.Helper()
	at := t0.Add(d)
	if at.After(f.now) {
		f.h.Advance(at)
		f.now = at
	}
	return at
}

func action(key, account, person string, at time.Time) platform.Action {
	return platform.Action{Key: key, Account: account, Person: person, Campaign: campaign, At: at}
}

// invitation returns an invitation from alice: variant "short" with a
// note, "blank" without.
func invitation(key, person, note string, at time.Time) platform.Invite {
	v := "short"
	if note == "" {
		v = "blank"
	}
	return platform.Invite{Action: action(key, "alice", person, at), Variant: v, Note: note}
}

func (f *fixture) invite(key, person, note string, at time.Time) error {
	return f.p.Invite(f.ctx, invitation(key, person, note, at))
}

// wantOK fails the test unless err is nil.
func wantOK(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v, want success", what, err)
	}
}

// wantRefused fails the test unless err is a definite refusal with code,
// classified as such by every helper of package platform.
func wantRefused(t *testing.T, err error, code platform.Code, what string) {
	t.Helper()
	pe := platformError(t, err, what)
	if got := platform.CodeOf(err); got != code {
		t.Fatalf("%s: %v: CodeOf = %q, want %q", what, err, got, code)
	}
	if platform.IsRetryable(err) || pe.Retryable {
		t.Errorf("%s: %v: retryable, want a definite refusal", what, err)
	}
	if platform.IsNotPerformed(err) {
		t.Errorf("%s: %v: IsNotPerformed, want false for a refusal", what, err)
	}
	if f := platform.FaultOf(err); f != "" {
		t.Errorf("%s: %v: FaultOf = %q, want none: the integration answered", what, err, f)
	}
	if want := code == platform.CodeWeeklyLimit || code == platform.CodeRestricted; pe.Pause() != want {
		t.Errorf("%s: %v: Pause = %v, want %v", what, err, pe.Pause(), want)
	}
	if w := fmt.Errorf("deliver: %w", err); platform.CodeOf(w) != code || platform.IsRetryable(w) {
		t.Errorf("%s: wrapped, the refusal is classified %q, retryable %v", what, platform.CodeOf(w), platform.IsRetryable(w))
	}
}

// wantUnavailable fails the test unless err is the platform's transient
// failure: retryable, its outcome unknown, no fault of the integration.
func wantUnavailable(t *testing.T, err error, what string) {
	t.Helper()
	platformError(t, err, what)
	if got := platform.CodeOf(err); got != platform.CodeUnavailable {
		t.Fatalf("%s: %v: CodeOf = %q, want %q", what, err, got, platform.CodeUnavailable)
	}
	if !platform.IsRetryable(err) {
		t.Errorf("%s: %v: not retryable", what, err)
	}
	if platform.IsNotPerformed(err) {
		t.Errorf("%s: %v: IsNotPerformed, want an unknown outcome", what, err)
	}
	if f := platform.FaultOf(err); f != "" {
		t.Errorf("%s: %v: FaultOf = %q, want none: the integration answered", what, err, f)
	}
}

func platformError(t *testing.T, err error, what string) *platform.Error {
	t.Helper()
	var pe *platform.Error
	if !errors.As(err, &pe) {
		t.Fatalf("%s: %v (%T), want a *platform.Error", what, err, err)
	}
	return pe
}

// performed counts the requests of op with key that the platform
// performed: neither refused nor repeats.
func performed(rec []Request, op Op, key string) int {
	n := 0
	for _, r := range rec {
		if r.Op == op && r.Key == key && r.Refused == "" && !r.Repeat {
			n++
		}
	}
	return n
}

// withKey returns the requests with key, in order.
func withKey(rec []Request, key string) []Request {
	var out []Request
	for _, r := range rec {
		if r.Key == key {
			out = append(out, r)
		}
	}
	return out
}

// wantRecorded fails the test unless rec has exactly n requests with key
// and the last matches want (Op, Account, Person, Campaign, At, Refused,
// Repeat; for invitations Variant and HasNote; Chars when want has some).
func wantRecorded(t *testing.T, rec []Request, key string, n int, want Request) {
	t.Helper()
	got := withKey(rec, key)
	if len(got) != n {
		t.Fatalf("record of key %q: %d requests %+v, want %d", key, len(got), got, n)
	}
	g := got[n-1]
	ok := g.Op == want.Op && g.Account == want.Account && g.Person == want.Person && g.Campaign == want.Campaign &&
		g.At.Equal(want.At) && g.Refused == want.Refused && g.Repeat == want.Repeat
	if want.Op == OpInvite {
		ok = ok && g.Variant == want.Variant && g.HasNote == want.HasNote
	}
	if want.Chars != 0 {
		ok = ok && g.Chars == want.Chars
	}
	if !ok {
		t.Errorf("record of key %q: %+v, want %+v", key, g, want)
	}
}

// wantLast is wantRecorded of the last request with key, however many
// there are (a driver may retry).
func wantLast(t *testing.T, rec []Request, key string, want Request) {
	t.Helper()
	n := len(withKey(rec, key))
	if n == 0 {
		t.Fatalf("record of key %q: none, want %+v", key, want)
	}
	wantRecorded(t, rec, key, n, want)
}

// eventsOf returns the events about the invitation with key.
func eventsOf(evs []platform.Event, key string) []platform.Event {
	var out []platform.Event
	for _, e := range evs {
		if e.Key == key {
			out = append(out, e)
		}
	}
	return out
}
