package sandbox

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/platform/responsedelay"
	"github.com/outreach-scheduler/outreach/wire"
)

// roomy has limits that never get in the way.
var roomy = map[string]Account{
	"a": {Weekly: math.MaxInt32, NoteChars: 300, NotesPerMonth: Unlimited},
	"b": {Weekly: math.MaxInt32, NoteChars: 300, NotesPerMonth: Unlimited},
}

func invite(t testing.TB, m *Model, acct, who, variant string, at time.Time) {
	t.Helper()
	note := "Hi, glad to connect"
	if variant == "blank" {
		note = ""
	}
	err := m.Invite(context.Background(), platform.Invite{
		Action:  platform.Action{Key: "camp/" + acct + "/" + who + "/connect", Account: acct, Person: who, Campaign: "camp", At: at},
		Variant: variant, Note: note,
	})
	if err != nil {
		t.Fatalf("invite %s %s: %v", acct, who, err)
	}
}

func TestWithdrawCancelsAcceptance(t *testing.T) {
	m := New(with(acceptLate, roomy))
	invite(t, m, "a", "p", "v", t0)
	due, ok := m.NextEventAt()
	if !ok || due.Before(t0.Add(day)) || due.After(t0.Add(2*day)) {
		t.Fatalf("NextEventAt = %v, %v: want an acceptance between 1 and 2 days", due, ok)
	}
	ctx := context.Background()
	if err := m.Withdraw(ctx, platform.Action{Key: "w", Account: "a", Person: "p", At: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if at, ok := m.NextEventAt(); ok {
		t.Errorf("NextEventAt after withdrawal = %v", at)
	}
	if evs := m.Advance(t0.Add(400 * day)); len(evs) != 0 {
		t.Errorf("withdrawn invitation answered: %+v", evs)
	}
	if err := m.Message(ctx, platform.Message{Action: platform.Action{Key: "m", Account: "a", Person: "p", At: t0.Add(3 * day)}}); platform.CodeOf(err) != platform.CodeNotConnected {
		t.Errorf("message after withdrawal: %v", err)
	}
	st := m.Stats().Accounts["a"]
	if st.Accepted != 0 || st.Withdrawn != 1 || st.Pending != 0 || st.Connections != 0 {
		t.Errorf("stats = %+v", st)
	}

	// A withdrawal made after the acceptance fell due finds it accepted,
	// though Advance was not called in between.
	m = New(with(acceptLate, roomy))
	invite(t, m, "a", "p", "v", t0)
	err := m.Withdraw(ctx, platform.Action{Key: "w", Account: "a", Person: "p", At: t0.Add(2 * day)})
	if platform.CodeOf(err) != platform.CodeNotPending {
		t.Errorf("late withdrawal: %v, want not_pending", err)
	}
	evs := m.Advance(t0.Add(2 * day))
	if len(evs) != 1 || evs[0].Type != platform.EventAccepted || evs[0].Key != "camp/a/p/connect" || !evs[0].At.Equal(due) {
		t.Errorf("events = %+v, want the acceptance at %v", evs, due)
	}
}

func TestExpiryAndCooldown(t *testing.T) {
	opt := with(ignoreAll, roomy)
	opt.ExpireAfter = 10 * day
	m := New(opt)
	invite(t, m, "a", "p", "v", t0)
	if at, _ := m.NextEventAt(); !at.Equal(t0.Add(10 * day)) {
		t.Fatalf("NextEventAt = %v, want expiry at %v", at, t0.Add(10*day))
	}
	if evs := m.Advance(t0.Add(10*day - 1)); len(evs) != 0 {
		t.Fatalf("early events %+v", evs)
	}
	evs := m.Advance(t0.Add(10 * day))
	if len(evs) != 1 || evs[0].Type != platform.EventExpired || !evs[0].At.Equal(t0.Add(10*day)) {
		t.Fatalf("events = %+v, want one expiry", evs)
	}
	ctx := context.Background()
	try := func(key string, at time.Duration) platform.Code {
		return platform.CodeOf(m.Invite(ctx, platform.Invite{Action: platform.Action{Key: key, Account: "a", Person: "p", At: t0.Add(at)}}))
	}
	if c := try("k2", 31*day-1); c != platform.CodeCooldown {
		t.Errorf("re-invite within the cooldown: %q", c)
	}
	if c := try("k3", 31*day); c != "" {
		t.Errorf("re-invite after the cooldown: %q", c)
	}
	if st := m.Stats().Accounts["a"]; st.Expired != 1 || st.Invited != 2 || st.Pending != 1 || st.Refused[platform.CodeCooldown] != 1 {
		t.Errorf("stats = %+v", st)
	}
	// Never expiring: ignored invitations stay pending.
	opt.ExpireAfter = -1
	m = New(opt)
	invite(t, m, "a", "p", "v", t0)
	if at, ok := m.NextEventAt(); ok || len(m.Advance(t0.Add(10000*day))) != 0 {
		t.Errorf("an invitation expired (%v) with ExpireAfter < 0", at)
	}
}

func TestConnectionCapByAcceptances(t *testing.T) {
	m := New(with(acceptAll, map[string]Account{"a": {Weekly: 100, NotesPerMonth: Unlimited, Connections: ConnectionCap - 2}}))
	invite(t, m, "a", "p1", "blank", t0)
	invite(t, m, "a", "p2", "blank", t0.Add(time.Hour))
	if evs := m.Advance(t0.Add(61 * day)); len(evs) != 2 {
		t.Fatalf("events = %+v, want 2 acceptances", evs)
	}
	err := m.Invite(context.Background(), platform.Invite{Action: platform.Action{Key: "k3", Account: "a", Person: "p3", At: t0.Add(61 * day)}})
	if platform.CodeOf(err) != platform.CodeConnectionCap {
		t.Errorf("invite at the cap: %v", err)
	}
	if st := m.Stats().Accounts["a"]; st.Connections != ConnectionCap || st.Accepted != 2 {
		t.Errorf("stats = %+v", st)
	}
}

// playTwo invites n people from each of two accounts, a's at even hours and
// b's at odd ones, in the given order.
func playTwo(t *testing.T, seed int64, interleave bool) []wire.Event {
	m := New(Options{Seed: seed, Accounts: roomy})
	const n = 500
	at := func(acct string, i int) time.Time {
		h := 2 * i
		if acct == "b" {
			h++
		}
		return t0.Add(time.Duration(h) * time.Hour)
	}
	if interleave {
		for i := range n {
			invite(t, m, "a", fmt.Sprint("p", i), "v", at("a", i))
			invite(t, m, "b", fmt.Sprint("p", i), "v", at("b", i))
		}
	} else {
		for _, acct := range []string{"b", "a"} {
			for i := range n {
				invite(t, m, acct, fmt.Sprint("p", i), "v", at(acct, i))
			}
		}
	}
	var evs []wire.Event
	for {
		next, ok := m.NextEventAt()
		if !ok {
			break
		}
		got := m.Advance(next)
		if len(got) == 0 {
			t.Fatalf("Advance(NextEventAt() = %v) returned nothing", next)
		}
		evs = append(evs, got...)
	}
	for i := 1; i < len(evs); i++ {
		if evs[i].At.Before(evs[i-1].At) {
			t.Fatalf("events out of time order at %d: %v after %v", i, evs[i].At, evs[i-1].At)
		}
	}
	if st := m.Stats().Total(); len(evs) != 2*n || st.Pending != 0 || st.Accepted+st.Declined+st.Expired != 2*n {
		t.Fatalf("%d events, stats %+v", len(evs), st)
	}
	return evs
}

func TestDeterminism(t *testing.T) {
	first := playTwo(t, 7, false)
	if again := playTwo(t, 7, true); !reflect.DeepEqual(first, again) {
		t.Error("the same seed gave different events when the accounts' calls were interleaved differently")
	}
	if other := playTwo(t, 8, false); reflect.DeepEqual(first, other) {
		t.Error("another seed gave the same events")
	}
}

// answers invites n people with the given variant and returns the model's
// answers after a year, with each invitation's time.
func answers(t *testing.T, opt Options, variant string, n int) (evs []wire.Event, sent map[string]time.Time) {
	m := New(opt)
	sent = make(map[string]time.Time, n)
	for i := range n {
		at := t0.Add(time.Duration(i) * time.Minute)
		who := fmt.Sprint("person-", i)
		invite(t, m, "a", who, variant, at)
		sent["camp/a/"+who+"/connect"] = at
	}
	return m.Advance(t0.Add(400 * day)), sent
}

func shares(evs []wire.Event, n int) (accepted, declined, expired float64) {
	for _, e := range evs {
		switch e.Type {
		case platform.EventAccepted:
			accepted++
		case platform.EventDeclined:
			declined++
		case platform.EventExpired:
			expired++
		}
	}
	return accepted / float64(n), declined / float64(n), expired / float64(n)
}

func TestAcceptanceShare(t *testing.T) {
	const n = 20000
	for _, tt := range []struct {
		name             string
		opt              Options
		accept, decline  float64
		variant          string
		wantAll, pending bool
	}{
		{"defaults", Options{}, 0.30, 0.05, "v", true, false},
		{"configured", Options{AcceptRate: 0.12, DeclineRate: 0.2}, 0.12, 0.2, "v", true, false},
		{"never expiring", Options{ExpireAfter: -1}, 0.30, 0.05, "v", false, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.opt.Accounts = roomy
			evs, _ := answers(t, tt.opt, tt.variant, n)
			acc, dec, exp := shares(evs, n)
			if math.Abs(acc-tt.accept) > 0.015 || math.Abs(dec-tt.decline) > 0.015 {
				t.Errorf("accepted %.4f declined %.4f, want %.2f and %.2f (±0.015)", acc, dec, tt.accept, tt.decline)
			}
			if tt.wantAll && math.Abs(acc+dec+exp-1) > 1e-9 {
				t.Errorf("accepted+declined+expired = %.4f, want every invitation answered", acc+dec+exp)
			}
			if tt.pending && exp != 0 {
				t.Errorf("expired %.4f with ExpireAfter < 0", exp)
			}
		})
	}
}

func TestVariantRates(t *testing.T) {
	const n = 20000
	opt := Options{Accounts: roomy, AcceptRate: 0.3, VariantAcceptRates: map[string]float64{"event": 0.5, "blank": 0.1, "never": 0}}
	for variant, want := range map[string]float64{"event": 0.5, "blank": 0.1, "short": 0.3, "never": 0} {
		evs, _ := answers(t, opt, variant, n)
		if acc, _, _ := shares(evs, n); math.Abs(acc-want) > 0.015 {
			t.Errorf("variant %s: accepted %.4f, want %.2f (±0.015)", variant, acc, want)
		}
	}
}

func TestDelayQuantiles(t *testing.T) {
	const n = 20000
	evs, sent := answers(t, Options{Accounts: roomy, AcceptRate: 0.6, DeclineRate: 0.3}, "v", n)
	for _, typ := range []platform.EventType{platform.EventAccepted, platform.EventDeclined} {
		within := map[time.Duration]float64{}
		total := 0.0
		for _, e := range evs {
			if e.Type != typ {
				continue
			}
			total++
			d := e.At.Sub(sent[e.Key])
			if d < 0 || d > 60*day {
				t.Fatalf("%s after %v", typ, d)
			}
			for _, q := range []time.Duration{day, week, 30 * day} {
				if d <= q {
					within[q]++
				}
			}
		}
		for q, want := range map[time.Duration]float64{day: 0.63, week: 0.88, 30 * day: 0.99} {
			if got := within[q] / total; math.Abs(got-want) > 0.02 {
				t.Errorf("%s within %v: %.4f, want %.2f (±0.02)", typ, q, got, want)
			}
		}
	}
}

func TestDelayCurve(t *testing.T) {
	m := New(Options{})
	for _, tt := range []struct {
		u    float64
		want time.Duration
	}{
		{0, 0}, {0.315, day / 2}, {0.63, day}, {0.755, 4 * day}, {0.88, week}, {0.99, 30 * day}, {0.995, 45 * day},
	} {
		if got := time.Duration(m.delay(tt.u)); (got - tt.want).Abs() > time.Second {
			t.Errorf("delay(%v) = %v, want %v", tt.u, got, tt.want)
		}
	}
}

// TestDelayQuantile: the exported quantile is the model's own draw, on
// the default curve and on a scaled one.
func TestDelayQuantile(t *testing.T) {
	if got, want := DelayQuantile(nil, 0.95), 21*day+15*time.Hour+16*time.Minute; (got - want).Abs() > time.Minute {
		t.Errorf("DelayQuantile(nil, 0.95) = %v, want %v", got, want)
	}
	half := []DelayPoint{{day / 2, 0.5}, {day, 1}}
	if got := DelayQuantile(half, 0.75); got != 18*time.Hour {
		t.Errorf("DelayQuantile(half-day curve, 0.75) = %v, want 18h", got)
	}
	m := New(Options{})
	for _, u := range []float64{0, 0.3, 0.63, 0.9, 0.95, 0.999, 1} {
		if got, want := DelayQuantile(delaysOf(responsedelay.Default()), u), time.Duration(m.delay(u)); got != want {
			t.Errorf("DelayQuantile(%v) = %v, the model draws %v", u, got, want)
		}
	}
}

func TestAdvanceDeliversOnce(t *testing.T) {
	m := New(with(Options{}, roomy))
	for i := range 200 {
		invite(t, m, "a", fmt.Sprint("p", i), "v", t0.Add(time.Duration(i)*time.Hour))
	}
	// Requests at later times apply answers already; Advance delivers them.
	invite(t, m, "b", "late", "v", t0.Add(300*day))
	half := m.Advance(t0.Add(20 * day))
	for _, e := range half {
		if e.At.After(t0.Add(20 * day)) {
			t.Fatalf("event at %v delivered by Advance(%v)", e.At, t0.Add(20*day))
		}
	}
	rest := m.Advance(t0.Add(400 * day))
	seen := map[string]bool{}
	for _, e := range append(half, rest...) {
		if seen[e.Key] {
			t.Fatalf("event for %s delivered twice", e.Key)
		}
		seen[e.Key] = true
	}
	if len(seen) != 201 || len(half) == 0 || len(rest) == 0 {
		t.Errorf("%d + %d events for 201 invitations", len(half), len(rest))
	}
	if _, ok := m.NextEventAt(); ok {
		t.Error("NextEventAt reports an event after everything was delivered")
	}
}

func TestConcurrentUse(t *testing.T) {
	m := New(with(Options{}, roomy))
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			acct := []string{"a", "b"}[g%2]
			for i := range 500 {
				at := t0.Add(time.Duration(i) * time.Minute)
				who := fmt.Sprint(g/2, "-", i)
				a := platform.Action{Key: acct + who, Account: acct, Person: who, At: at}
				_ = m.Invite(context.Background(), platform.Invite{Action: a})
				_ = m.Invite(context.Background(), platform.Invite{Action: a}) // a repeat
				m.Advance(at)
			}
		}()
	}
	wg.Wait()
	m.Advance(t0.Add(400 * day))
	st := m.Stats().Total()
	if st.Invited != 4000 || st.Repeats != 4000 || st.Pending != 0 || st.Accepted+st.Declined+st.Expired != 4000 || len(m.Record()) != 8000 {
		t.Errorf("stats = %+v, %d records", st, len(m.Record()))
	}
}

