package webhook_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/platform/platformtest"
	"github.com/outreach-scheduler/outreach/platform/sandbox"
	"github.com/outreach-scheduler/outreach/platform/sandbox/server"
	"github.com/outreach-scheduler/outreach/platform/webhook"
	"github.com/outreach-scheduler/outreach/wire"
)

// TestConformance runs the platform conformance suite on the driver, over
// real HTTP, against the sandbox server: every action signed and
// verified, every answer pushed by the server to an events endpoint
// (signed POST /v1/events, as an integration does) and compared with what
// GET /v1/events lists.
func TestConformance(t *testing.T) {
	platformtest.Run(t, newHTTPHarness)
}

// httpHarness is the driver, the sandbox server behind it, and an events
// endpoint the server pushes to, on one settable clock.
type httpHarness struct {
	t     *testing.T
	drv   *webhook.Driver
	srv   *server.Server
	url   string // the sandbox server's
	clock *settable

	mu     sync.Mutex
	pushed []platform.Event // taken by the events endpoint, in order
}

type settable struct {
	mu sync.Mutex
	t  time.Time
}

func (c *settable) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *settable) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

func newHTTPHarness(t *testing.T, opt platformtest.Options) platformtest.Harness {
	h := &httpHarness{t: t, clock: &settable{t: opt.Now}}
	events := httptest.NewServer(webhook.NewEventsHandler(webhook.EventsOptions{Keys: webhook.StandardKeys(secret), Now: h.clock.now,
		Record: func(_ context.Context, ev wire.Event) error {
			h.mu.Lock()
			h.pushed = append(h.pushed, platform.Event{Type: ev.Type, Account: ev.Account, Person: ev.Person, Key: ev.Key, At: ev.At})
			h.mu.Unlock()
			return nil
		}}))
	t.Cleanup(events.Close)
	h.srv = server.New(sandbox.New(platformtest.SandboxOptions(opt)),
		server.Options{Keys: webhook.StandardKeys(secret), Now: h.clock.now, EventsURL: events.URL + webhook.EventsPath})
	ts := httptest.NewServer(h.srv)
	t.Cleanup(ts.Close)
	h.url = ts.URL
	var err error
	h.drv, err = webhook.New(webhook.Options{URL: ts.URL, Keys: webhook.StandardKeys(secret), Now: h.clock.now,
		Backoff: time.Millisecond, Rand: func() float64 { return 0.5 }})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *httpHarness) Platform() platform.Platform { return h.drv }

func (h *httpHarness) Advance(now time.Time) {
	if now.Before(h.clock.now()) {
		h.t.Fatalf("harness: the clock moved back from %v to %v", h.clock.now(), now)
	}
	h.clock.set(now)
	if _, err := h.srv.Flush(h.t.Context(), now); err != nil {
		h.t.Fatalf("harness: pushing the events: %v", err)
	}
}

// Events returns the events pushed to the events endpoint, after checking
// that GET /v1/events lists the same.
func (h *httpHarness) Events() []platform.Event {
	var polled server.Events
	h.get("/v1/events?since=0", &polled)
	h.mu.Lock()
	pushed := slices.Clone(h.pushed)
	h.mu.Unlock()
	same := len(polled.Events) == len(pushed) && polled.Next == int64(len(pushed))
	for i := 0; same && i < len(pushed); i++ {
		e, p := polled.Events[i], pushed[i]
		same = e.Seq == int64(i+1) && e.Type == p.Type && e.Account == p.Account && e.Person == p.Person && e.Key == p.Key && e.At.Equal(p.At)
	}
	if !same {
		h.t.Errorf("harness: the events pushed %+v differ from those polled %+v", pushed, polled)
	}
	return pushed
}

func (h *httpHarness) Record() []platformtest.Request {
	var inv server.Invitations
	h.get("/v1/invitations", &inv)
	out := make([]platformtest.Request, 0, len(inv.Requests))
	for _, e := range inv.Requests {
		out = append(out, platformtest.RequestOf(e))
	}
	return out
}

func (h *httpHarness) get(path string, v any) {
	h.t.Helper()
	resp, err := http.Get(h.url + path)
	if err != nil {
		h.t.Fatalf("harness: GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		h.t.Fatalf("harness: GET %s: HTTP %d", path, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		h.t.Fatalf("harness: GET %s: %v", path, err)
	}
}
