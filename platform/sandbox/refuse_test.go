package sandbox

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/platform"
)

// twoAccounts: a has a weekly limit of 3, b of 100; everything stays
// pending.
func twoAccounts(refusals ...Refusal) *Model {
	o := with(ignoreAll, map[string]Account{
		"a": {Weekly: 3, NoteChars: 300, NotesPerMonth: Unlimited},
		"b": {Weekly: 100, NoteChars: 300, NotesPerMonth: Unlimited},
	})
	o.Refusals = refusals
	return New(o)
}

func inv(acct, key, person string, at time.Time) platform.Invite {
	return platform.Invite{Action: platform.Action{Key: key, Account: acct, Person: person, Campaign: "c", At: at}}
}

// TestRefusalWindow: a restricted refusal of account a during [1h, 2h)
// refuses a's invitations then, and only then, with a definite
// CodeRestricted; they are recorded as refused, never count as sent (a's
// weekly limit of 3 still allows three), and a repeat keeps the answer
// after the window. b is not concerned.
func TestRefusalWindow(t *testing.T) {
	m := twoAccounts(Refusal{Account: "a", Code: platform.CodeRestricted, From: t0.Add(time.Hour), Until: t0.Add(2 * time.Hour)})
	ctx := context.Background()
	steps := []struct {
		acct, key string
		at        time.Duration
		want      platform.Code
	}{
		{"a", "k1", 0, ""},
		{"a", "k2", time.Hour, platform.CodeRestricted}, // From is inclusive
		{"b", "k3", 90 * time.Minute, ""},
		{"a", "k4", 2*time.Hour - time.Millisecond, platform.CodeRestricted},
		{"a", "k5", 2 * time.Hour, ""},                      // Until is exclusive
		{"a", "k2", 3 * time.Hour, platform.CodeRestricted}, // a repeat: the first answer
		{"a", "k6", 3 * time.Hour, ""},                      // the third send of a: the refused ones did not count
		{"a", "k7", 4 * time.Hour, platform.CodeWeeklyLimit},
	}
	for i, s := range steps {
		err := m.Invite(ctx, inv(s.acct, s.key, "p-"+s.key, t0.Add(s.at)))
		if got := platform.CodeOf(err); got != s.want {
			t.Errorf("step %d: %s %s at %v: got %v, want %q", i, s.acct, s.key, s.at, err, s.want)
		}
		if platform.IsRetryable(err) {
			t.Errorf("step %d: %v is retryable", i, err)
		}
	}
	st := m.Stats().Accounts
	if st["a"].Invited != 3 || st["a"].Refused[platform.CodeRestricted] != 2 || st["a"].Repeats != 1 || st["b"].Invited != 1 {
		t.Errorf("stats %+v", st)
	}
	var refused []string
	for _, e := range m.Violations() {
		if e.Refused == platform.CodeRestricted {
			refused = append(refused, fmt.Sprintf("%s repeat=%v", e.Key, e.Repeat))
		}
	}
	if want := []string{"k2 repeat=false", "k4 repeat=false", "k2 repeat=true"}; !slices.Equal(refused, want) {
		t.Errorf("restricted in the record: %q, want %q", refused, want)
	}
}

// TestRefusalPersons: an invalid_profile refusal for one person, from any
// account, leaves the others alone; a note changes nothing.
func TestRefusalPersons(t *testing.T) {
	m := twoAccounts(Refusal{Code: platform.CodeInvalidProfile, Persons: []string{"gone"}})
	ctx := context.Background()
	for i, acct := range []string{"a", "b"} {
		at := t0.Add(time.Duration(i) * time.Minute)
		if err := m.Invite(ctx, inv(acct, acct+"-gone", "gone", at)); platform.CodeOf(err) != platform.CodeInvalidProfile || platform.IsRetryable(err) {
			t.Errorf("%s invites gone: %v, want a definite %s", acct, err, platform.CodeInvalidProfile)
		}
		ok := inv(acct, acct+"-here", "here", at)
		ok.Note = "hello"
		if err := m.Invite(ctx, ok); err != nil {
			t.Errorf("%s invites here: %v", acct, err)
		}
	}
	if tot := m.Stats().Total(); tot.Invited != 2 || tot.Refused[platform.CodeInvalidProfile] != 2 {
		t.Errorf("total %+v", tot)
	}
}