func TestWithdrawManyCompactsHeap(t *testing.T) {
	m := New(with(Options{AcceptRate: 0.5, DeclineRate: 0.2}, roomy))
	const n = 6000
	ctx := context.Background()
	kept := map[string]bool{}
	for i := range n {
		who := fmt.Sprint("p", i)
		invite(t, m, "a", who, "v", t0.Add(time.Duration(i)*time.Second))
		if i%5 == 0 {
			kept["camp/a/"+who+"/connect"] = true
			continue
		}
		if err := m.Withdraw(ctx, platform.Action{Key: "w" + who, Account: "a", Person: who, At: t0.Add(time.Duration(i)*time.Second + 1)}); err != nil {
			t.Fatal(err)
		}
	}
	if len(m.heap) > n/2 {
		t.Errorf("heap holds %d items for %d pending invitations: cancelled ones were not compacted", len(m.heap), len(kept))
	}
	evs := m.Advance(t0.Add(400 * day))
	if len(evs) != len(kept) {
		t.Fatalf("%d events for %d invitations not withdrawn", len(evs), len(kept))
	}
	for _, e := range evs {
		if !kept[e.Key] {
			t.Fatalf("withdrawn invitation %s answered: %+v", e.Key, e)
		}
	}
	if st := m.Stats().Accounts["a"]; st.Withdrawn != n-len(kept) || st.Pending != 0 {
		t.Errorf("stats = %+v", st)
	}
}

func TestWithdrawEverything(t *testing.T) {
	// Every scheduled answer cancelled: the compaction leaves an empty heap.
	m := New(with(acceptAll, roomy))
	ctx := context.Background()
	for i := range 3000 {
		who := fmt.Sprint("p", i)
		invite(t, m, "a", who, "v", t0)
		if err := m.Withdraw(ctx, platform.Action{Key: "w" + who, Account: "a", Person: who, At: t0}); err != nil {
			t.Fatal(err)
		}
	}
	if evs := m.Advance(t0.Add(400 * day)); len(evs) != 0 {
		t.Errorf("%d events after every invitation was withdrawn", len(evs))
	}
	if at, ok := m.NextEventAt(); ok {
		t.Errorf("NextEventAt = %v", at)
	}
}
