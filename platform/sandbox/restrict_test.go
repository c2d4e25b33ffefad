package sandbox

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/wire"
)

// restricting returns a model of roomy accounts with the given rules, and
// the restrictions it imposes.
func restricting(opt Options, rules RestrictionRules) (*Model, *[]Restriction) {
	var got []Restriction
	opt.Accounts = roomy
	opt.Restrictions = &rules
	opt.OnRestrict = func(r Restriction) { got = append(got, r) }
	return New(opt), &got
}

func tryInvite(m *Model, acct, who string, at time.Time) error {
	return m.Invite(context.Background(), platform.Invite{
		Action: platform.Action{Key: "camp/" + acct + "/" + who + "/connect", Account: acct, Person: who, Campaign: "camp", At: at},
	})
}

func tryWithdraw(m *Model, acct, who string, at time.Time) error {
	return m.Withdraw(context.Background(), platform.Action{Key: "camp/" + acct + "/" + who + "/withdraw", Account: acct, Person: who, Campaign: "camp", At: at})
}

// TestRestrictLowAcceptance: every invitation is declined within two
// hours; with a window of 10, the first invitation after ten declines is
// refused restricted and restricts the account for the duration; nine
// declines are not enough. Account b is not concerned.
func TestRestrictLowAcceptance(t *testing.T) {
	opt := declineAll
	opt.Delays = []DelayPoint{{time.Hour, 0}, {2 * time.Hour, 1}}
	m, got := restricting(opt, RestrictionRules{Window: 10, MinAcceptance: 0.15, Duration: 3 * day})
	for i := range 10 {
		if err := tryInvite(m, "a", fmt.Sprint("p", i), t0.Add(time.Duration(i)*time.Minute)); err != nil {
			t.Fatalf("invitation %d: %v", i, err)
		}
	}
	// At 59m none has been declined yet (each takes at least an hour):
	// the window is not full, nothing is judged. This one is declined by
	// 2h59m too.
	if err := tryInvite(m, "a", "early", t0.Add(59*time.Minute)); err != nil {
		t.Fatalf("invitation before the window is full: %v", err)
	}
	at := t0.Add(3 * time.Hour)
	m.Advance(at)
	err := tryInvite(m, "a", "late", at)
	if platform.CodeOf(err) != platform.CodeRestricted {
		t.Fatalf("invitation after 10 declines: %v, want restricted", err)
	}
	want := []Restriction{{Account: "a", At: at, Until: at.Add(3 * day), Reason: ReasonLowAcceptance, Accepted: 0, Window: 10, Pending: 0}}
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("restrictions = %+v, want %+v", *got, want)
	}
	if err := tryInvite(m, "b", "other", at); err != nil {
		t.Errorf("account b: %v", err)
	}
	// Restricted until exactly at+3d, refused meanwhile; then the window
	// starts empty, so the account may send again.
	if err := tryInvite(m, "a", "during", at.Add(3*day-time.Nanosecond)); platform.CodeOf(err) != platform.CodeRestricted {
		t.Errorf("invitation during the restriction: %v, want restricted", err)
	}
	if err := tryInvite(m, "a", "after", at.Add(3*day)); err != nil {
		t.Errorf("invitation when the restriction ends: %v", err)
	}
	if n := m.Stats().Accounts["a"].Restrictions; n != 1 || len(*got) != 1 {
		t.Errorf("%d restrictions counted, %d reported, want 1", n, len(*got))
	}
}

// TestRestrictAcceptanceThreshold: 2 acceptances in a window of 10 is
// acceptance 0.2: restricted under 0.25, not under 0.2.
func TestRestrictAcceptanceThreshold(t *testing.T) {
	for _, tt := range []struct {
		min  float64
		want platform.Code
	}{{0.25, platform.CodeRestricted}, {0.2, ""}} {
		opt := Options{AcceptRate: -1, DeclineRate: 1, Delays: []DelayPoint{{time.Hour, 0}, {2 * time.Hour, 1}},
			VariantAcceptRates: map[string]float64{"yes": 1, "no": 0}}
		m, _ := restricting(opt, RestrictionRules{Window: 10, MinAcceptance: tt.min})
		for i := range 10 {
			variant := "no"
			if i < 2 {
				variant = "yes"
			}
			invite(t, m, "a", fmt.Sprint("p", i), variant, t0.Add(time.Duration(i)*time.Minute))
		}
		at := t0.Add(3 * time.Hour)
		if st := m.Stats().Accounts["a"]; st.Accepted+st.Declined != 0 {
			t.Fatalf("answers before Advance: %+v", st)
		}
		m.Advance(at)
		if st := m.Stats().Accounts["a"]; st.Accepted != 2 || st.Declined != 8 {
			t.Fatalf("accepted %d declined %d, want 2 and 8", st.Accepted, st.Declined)
		}
		if err := tryInvite(m, "a", "next", at); platform.CodeOf(err) != tt.want {
			t.Errorf("min acceptance %v: got %v, want %q", tt.min, err, tt.want)
		}
	}
}