// TestRefusalRate: a rate of 0.3 refuses about 30% of the invitations,
// the same ones for the same seed, other ones for another seed.
func TestRefusalRate(t *testing.T) {
	refusedKeys := func(seed int64) map[string]bool {
		o := with(ignoreAll, map[string]Account{"b": {Weekly: 1 << 30, NoteChars: 300, NotesPerMonth: Unlimited}})
		o.Seed = seed
		o.Refusals = []Refusal{{Code: platform.CodeWeeklyLimit, Rate: 0.3}}
		m := New(o)
		out := map[string]bool{}
		for i := range 2000 {
			key := fmt.Sprintf("k%d", i)
			if err := m.Invite(context.Background(), inv("b", key, key, t0.Add(time.Duration(i)*time.Second))); err != nil {
				if platform.CodeOf(err) != platform.CodeWeeklyLimit {
					t.Fatalf("%s: %v", key, err)
				}
				out[key] = true
			}
		}
		return out
	}
	a, again, other := refusedKeys(1), refusedKeys(1), refusedKeys(2)
	if n := len(a); n < 520 || n > 680 { // 600 ± 4.9 standard deviations
		t.Errorf("%d of 2000 refused at a rate of 0.3", n)
	}
	same := 0
	for k := range a {
		if !again[k] {
			t.Fatalf("seed 1 refused %s once, not the second time", k)
		}
		if other[k] {
			same++
		}
	}
	if len(a) != len(again) || same > len(a)/2 {
		t.Errorf("seed 1: %d then %d refused; seed 2 refused %d of the same", len(a), len(again), same)
	}
}

// TestUnavailableNotPerformed: an outage answers a retryable unavailable
// and performs nothing, remembering no answer: the retry with the same key
// after the outage is a first request, and the person is invited once.
func TestUnavailableNotPerformed(t *testing.T) {
	m := twoAccounts(Refusal{Account: "a", Code: platform.CodeUnavailable, Until: t0.Add(time.Minute)})
	ctx := context.Background()
	for i := range 2 {
		err := m.Invite(ctx, inv("a", "k", "p", t0.Add(time.Duration(i)*time.Second)))
		if platform.CodeOf(err) != platform.CodeUnavailable || !platform.IsRetryable(err) {
			t.Fatalf("attempt %d during the outage: %v, want a retryable unavailable", i, err)
		}
	}
	if st := m.Stats().Accounts["a"]; st.Invited != 0 || st.Pending != 0 || st.Refused[platform.CodeUnavailable] != 2 {
		t.Errorf("during the outage: %+v", st)
	}
	if err := m.Invite(ctx, inv("a", "k", "p", t0.Add(time.Minute))); err != nil {
		t.Fatalf("retry after the outage: %v", err)
	}
	if err := m.Invite(ctx, inv("b", "kb", "p", t0)); err != nil {
		t.Errorf("b during a's outage: %v", err)
	}
	rec := m.Record()
	var got []string
	for _, e := range rec {
		if e.Account == "a" {
			got = append(got, fmt.Sprintf("%s %q repeat=%v lost=%v", e.Key, e.Refused, e.Repeat, e.Lost))
		}
	}
	want := []string{`k "unavailable" repeat=false lost=false`, `k "unavailable" repeat=false lost=false`, `k "" repeat=false lost=false`}
	if !slices.Equal(got, want) {
		t.Errorf("record of a:\n%q\nwant\n%q", got, want)
	}
	if st := m.Stats().Accounts["a"]; st.Invited != 1 || st.Repeats != 0 {
		t.Errorf("after the retry: %+v", st)
	}
}

// TestUnavailableApplied: an outage after the fact performs the invitation
// but loses the answer: the caller sees a retryable unavailable, the
// platform counts one invitation, and the retries with the same key are
// repeats (unavailable again during the outage, the first answer after).
func TestUnavailableApplied(t *testing.T) {
	m := twoAccounts(Refusal{Code: platform.CodeUnavailable, Applied: true, From: t0, Until: t0.Add(time.Minute)})
	ctx := context.Background()
	for i := range 2 {
		err := m.Invite(ctx, inv("a", "k", "p", t0.Add(time.Duration(i)*time.Second)))
		if platform.CodeOf(err) != platform.CodeUnavailable || !platform.IsRetryable(err) {
			t.Fatalf("attempt %d: %v, want a retryable unavailable", i, err)
		}
	}
	if err := m.Invite(ctx, inv("a", "k", "p", t0.Add(time.Minute))); err != nil {
		t.Fatalf("retry after the outage: %v", err)
	}
	// A new key for the same person now is a duplicate: the first
	// attempt's invitation is pending.
	if err := m.Invite(ctx, inv("a", "k2", "p", t0.Add(2*time.Minute))); platform.CodeOf(err) != platform.CodeDuplicate {
		t.Errorf("another key for p: %v, want duplicate", err)
	}
	var got []string
	for _, e := range m.Record()[:3] {
		got = append(got, fmt.Sprintf("%q repeat=%v lost=%v", e.Refused, e.Repeat, e.Lost))
	}
	want := []string{`"" repeat=false lost=true`, `"" repeat=true lost=true`, `"" repeat=true lost=false`}
	if !slices.Equal(got, want) {
		t.Errorf("record:\n%q\nwant\n%q", got, want)
	}
	if st := m.Stats().Accounts["a"]; st.Invited != 1 || st.Pending != 1 || st.Repeats != 2 || st.Lost != 2 || st.Refused[platform.CodeUnavailable] != 0 {
		t.Errorf("stats %+v", st)
	}
}

