package worker

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/pacing"
	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/platform/sandbox"
	"github.com/outreach-scheduler/outreach/wire"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC) // a Monday

// limits of the test account: a one-minute gap binds, the caps do not.
var limits = pacing.Limits{Weekly: 100, Daily: 50, NoteChars: 300, NotesPerMonth: pacing.Unlimited, MinGap: time.Minute}

// rig is a Deliverer over the in-memory limiter and a sandbox model that
// refuses as told; nobody answers the invitations.
type rig struct {
	d     *Deliverer
	lim   *pacing.MemLimiter
	model *sandbox.Model
}

func newRig(pause time.Duration, refusals ...sandbox.Refusal) *rig {
	lim := pacing.NewMemLimiter()
	m := sandbox.New(sandbox.Options{AcceptRate: -1, DeclineRate: -1, Refusals: refusals,
		Accounts: map[string]sandbox.Account{"alice": {Weekly: 100, NoteChars: 300, NotesPerMonth: sandbox.Unlimited}}})
	return &rig{lim: lim, model: m, d: &Deliverer{Limiter: lim, Platform: m, RestrictionPause: pause,
		Rules: func(_ string, at time.Time) (pacing.Rules, error) {
			return pacing.RulesFor(limits, time.Time{}, time.UTC, at), nil
		}}}
}

func task(person string) wire.Task {
	return wire.Task{V: wire.Version, Kind: wire.KindInvite, At: t0, Account: "alice", Campaign: "c", Person: person,
		Key: "c/" + person + "/0", Variant: "hi", Note: "Hi, let's connect", Chars: 17}
}