// TestRestrictIgnoredAfter14Days: ignored invitations count as not
// accepted IgnoredAfter after they were sent, not before.
func TestRestrictIgnoredAfter14Days(t *testing.T) {
	m, got := restricting(ignoreAll, RestrictionRules{Window: 5, MaxPending: -1})
	for i := range 5 {
		if err := tryInvite(m, "a", fmt.Sprint("p", i), t0.Add(time.Duration(i)*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	// The fifth was sent at t0+4h: 14 days later the window is full.
	if err := tryInvite(m, "a", "x", t0.Add(IgnoredAfter+4*time.Hour-time.Nanosecond)); err != nil {
		t.Fatalf("before the fifth is 14 days old: %v", err)
	}
	at := t0.Add(IgnoredAfter + 4*time.Hour)
	if err := tryInvite(m, "a", "y", at); platform.CodeOf(err) != platform.CodeRestricted {
		t.Fatalf("when the fifth is 14 days old: %v, want restricted", err)
	}
	if len(*got) != 1 || (*got)[0].Reason != ReasonLowAcceptance || !(*got)[0].At.Equal(at) || (*got)[0].Pending != 6 {
		t.Errorf("restrictions = %+v", *got)
	}
}

// TestRestrictMaxPending: the invitation finding more than MaxPending
// pending is refused and restricts the account; withdrawing does not lift
// the restriction; it lifts after Duration; an account still above the
// ceiling then is restricted again at its next invitation.
func TestRestrictMaxPending(t *testing.T) {
	m, got := restricting(ignoreAll, RestrictionRules{MaxPending: 5, MinAcceptance: -1})
	for i := range 6 { // 6 pending: above 5, but found only by the next invitation
		if err := tryInvite(m, "a", fmt.Sprint("p", i), t0.Add(time.Duration(i)*time.Minute)); err != nil {
			t.Fatalf("invitation %d: %v", i, err)
		}
	}
	at := t0.Add(time.Hour)
	if err := tryInvite(m, "a", "p6", at); platform.CodeOf(err) != platform.CodeRestricted {
		t.Fatalf("invitation with 6 pending: %v, want restricted", err)
	}
	until := at.Add(DefaultRestrictionDuration)
	want := Restriction{Account: "a", At: at, Until: until, Reason: ReasonMaxPending, Pending: 6}
	if len(*got) != 1 || (*got)[0] != want {
		t.Fatalf("restrictions = %+v, want %+v", *got, want)
	}
	if err := tryWithdraw(m, "a", "p0", at.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := tryInvite(m, "a", "p7", at.Add(2*time.Minute)); platform.CodeOf(err) != platform.CodeRestricted {
		t.Errorf("after withdrawing to 5 pending: %v, want still restricted", err)
	}
	if err := tryInvite(m, "a", "p8", until.Add(-time.Nanosecond)); platform.CodeOf(err) != platform.CodeRestricted {
		t.Errorf("just before the end: %v, want restricted", err)
	}
	if err := tryInvite(m, "a", "p9", until); err != nil {
		t.Errorf("at the end, 5 pending: %v", err)
	}
	// 6 pending again: the next invitation restricts anew.
	if err := tryInvite(m, "a", "p10", until.Add(time.Minute)); platform.CodeOf(err) != platform.CodeRestricted {
		t.Errorf("6 pending after the restriction: %v, want restricted", err)
	}
	if len(*got) != 2 || !(*got)[1].At.Equal(until.Add(time.Minute)) {
		t.Errorf("restrictions = %+v, want a second at the end + 1m", *got)
	}
	if n := m.Stats().Accounts["a"].Restrictions; n != 2 {
		t.Errorf("Stats Restrictions = %d, want 2", n)
	}
	// Refused invitations were recorded as violations, with the code.
	var refused int
	for _, v := range m.Violations() {
		if v.Refused == platform.CodeRestricted {
			refused++
		}
	}
	if refused != 4 {
		t.Errorf("%d restricted refusals recorded, want 4", refused)
	}
}

// TestRestrictionRulesOff: without Options.Restrictions nothing is ever
// restricted, whatever the record.
func TestRestrictionRulesOff(t *testing.T) {
	m := New(with(ignoreAll, roomy))
	for i := range 1000 {
		if err := tryInvite(m, "a", fmt.Sprint("p", i), t0.Add(time.Duration(i)*time.Hour)); err != nil {
			t.Fatalf("invitation %d: %v", i, err)
		}
	}
}

// TestGoodAccountNeverRestricted: an account at the default rates
// sending 150 invitations a week for a year, and withdrawing what is
// unanswered after 21 days as outreach does, is never restricted by the
// default rules; at an acceptance of 10% it is.
func TestGoodAccountNeverRestricted(t *testing.T) {
	for _, tt := range []struct {
		name     string
		opt      Options
		restrict bool
	}{{"defaults", Options{}, false}, {"bad list", Options{AccountAcceptRates: map[string]float64{"a": 0.10}}, true}} {
		t.Run(tt.name, func(t *testing.T) {
			opt := tt.opt
			opt.Seed = 7
			m, got := restricting(opt, RestrictionRules{})
			var sent []time.Time
			refused := 0
			for i := range 150 * 52 {
				at := t0.Add(time.Duration(i) * week / 150)
				m.Advance(at)
				for len(sent) > 0 && at.Sub(sent[0]) >= 21*day {
					k := i - len(sent)
					_ = tryWithdraw(m, "a", fmt.Sprint("p", k), at) // not_pending when answered
					sent = sent[1:]
				}
				err := tryInvite(m, "a", fmt.Sprint("p", i), at)
				switch platform.CodeOf(err) {
				case "":
				case platform.CodeRestricted:
					refused++
				default:
					t.Fatalf("invitation %d: %v", i, err)
				}
				sent = append(sent, at) // refused ones are withdrawn not_pending: harmless
			}
			if st := m.Stats().Accounts["a"]; tt.restrict != (st.Restrictions > 0) || tt.restrict != (refused > 0) || len(*got) != st.Restrictions {
				t.Errorf("%d restrictions (%d reported), %d refused; want restricted %v", st.Restrictions, len(*got), refused, tt.restrict)
			}
			t.Logf("%d restrictions: %+v", len(*got), *got)
		})
	}
}

// TestRestrictAgainstReference drives seeded random accounts (invitations,
// withdrawals of old pending ones) and checks every answer against a
// direct computation of the rules from the answers the model delivered.
func TestRestrictAgainstReference(t *testing.T) {
	reasons := map[string]int{}
	for seed := range uint64(12) {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			for _, r := range checkRestrictReference(t, seed) {
				reasons[r]++
			}
		})
	}
	if reasons[ReasonLowAcceptance] == 0 || reasons[ReasonMaxPending] == 0 {
		t.Errorf("restrictions by reason %v: want both rules taken", reasons)
	}
}

type refInv struct {
	who      string
	sent     time.Time
	resolved time.Time // zero: not yet
	accepted bool
	open     bool // pending
}

func checkRestrictReference(t *testing.T, seed uint64) []string {
	r := rand.New(rand.NewPCG(seed, 99))
	rules := RestrictionRules{
		MinAcceptance: 0.1 + 0.2*r.Float64(),
		Window:        10 + r.IntN(60),
		MaxPending:    50 + r.IntN(150),
		Duration:      time.Duration(1+r.IntN(10)) * day,
	}
	opt := Options{Seed: int64(seed) + 1, AcceptRate: 0.1 + 0.3*r.Float64(), DeclineRate: 0.1}
	m, got := restricting(opt, rules)
	var invs []*refInv
	byWho := map[string]*refInv{}
	var restrictedUntil, lastRestriction time.Time
	var reasons []string
	withdrawAfter := time.Duration(3+r.IntN(20)) * day
	at := t0
	for i := 0; i < 3000; i++ {
		at = at.Add(time.Duration(10+r.IntN(120)) * time.Minute)
		for _, ev := range m.Advance(at) {
			x := byWho[ev.Person]
			x.open = false
			if x.resolved.IsZero() && ev.At.Sub(x.sent) < IgnoredAfter {
				x.resolved, x.accepted = ev.At, ev.Type == platform.EventAccepted
			}
		}
		// Withdraw the pending invitations older than withdrawAfter.
		for _, x := range invs {
			if x.open && at.Sub(x.sent) >= withdrawAfter {
				if err := tryWithdraw(m, "a", x.who, at); err != nil {
					t.Fatalf("withdraw %s: %v", x.who, err)
				}
				x.open = false
				if x.resolved.IsZero() && at.Sub(x.sent) < IgnoredAfter {
					x.resolved = at
				}
			}
		}
		// The reference: what the rules say of an invitation now.
		want := platform.Code("")
		var wantR *Restriction
		if !at.Before(restrictedUntil) {
			pending := 0
			var window []*refInv
			for _, x := range invs {
				if x.open {
					pending++
				}
				res := x.resolved
				if res.IsZero() && !at.Before(x.sent.Add(IgnoredAfter)) {
					res = x.sent.Add(IgnoredAfter)
				}
				if !res.IsZero() && res.After(lastRestriction) {
					window = append(window, &refInv{resolved: res, accepted: x.accepted && res.Equal(x.resolved)})
				}
			}
			slices.SortStableFunc(window, func(a, b *refInv) int { return a.resolved.Compare(b.resolved) })
			if len(window) > rules.Window {
				window = window[len(window)-rules.Window:]
			}
			acc := 0
			for _, x := range window {
				if x.accepted {
					acc++
				}
			}
			switch {
			case pending > rules.MaxPending:
				wantR = &Restriction{Reason: ReasonMaxPending}
			case len(window) == rules.Window && float64(acc) < rules.MinAcceptance*float64(rules.Window):
				wantR = &Restriction{Reason: ReasonLowAcceptance}
			}
			if wantR != nil {
				*wantR = Restriction{Account: "a", At: at, Until: at.Add(rules.Duration), Reason: wantR.Reason,
					Accepted: acc, Window: len(window), Pending: pending}
				want = platform.CodeRestricted
			}
		} else {
			want = platform.CodeRestricted
		}
		who := fmt.Sprint("p", i)
		n := len(*got)
		err := tryInvite(m, "a", who, at)
		if platform.CodeOf(err) != want {
			t.Fatalf("invitation %d at %s: %v, want %q (rules %+v)", i, at.Sub(t0), err, want, rules)
		}
		if wantR != nil {
			if len(*got) != n+1 || (*got)[n] != *wantR {
				t.Fatalf("invitation %d: restrictions %+v, want %+v", i, (*got)[n:], *wantR)
			}
			restrictedUntil, lastRestriction = wantR.Until, at
			reasons = append(reasons, wantR.Reason)
		} else if len(*got) != n {
			t.Fatalf("invitation %d: unexpected restriction %+v", i, (*got)[n:])
		}
		if err == nil {
			x := &refInv{who: who, sent: at, open: true}
			invs = append(invs, x)
			byWho[who] = x
		}
	}
	t.Logf("rules %+v accept %.2f: %d restrictions %v", rules, opt.AcceptRate, len(reasons), reasons)
	return reasons
}

// TestAccountAcceptRates: an account's rate changes the acceptance of its
// invitations only; a variant's rate scales it relative to AcceptRate.
func TestAccountAcceptRates(t *testing.T) {
	const n = 20000
	base := Options{Seed: 5, AcceptRate: 0.3, VariantAcceptRates: map[string]float64{"event": 0.6}}
	withRate := base
	withRate.AccountAcceptRates = map[string]float64{"a": 0.1}
	run := func(opt Options, acct, variant string) []wire.Event {
		opt.Accounts = roomy
		m := New(opt)
		for i := range n {
			invite(t, m, acct, fmt.Sprint("person-", i), variant, t0.Add(time.Duration(i)*time.Minute))
		}
		return m.Advance(t0.Add(400 * day))
	}
	for _, tt := range []struct {
		acct, variant string
		want          float64
	}{{"a", "v", 0.1}, {"a", "event", 0.2}, {"b", "v", 0.3}, {"b", "event", 0.6}} {
		evs := run(withRate, tt.acct, tt.variant)
		if acc, dec, _ := shares(evs, n); math.Abs(acc-tt.want) > 0.015 || math.Abs(dec-0.05) > 0.01 {
			t.Errorf("account %s variant %s: accepted %.4f declined %.4f, want %.2f and 0.05", tt.acct, tt.variant, acc, dec, tt.want)
		}
		if tt.acct == "b" && !reflect.DeepEqual(evs, run(base, tt.acct, tt.variant)) {
			t.Errorf("account b variant %s: answers differ from the model without account rates", tt.variant)
		}
	}
}

func TestRestrictionValidate(t *testing.T) {
	accts := map[string]Account{"a": {}}
	for _, tt := range []struct {
		opt  Options
		want string // "" valid
	}{
		{Options{Accounts: accts, Restrictions: &RestrictionRules{}}, ""},
		{Options{Accounts: accts, Restrictions: &RestrictionRules{MinAcceptance: -1, MaxPending: -1}}, ""},
		{Options{Accounts: accts, Restrictions: &RestrictionRules{MinAcceptance: 1.5}}, "min acceptance 1.5"},
		{Options{Accounts: accts, Restrictions: &RestrictionRules{MinAcceptance: math.NaN()}}, "min acceptance NaN"},
		{Options{Accounts: accts, Restrictions: &RestrictionRules{Window: -3}}, "window -3"},
		{Options{Accounts: accts, Restrictions: &RestrictionRules{Window: maxRestrictionWindow + 1}}, "window 100001"},
		{Options{Accounts: accts, Restrictions: &RestrictionRules{Duration: -time.Hour}}, "duration -1h0m0s"},
		{Options{Accounts: accts, AccountAcceptRates: map[string]float64{"a": 0.2}}, ""},
		{Options{Accounts: accts, AccountAcceptRates: map[string]float64{"zz": 0.2}}, `account "zz" is not one of Accounts`},
		{Options{Accounts: accts, AccountAcceptRates: map[string]float64{"a": 1.2}}, `account "a" accept rate 1.2`},
		{Options{Accounts: accts, AccountAcceptRates: map[string]float64{"a": -0.1}}, `account "a" accept rate -0.1`},
	} {
		err := tt.opt.Validate()
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%+v: %v", tt.opt.Restrictions, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%+v: error %v, want %q", tt.opt.Restrictions, err, tt.want)
		}
	}
}