// TestUnavailableRateRetries: a transient failure drawn at a rate is drawn
// again on each attempt, so retries with the same key get through.
func TestUnavailableRateRetries(t *testing.T) {
	m := twoAccounts(Refusal{Account: "b", Code: platform.CodeUnavailable, Rate: 0.5})
	ctx := context.Background()
	failed, attempts := 0, 0
	for i := range 50 {
		key := fmt.Sprintf("k%d", i)
		for try := 0; ; try++ {
			attempts++
			err := m.Invite(ctx, inv("b", key, key, t0.Add(time.Duration(attempts)*time.Second)))
			if err == nil {
				break
			}
			if !platform.IsRetryable(err) {
				t.Fatalf("%s: %v", key, err)
			}
			failed++
			if try > 40 {
				t.Fatalf("%s failed %d times in a row at a rate of 0.5", key, try+1)
			}
		}
	}
	if failed < 15 || failed > 120 {
		t.Errorf("%d failures for 50 invitations at a rate of 0.5", failed)
	}
	if st := m.Stats().Accounts["b"]; st.Invited != 50 || st.Repeats != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestRefusalValidate(t *testing.T) {
	bad := []Refusal{
		{Code: platform.CodeNotPending},
		{Code: platform.CodeRestricted, Rate: 1.5},
		{Code: platform.CodeRestricted, From: t0, Until: t0},
		{Code: platform.CodeRestricted, Applied: true},
		{Code: platform.CodeInvalidProfile, Persons: []string{""}},
	}
	for _, r := range bad {
		if err := (Options{Refusals: []Refusal{r}}).Validate(); err == nil {
			t.Errorf("%+v: no error", r)
		}
	}
	for _, c := range RefusalCodes {
		if err := (Options{Refusals: []Refusal{{Code: c, Rate: -1}}}).Validate(); err != nil {
			t.Errorf("code %s: %v", c, err)
		}
	}
	if !slices.Equal(RefusalCodes, config.RefusalCodes) {
		t.Errorf("the sandbox takes %v, the config %v", RefusalCodes, config.RefusalCodes)
	}
}

// TestOptionsFromConfigRefuse: platform.sandbox.refuse reaches the model.
func TestOptionsFromConfigRefuse(t *testing.T) {
	cfg, fs, err := config.Load("../../config/testdata/sandbox-refuse.good.yaml")
	if err != nil || fs.HasErrors() {
		t.Fatal(err, fs.Strings())
	}
	opt, err := OptionsFromConfig(cfg, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(opt.Refusals) != 4 {
		t.Fatalf("refusals %+v", opt.Refusals)
	}
	m := New(opt)
	ctx := context.Background()
	day := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC) // after the outage, within alice's restriction
	if err := m.Invite(ctx, inv("alice", "k1", "https://example.com/in/ann", day)); platform.CodeOf(err) != platform.CodeRestricted {
		t.Errorf("alice during her restriction: %v", err)
	}
	if err := m.Invite(ctx, inv("alice", "k2", "https://example.com/in/ann", day.Add(24*time.Hour))); err != nil {
		t.Errorf("alice after her restriction: %v", err)
	}
	if err := m.Invite(ctx, inv("bob", "k3", "https://example.com/in/gone-2", day)); platform.CodeOf(err) != platform.CodeInvalidProfile {
		t.Errorf("bob invites a gone profile: %v", err)
	}
	if err := m.Invite(ctx, inv("bob", "k4", "https://example.com/in/ann", time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))); platform.CodeOf(err) != platform.CodeUnavailable {
		t.Errorf("bob during the outage: %v", err)
	}
}
