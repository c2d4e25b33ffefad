package server

import (
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/platform/sandbox"
	"github.com/outreach-scheduler/outreach/platform/webhook"
)

// TestConfiguredRefusalsOverHTTP: the server refuses as its model's
// configured refusals say, and the webhook driver returns the same
// platform error: a definite restricted or invalid_profile, and, for an
// outage, a retryable unavailable once its own retries are spent (each
// attempt recorded by the sandbox under the same key).
func TestConfiguredRefusalsOverHTTP(t *testing.T) {
	acct := sandbox.Account{Weekly: 10, NoteChars: 300, NotesPerMonth: sandbox.Unlimited}
	m := sandbox.New(sandbox.Options{AcceptRate: -1, DeclineRate: -1,
		Accounts: map[string]sandbox.Account{"alice": acct, "bob": acct, "carol": acct},
		Refusals: []sandbox.Refusal{
			{Account: "alice", Code: platform.CodeRestricted, From: t0, Until: t0.Add(time.Hour)},
			{Persons: []string{"gone"}, Code: platform.CodeInvalidProfile},
			{Account: "carol", Code: platform.CodeUnavailable},
		}})
	c := &clock{t: t0}
	srv := httptest.NewServer(New(m, Options{Keys: webhook.StandardKeys(secret), Now: c.now}))
	defer srv.Close()
	d := newDriver(t, srv.URL, c) // 1 + 3 attempts, 1ms apart

	send := func(account, key, person string) error {
		r := invite(key, person)
		r.Account = account
		return d.Invite(t.Context(), r)
	}
	for _, s := range []struct {
		account, key, person string
		want                 platform.Code
		retryable            bool
	}{
		{"alice", "k1", "ann", platform.CodeRestricted, false},
		{"bob", "k2", "gone", platform.CodeInvalidProfile, false},
		{"bob", "k3", "ann", "", false},
		{"carol", "k4", "ann", platform.CodeUnavailable, true},
	} {
		err := send(s.account, s.key, s.person)
		var pe *platform.Error
		if s.want == "" {
			if err != nil {
				t.Errorf("%s invites %s: %v", s.account, s.person, err)
			}
			continue
		}
		if !errors.As(err, &pe) || pe.Code != s.want || pe.Retryable != s.retryable {
			t.Errorf("%s invites %s: %#v, want a platform error %s (retryable %v)", s.account, s.person, err, s.want, s.retryable)
		}
	}

	var inv Invitations
	getJSON(t, srv.URL+"/v1/invitations", &inv)
	count := map[string]int{}
	for _, e := range inv.Requests {
		count[e.Key+" "+string(e.Refused)]++
	}
	want := map[string]int{"k1 restricted": 1, "k2 invalid_profile": 1, "k3 ": 1, "k4 unavailable": 4}
	if len(count) != len(want) {
		t.Errorf("the sandbox's record: %v, want %v", count, want)
	}
	for k, n := range want {
		if count[k] != n {
			t.Errorf("the sandbox's record: %v, want %v", count, want)
			break
		}
	}
	if st := m.Stats().Total(); st.Invited != 1 {
		t.Errorf("invited %d, want 1 (only bob to ann)", st.Invited)
	}
}
