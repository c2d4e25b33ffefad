package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/wire"
)

// answer posts r over HTTP and returns the status and the JSON refusal.
func answer(t *testing.T, url string, r *http.Request) (int, ErrorResponse) {
	t.Helper()
	req, err := http.NewRequest(r.Method, url, r.Body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header = r.Header
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var er ErrorResponse
	if resp.StatusCode != http.StatusNoContent {
		if err := json.NewDecoder(resp.Body).Decode(&er); err != nil {
			t.Fatalf("HTTP %d without a JSON refusal: %v", resp.StatusCode, err)
		}
	}
	return resp.StatusCode, er
}

type rejections struct {
	mu      sync.Mutex
	reasons []string
}

func (r *rejections) add(_ context.Context, reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reasons = append(r.reasons, reason)
}

// TestEventsRefusals: every refusal is answered with its status and
// reason, told to OnReject, and what Record refuses is answered as
// Record says; the signature of a refused event stays recorded, that of
// an event Record failed to store is forgotten.
func TestEventsRefusals(t *testing.T) { forSchemes(t, testEventsRefusals) }

func testEventsRefusals(t *testing.T, keys, other Keys) {
	var rej rejections
	cache := NewReplayCache(0)
	record := func(_ context.Context, ev wire.Event) error {
		switch ev.Key {
		case "k-unknown":
			return Reject(ReasonUnknownKey, "no invitation was delivered with this key")
		case "k-answered":
			return Reject(ReasonAnswered, "the invitation was accepted already")
		case "k-down":
			return errors.New("redis down")
		}
		return nil
	}
	srv := httptest.NewServer(NewEventsHandler(EventsOptions{
		Keys: keys, Now: func() time.Time { return t0 }, Replays: MemoryReplays(cache), Record: record, OnReject: rej.add,
	}))
	defer srv.Close()
	body := func(key string) string {
		return `{"type":"accepted","account":"alice","person":"ann","key":"` + key + `","at":"2026-03-02T09:00:00Z","nonce":"1"}`
	}
	huge := strings.Repeat("x", MaxEventField+1)
	for _, c := range []struct {
		name   string
		r      *http.Request
		status int
		reason string
	}{
		{"taken", signed(t, body("k1"), t0, keys), http.StatusNoContent, ""},
		{"replayed", signed(t, body("k1"), t0, keys), http.StatusUnauthorized, ReasonReplayed},
		{"bad signature", signed(t, body("k2"), t0, other), http.StatusUnauthorized, ReasonSignature},
		{"stale", signed(t, body("k2"), t0.Add(-time.Hour), keys), http.StatusUnauthorized, ReasonStale},
		{"not an event", signed(t, `{"type":"liked"}`, t0, keys), http.StatusBadRequest, ReasonMalformed},
		{"a 2 KiB account", signed(t, `{"type":"accepted","account":"`+huge+`","person":"p","key":"k","at":"2026-03-02T09:00:00Z"}`, t0, keys), http.StatusBadRequest, ReasonMalformed},
		{"unknown key", signed(t, body("k-unknown"), t0, keys), http.StatusUnprocessableEntity, ReasonUnknownKey},
		{"answered", signed(t, body("k-answered"), t0, keys), http.StatusConflict, ReasonAnswered},
		{"GET", httptest.NewRequest(http.MethodGet, "/", nil), http.StatusMethodNotAllowed, ReasonMethod},
		{"not stored", signed(t, body("k-down"), t0, keys), http.StatusServiceUnavailable, ""},
	} {
		status, er := answer(t, srv.URL, c.r)
		if status != c.status || er.Reason != c.reason {
			t.Errorf("%s: HTTP %d reason %q; want %d %q (%+v)", c.name, status, er.Reason, c.status, c.reason, er)
		}
		if len(er.Message) > 300 {
			t.Errorf("%s: a %d-byte message", c.name, len(er.Message))
		}
	}
	want := []string{ReasonReplayed, ReasonSignature, ReasonStale, ReasonMalformed, ReasonMalformed, ReasonUnknownKey, ReasonAnswered, ReasonMethod}
	if !slices.Equal(rej.reasons, want) {
		t.Errorf("OnReject got %v, want %v", rej.reasons, want)
	}
	// Refused for good: the signature stays; not stored: forgotten.
	if cache.Len() != 5 {
		t.Errorf("%d signatures remembered, want the 5 verified, not failed", cache.Len())
	}
	for _, r := range Reasons {
		if Reject(r, "x").Status/100 != 4 {
			t.Errorf("reason %s is not a 4xx", r)
		}
	}
}

// TestSharedReplays: two handlers sharing Replays (two schedulers on one
// Redis) refuse each other's replays; a handler with its own memory (the
// old behaviour) would not.
func TestSharedReplays(t *testing.T) { forSchemes(t, testSharedReplays) }

func testSharedReplays(t *testing.T, keys, other Keys) {
	shared := MemoryReplays(NewReplayCache(0))
	var got []wire.Event
	var mu sync.Mutex
	record := func(_ context.Context, ev wire.Event) error {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, ev)
		return nil
	}
	now := func() time.Time { return t0 }
	a := httptest.NewServer(NewEventsHandler(EventsOptions{Keys: keys, Now: now, Replays: shared, Record: record}))
	defer a.Close()
	b := httptest.NewServer(NewEventsHandler(EventsOptions{Keys: keys, Now: now, Replays: shared, Record: record}))
	defer b.Close()
	if status, _ := answer(t, a.URL, signed(t, goodEvent, t0, keys)); status != http.StatusNoContent {
		t.Fatalf("first: HTTP %d", status)
	}
	if status, er := answer(t, b.URL, signed(t, goodEvent, t0, keys)); status != http.StatusUnauthorized || er.Reason != ReasonReplayed {
		t.Errorf("replayed to the other: HTTP %d %q", status, er.Reason)
	}
	if len(got) != 1 {
		t.Errorf("recorded %d events, want 1", len(got))
	}
}
