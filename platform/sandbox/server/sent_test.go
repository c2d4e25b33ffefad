package server

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/platform/sandbox"
	"github.com/outreach-scheduler/outreach/platform/webhook"
)

// TestSentInvitationsOverHTTP: the webhook driver's sent-invitations
// request, signed, answered by the sandbox server with the model's record.
func TestSentInvitationsOverHTTP(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: t0}
	m := acceptAll()
	hs := httptest.NewServer(New(m, Options{Keys: webhook.StandardKeys(secret), Now: c.now}))
	defer hs.Close()
	d := newDriver(t, hs.URL, c)
	for i, p := range []string{"ann", "bo", "cy"} {
		inv := invite("k"+p, "https://example.com/in/"+p)
		inv.At = t0.Add(time.Duration(i) * time.Hour)
		inv.Campaign, inv.Variant, inv.Note = "spring", "hi", "Hi!"
		if err := d.Invite(ctx, inv); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Withdraw(ctx, platform.Action{Key: "w", Account: "alice", Person: "https://example.com/in/cy", Campaign: "spring", At: t0.Add(2*time.Hour + time.Minute)}); err != nil {
		t.Fatal(err)
	}
	c.set(t0.Add(3 * time.Hour))
	sent, err := d.SentInvitations(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	want, err := m.SentInvitations(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(sent) != 3 || len(want) != 3 {
		t.Fatalf("over HTTP %d, in the model %d; want 3", len(sent), len(want))
	}
	for i := range sent {
		g, w := sent[i], want[i]
		if g.Key != w.Key || g.Account != w.Account || g.Person != w.Person || g.Campaign != "spring" || !g.At.Equal(w.At) ||
			g.Variant != "hi" || !g.Note || g.Answer != w.Answer || !g.AnsweredAt.Equal(w.AnsweredAt) {
			t.Errorf("invitation %d: over HTTP %+v, in the model %+v", i, g, w)
		}
	}
	if sent[2].Answer != platform.AnswerWithdrawn {
		t.Errorf("the withdrawn invitation: %+v", sent[2])
	}
	// since: only the later ones.
	if later, err := d.SentInvitations(ctx, t0.Add(30*time.Minute)); err != nil || len(later) != 2 {
		t.Errorf("since t0+30m: %d invitations, %v; want 2", len(later), err)
	}

	// A wrong secret is refused (401), and not taken for "cannot answer".
	bad, err := webhook.New(webhook.Options{URL: hs.URL, Keys: webhook.StandardKeys([]byte("wrong")), Now: c.now, Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bad.SentInvitations(ctx, time.Time{}); err == nil || errors.Is(err, platform.ErrNoSentRecord) {
		t.Errorf("a wrong secret: %v; want a refusal", err)
	}

	// A model that keeps only violations cannot answer: 501.
	vs := httptest.NewServer(New(sandbox.New(sandbox.Options{ViolationsOnly: true}), Options{Keys: webhook.StandardKeys(secret), Now: c.now}))
	defer vs.Close()
	if _, err := newDriver(t, vs.URL, c).SentInvitations(ctx, time.Time{}); !errors.Is(err, platform.ErrNoSentRecord) {
		t.Errorf("a server that cannot answer: %v; want ErrNoSentRecord", err)
	}
}

// TestSentInvitationsNotImplemented: an integration without the request
// (404) cannot answer; 5xx is retried.
func TestSentInvitationsNotImplemented(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: t0}
	var calls atomic.Int32
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch calls.Add(1) {
		case 1:
			http.NotFound(w, r)
		case 2:
			http.Error(w, "busy", http.StatusServiceUnavailable)
		default:
			w.Write([]byte(`{"invitations":[{"key":"k","account":"alice","person":"p","campaign":"c","at":"2026-03-02T09:00:00Z","answer":"declined","answered":"2026-03-02T10:00:00Z"}]}`))
		}
	}))
	defer hs.Close()
	d := newDriver(t, hs.URL, c)
	if _, err := d.SentInvitations(ctx, time.Time{}); !errors.Is(err, platform.ErrNoSentRecord) {
		t.Fatalf("404: %v; want ErrNoSentRecord", err)
	}
	sent, err := d.SentInvitations(ctx, time.Time{})
	if err != nil || len(sent) != 1 || sent[0].Answer != platform.AnswerDeclined || calls.Load() != 3 {
		t.Errorf("503 then 200: %+v, %v after %d calls", sent, err, calls.Load())
	}
}