func (r *rig) usage(t *testing.T, now time.Time) pacing.Usage {
	t.Helper()
	u, err := r.lim.Usage(context.Background(), "alice", now, pacing.RulesFor(limits, time.Time{}, time.UTC, now))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// sent counts the invitations the platform took (first requests, not
// refused), by key.
func (r *rig) sent() map[string]int {
	n := map[string]int{}
	for _, e := range r.model.Record() {
		if e.Op == sandbox.OpInvite && e.Refused == "" && !e.Repeat {
			n[e.Key]++
		}
	}
	return n
}

// TestDefiniteRefusalFreesSlot: the platform refuses for good (a profile
// that is gone): the outcome is Refused with its code, the reservation is
// released (the week counts nothing, and another send at the same instant
// is granted: the gap is free), and the account is not paused.
func TestDefiniteRefusalFreesSlot(t *testing.T) {
	r := newRig(time.Hour, sandbox.Refusal{Persons: []string{"gone"}, Code: platform.CodeInvalidProfile})
	ctx := context.Background()
	out, err := r.d.Do(ctx, task("gone"), t0)
	if err != nil || out.Kind != wire.Refused || out.Code != platform.CodeInvalidProfile || !out.At.Equal(t0) {
		t.Fatalf("Do = %+v, %v; want refused %s", out, err, platform.CodeInvalidProfile)
	}
	if u := r.usage(t, t0); u.Week != 0 || u.Day != 0 || !u.Last.IsZero() || !u.PausedUntil.IsZero() {
		t.Errorf("usage after a definite refusal = %+v, want nothing counted, no pause", u)
	}
	out, err = r.d.Do(ctx, task("ann"), t0)
	if err != nil || out.Kind != wire.Delivered {
		t.Fatalf("the next send at the same instant = %+v, %v; want delivered (the slot was freed)", out, err)
	}
	if u := r.usage(t, t0); u.Week != 1 {
		t.Errorf("week = %d after one delivered invitation", u.Week)
	}
	if st := r.model.Stats().Accounts["alice"]; st.Invited != 1 || st.Refused[platform.CodeInvalidProfile] != 1 {
		t.Errorf("the platform's stats: %+v", st)
	}
}

// TestStandingRefusalPauses: restricted and weekly_limit also pause the
// account until now + RestrictionPause (7d by default): until then the
// Deliverer is denied DenyPaused by the limiter and the platform hears
// nothing; from then on it sends again.
func TestStandingRefusalPauses(t *testing.T) {
	for _, c := range []struct {
		code  platform.Code
		pause time.Duration
	}{
		{platform.CodeRestricted, 2 * time.Hour},
		{platform.CodeWeeklyLimit, 30 * time.Minute},
		{platform.CodeRestricted, 0}, // the default
	} {
		t.Run(fmt.Sprintf("%s/%v", c.code, c.pause), func(t *testing.T) {
			pause := c.pause
			if pause == 0 {
				pause = 7 * 24 * time.Hour
			}
			// The platform refuses during the first minute only: what keeps
			// the account quiet afterwards is the pause.
			r := newRig(c.pause, sandbox.Refusal{Account: "alice", Code: c.code, Until: t0.Add(time.Minute)})
			ctx := context.Background()
			out, err := r.d.Do(ctx, task("ann"), t0)
			if err != nil || out.Kind != wire.Refused || out.Code != c.code {
				t.Fatalf("Do = %+v, %v; want refused %s", out, err, c.code)
			}
			u := r.usage(t, t0)
			if u.Week != 0 || !u.PausedUntil.Equal(t0.Add(pause)) {
				t.Errorf("usage = %+v; want the slot free and a pause until %v", u, t0.Add(pause))
			}
			requests := len(r.model.Record())
			for _, at := range []time.Time{t0.Add(2 * time.Minute), t0.Add(pause / 2), t0.Add(pause - time.Millisecond)} {
				out, err := r.d.Do(ctx, task("bob"), at)
				if err != nil || out.Kind != wire.Denied || out.Denial != pacing.DenyPaused || !out.RetryAt.Equal(t0.Add(pause)) {
					t.Errorf("Do at +%v = %+v, %v; want denied paused, retry at +%v", at.Sub(t0), out, err, pause)
				}
			}
			if n := len(r.model.Record()); n != requests {
				t.Errorf("the platform got %d requests during the pause", n-requests)
			}
			out, err = r.d.Do(ctx, task("bob"), t0.Add(pause))
			if err != nil || out.Kind != wire.Delivered {
				t.Fatalf("Do when the pause ends = %+v, %v; want delivered", out, err)
			}
			if u := r.usage(t, t0.Add(pause)); u.Week != 1 || !u.PausedUntil.IsZero() {
				t.Errorf("usage after the pause = %+v", u)
			}
			if s := r.sent(); len(s) != 1 || s["c/bob/0"] != 1 {
				t.Errorf("the platform took %v; want bob's invitation only", s)
			}
		})
	}
}

// TestUnknownOutcomeKeepsReservation: a retryable platform error is an
// unknown outcome: Do returns an error and the reservation stays counted;
// retrying with the same key neither counts it twice in the limiter nor
// sends twice (the platform answers the key as the first time).
func TestUnknownOutcomeKeepsReservation(t *testing.T) {
	for _, applied := range []bool{true, false} {
		t.Run(fmt.Sprintf("performed=%v", applied), func(t *testing.T) {
			r := newRig(time.Hour, sandbox.Refusal{Code: platform.CodeUnavailable, Applied: applied, Until: t0.Add(time.Minute)})
			ctx := context.Background()
			tk := task("ann")
			for _, at := range []time.Time{t0, t0.Add(10 * time.Second)} {
				out, err := r.d.Do(ctx, tk, at)
				if err == nil || !platform.IsRetryable(err) || out.Kind != wire.Unknown {
					t.Fatalf("Do at +%v = %+v, %v; want an unknown outcome with a retryable error", at.Sub(t0), out, err)
				}
				if u := r.usage(t, at); u.Week != 1 || !u.Last.Equal(t0) || !u.PausedUntil.IsZero() {
					t.Errorf("usage at +%v = %+v; want the first reservation counted once", at.Sub(t0), u)
				}
			}
			// Meanwhile another send within the gap is denied: the
			// reservation holds its slot.
			if out, err := r.d.Do(ctx, task("bob"), t0.Add(30*time.Second)); err != nil || out.Kind != wire.Denied || out.Denial != pacing.DenyGap {
				t.Errorf("another send within the gap = %+v, %v; want denied gap", out, err)
			}
			out, err := r.d.Do(ctx, tk, t0.Add(2*time.Minute))
			if err != nil || out.Kind != wire.Delivered {
				t.Fatalf("retry after the outage = %+v, %v; want delivered", out, err)
			}
			if u := r.usage(t, t0.Add(2*time.Minute)); u.Week != 1 {
				t.Errorf("week = %d after three attempts of one invitation", u.Week)
			}
			keys := 0
			for _, e := range r.model.Record() {
				if e.Key == tk.Key {
					keys++
				}
			}
			if s := r.sent(); keys != 3 || len(s) != 1 || s[tk.Key] != 1 {
				t.Errorf("the platform saw the key %d times and took %v; want 3 attempts, one invitation", keys, s)
			}
			if st := r.model.Stats().Accounts["alice"]; st.Invited != 1 || st.Pending != 1 {
				t.Errorf("the platform's stats: %+v", st)
			}
		})
	}
}

// racer is a limiter in which another worker reserves a send of the same
// account at the instant a slot is released.
type racer struct {
	*pacing.MemLimiter
	rules  pacing.Rules
	at     time.Time
	raced  []pacing.Decision
	failed error
}

func (l *racer) Release(ctx context.Context, account, id string) error {
	err := l.MemLimiter.Release(ctx, account, id)
	d, rerr := l.MemLimiter.Reserve(ctx, pacing.Request{Account: account, ID: "other-worker", At: l.at, Rules: l.rules})
	l.raced = append(l.raced, d)
	if rerr != nil {
		l.failed = rerr
	}
	return err
}

// TestPauseBeforeRelease: a restricted answer pauses the account before
// its slot is freed, so that another worker's invitation of the account
// cannot take the freed slot in between and reach the platform during the
// pause.
func TestPauseBeforeRelease(t *testing.T) {
	r := newRig(time.Hour, sandbox.Refusal{Account: "alice", Code: platform.CodeRestricted})
	lim := &racer{MemLimiter: r.lim, rules: pacing.RulesFor(limits, time.Time{}, time.UTC, t0), at: t0}
	r.d.Limiter = lim
	out, err := r.d.Do(context.Background(), task("ann"), t0)
	if err != nil || out.Kind != wire.Refused || out.Code != platform.CodeRestricted {
		t.Fatalf("Do = %+v, %v; want refused restricted", out, err)
	}
	if lim.failed != nil || len(lim.raced) != 1 {
		t.Fatalf("the racing reservation: %v, %v", lim.raced, lim.failed)
	}
	if d := lim.raced[0]; d.Granted || d.Denial != pacing.DenyPaused {
		t.Errorf("another worker's reservation as the slot was freed: %+v; want denied paused", d)
	}
}

// pausesFunc is a Pauses from a function.
type pausesFunc func(wire.Task) (bool, error)

func (f pausesFunc) Holds(_ context.Context, t wire.Task, _ time.Time) (bool, error) { return f(t) }

// TestDeliverHeld: a task an operator's pause holds is handed back
// (Denied, held) with nothing reserved nor sent; a pause that cannot be
// read leaves the outcome unknown (retried), nothing sent; an expiry is
// never held.
func TestDeliverHeld(t *testing.T) {
	r := newRig(time.Hour)
	r.d.Pauses = pausesFunc(func(t wire.Task) (bool, error) { return t.Person == "held", nil })
	o, err := r.d.Do(context.Background(), task("held"), t0)
	if err != nil || o.Kind != wire.Denied || o.Denial != pacing.DenyHeld {
		t.Fatalf("held task: %+v, %v; want Denied held", o, err)
	}
	if u := r.usage(t, t0); u.Day != 0 || len(r.sent()) != 0 {
		t.Errorf("held task reserved %d slots, sent %v", u.Day, r.sent())
	}
	if o, err := r.d.Do(context.Background(), task("free"), t0); err != nil || o.Kind != wire.Delivered {
		t.Fatalf("task not held: %+v, %v", o, err)
	}
	r.d.Pauses = pausesFunc(func(wire.Task) (bool, error) { return false, fmt.Errorf("redis: connection refused") })
	o, err = r.d.Do(context.Background(), task("other"), t0.Add(time.Hour))
	if err == nil || o.Kind != wire.Unknown || r.sent()["c/other/0"] != 0 {
		t.Fatalf("pauses unreadable: %+v, %v, sent %v; want unknown, an error, nothing sent", o, err, r.sent())
	}
	exp := task("held")
	exp.Kind = wire.KindExpire
	r.d.Pauses = pausesFunc(func(t wire.Task) (bool, error) { return t.Kind != wire.KindExpire, nil }) // as ledger.Holds
	if o, err := r.d.Do(context.Background(), exp, t0); err != nil || o.Kind != wire.Delivered {
		t.Errorf("expiry under a pause: %+v, %v; want recorded", o, err)
	}
	gone := errors.New("forgotten")
	r.d.Pauses = pausesFunc(func(wire.Task) (bool, error) { return false, gone })
	if _, err := r.d.Do(context.Background(), exp, t0); !errors.Is(err, gone) {
		t.Errorf("expiry of a forgotten person: %v; want the check's error (the handler drops the task)", err)
	}
}