// TestOptionsFromConfigRestrict: platform.sandbox.restrict and
// account_accept_rates reach the model; restrict is off unless enabled,
// and a min_acceptance of 0 turns the acceptance rule off.
func TestOptionsFromConfigRestrict(t *testing.T) {
	const accounts = "accounts:\n  - {id: alice, tier: free}\n  - {id: bob, tier: free}\n"
	for _, tt := range []struct {
		sandbox string
		want    *RestrictionRules
		rates   map[string]float64
	}{
		{"seed: 1", &RestrictionRules{MinAcceptance: 0.15, Window: 200, MaxPending: 500, Duration: 7 * day}, nil},
		{"restrict: {min_acceptance: 0.3}", &RestrictionRules{MinAcceptance: 0.3, Window: 200, MaxPending: 500, Duration: 7 * day}, nil},
		{"restrict: {enabled: false, min_acceptance: 0.3}", nil, nil},
		{"restrict: {enabled: true}", &RestrictionRules{MinAcceptance: 0.15, Window: 200, MaxPending: 500, Duration: 7 * day}, nil},
		{"restrict: {enabled: true, min_acceptance: 0, window: 50, max_pending: 80, duration: 2d}\naccount_accept_rates: {bob: 0.05}",
			&RestrictionRules{MinAcceptance: -1, Window: 50, MaxPending: 80, Duration: 2 * day}, map[string]float64{"bob": 0.05}},
	} {
		cfg, fs := config.Parse("c.yaml", []byte("platform:\n  sandbox:\n"+indent(tt.sandbox)+accounts))
		if fs.HasErrors() {
			t.Fatal(fs.Strings())
		}
		opt, err := OptionsFromConfig(cfg, 0)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(opt.Restrictions, tt.want) || !reflect.DeepEqual(opt.AccountAcceptRates, tt.rates) {
			t.Errorf("%s: restrictions %+v, account rates %v; want %+v, %v", tt.sandbox, opt.Restrictions, opt.AccountAcceptRates, tt.want, tt.rates)
		}
	}
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(s, "\n", "\n    ") + "\n"
}
