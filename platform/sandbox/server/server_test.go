package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/platform/sandbox"
	"github.com/outreach-scheduler/outreach/platform/webhook"
	"github.com/outreach-scheduler/outreach/wire"
)

var (
	t0     = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	secret = []byte("s3cret")
)

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// acceptAll answers every invitation with an acceptance between 1 and 2
// hours later.
func acceptAll() *sandbox.Model {
	return sandbox.New(sandbox.Options{AcceptRate: 1,
		Delays: []sandbox.DelayPoint{{Within: time.Hour, Share: 0}, {Within: 2 * time.Hour, Share: 1}},
		Accounts: map[string]sandbox.Account{
			"alice": {Weekly: 10, NoteChars: 300, NotesPerMonth: sandbox.Unlimited},
		}})
}

func newDriver(t *testing.T, url string, c *clock) *webhook.Driver {
	t.Helper()
	d, err := webhook.New(webhook.Options{URL: url, Keys: webhook.StandardKeys(secret), Now: c.now, Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func invite(key, person string) platform.Invite {
	return platform.Invite{Action: platform.Action{Key: key, Account: "alice", Person: person, At: t0}}
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: HTTP %d", url, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

func TestPollEvents(t *testing.T) {
	c := &clock{t: t0}
	srv := httptest.NewServer(New(acceptAll(), Options{Keys: webhook.StandardKeys(secret), Now: c.now}))
	defer srv.Close()
	d := newDriver(t, srv.URL, c)
	for _, p := range []string{"ann", "bob"} {
		if err := d.Invite(t.Context(), invite("k-"+p, p)); err != nil {
			t.Fatal(err)
		}
	}
	var evs Events
	getJSON(t, srv.URL+"/v1/events", &evs)
	if len(evs.Events) != 0 || evs.Next != 0 {
		t.Fatalf("at t0: %+v, want none", evs)
	}
	c.set(t0.Add(2 * time.Hour))
	getJSON(t, srv.URL+"/v1/events?since=0", &evs)
	if len(evs.Events) != 2 || evs.Next != 2 {
		t.Fatalf("after 2h: %+v, want 2 events", evs)
	}
	for i, e := range evs.Events {
		if e.Seq != int64(i+1) || e.Type != platform.EventAccepted || e.Account != "alice" ||
			!strings.HasPrefix(e.Key, "k-") || e.At.Before(t0.Add(time.Hour)) || e.At.After(t0.Add(2*time.Hour)) {
			t.Errorf("event %d = %+v", i, e)
		}
	}
	getJSON(t, srv.URL+"/v1/events?since=1", &evs)
	if len(evs.Events) != 1 || evs.Events[0].Seq != 2 || evs.Next != 2 {
		t.Errorf("since=1: %+v", evs)
	}
	getJSON(t, srv.URL+"/v1/events?since=2", &evs)
	if len(evs.Events) != 0 || evs.Next != 2 {
		t.Errorf("since=2: %+v", evs)
	}
	resp, err := http.Get(srv.URL + "/v1/events?since=-1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("since=-1: HTTP %d, want 400", resp.StatusCode)
	}
}

// TestFlushToEventsHandler runs the whole loop over HTTP: the driver sends
// invitations to the sandbox server, whose Flush pushes the answers, signed,
// to webhook.EventsHandler.
func TestFlushToEventsHandler(t *testing.T) {
	c := &clock{t: t0}
	var mu sync.Mutex
	var got []wire.Event
	down := true
	recv := httptest.NewServer(webhook.EventsHandler(webhook.StandardKeys(secret), c.now, func(ev wire.Event) error {
		mu.Lock()
		defer mu.Unlock()
		if down {
			return errors.New("down")
		}
		got = append(got, ev)
		return nil
	}))
	defer recv.Close()
	s := New(acceptAll(), Options{Keys: webhook.StandardKeys(secret), Now: c.now, EventsURL: recv.URL + webhook.EventsPath})
	srv := httptest.NewServer(s)
	defer srv.Close()
	d := newDriver(t, srv.URL, c)
	for _, p := range []string{"ann", "bob", "cy"} {
		if err := d.Invite(t.Context(), invite("k-"+p, p)); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.Flush(t.Context(), t0.Add(30*time.Minute)); n != 0 || err != nil {
		t.Fatalf("Flush before any answer = %d, %v", n, err)
	}
	c.set(t0.Add(3 * time.Hour))
	if n, err := s.Flush(t.Context(), c.now()); n != 0 || err == nil {
		t.Fatalf("Flush to a failing receiver = %d, %v; want an error", n, err)
	}
	mu.Lock()
	down = false
	mu.Unlock()
	if n, err := s.Flush(t.Context(), c.now()); n != 3 || err != nil {
		t.Fatalf("Flush = %d, %v; want 3 events pushed", n, err)
	}
	if n, err := s.Flush(t.Context(), c.now()); n != 0 || err != nil {
		t.Fatalf("second Flush = %d, %v; want nothing", n, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 3 {
		t.Fatalf("receiver got %+v, want 3 events", got)
	}
	for i, ev := range got {
		if ev.Type != platform.EventAccepted || ev.Account != "alice" || (i > 0 && ev.At.Before(got[i-1].At)) {
			t.Errorf("event %d = %+v", i, ev)
		}
	}
}

func TestFlushSignsWithServerSecret(t *testing.T) {
	c := &clock{t: t0}
	recv := httptest.NewServer(webhook.EventsHandler(webhook.StandardKeys([]byte("receiver's")), c.now, func(wire.Event) error { return nil }))
	defer recv.Close()
	m := acceptAll()
	m.Invite(t.Context(), invite("k", "ann"))
	s := New(m, Options{Keys: webhook.StandardKeys(secret), Now: c.now, EventsURL: recv.URL})
	if _, err := s.Flush(t.Context(), t0.Add(3*time.Hour)); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("Flush with a mismatched secret: %v, want HTTP 401", err)
	}
}

func do(t *testing.T, h http.Handler, method, path, body string, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, path, bytes.NewReader([]byte(body)))
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestUnsignedAndBadRequests(t *testing.T) {
	m := acceptAll()
	h := New(m, Options{Now: func() time.Time { return t0 }}) // no secret: unsigned
	ok := `{"key":"k1","account":"alice","person":"ann","at":"2026-03-02T09:00:00Z"}`
	for _, c := range []struct {
		name, method, path, body string
		hdr                      map[string]string
		want                     int
		code                     platform.Code
	}{
		{"unsigned invite", "POST", "/v1/actions/invite", ok, nil, 204, ""},
		{"repeat", "POST", "/v1/actions/invite", ok, map[string]string{"Idempotency-Key": "k1"}, 204, ""},
		{"key header differs", "POST", "/v1/actions/invite", ok, map[string]string{"Idempotency-Key": "k2"}, 422, platform.CodeInvalid},
		{"unknown action", "POST", "/v1/actions/poke", ok, nil, 404, platform.CodeInvalid},
		{"bad JSON", "POST", "/v1/actions/follow", `{`, nil, 400, platform.CodeInvalid},
		{"no at", "POST", "/v1/actions/follow", `{"key":"f","account":"alice","person":"ann"}`, nil, 422, platform.CodeInvalid},
		{"unknown account", "POST", "/v1/actions/follow", `{"key":"f2","account":"x","person":"ann","at":"2026-03-02T09:00:00Z"}`, nil, 422, platform.CodeUnknownAccount},
		{"duplicate", "POST", "/v1/actions/invite", `{"key":"k3","account":"alice","person":"ann","at":"2026-03-02T09:00:00Z"}`, nil, 409, platform.CodeDuplicate},
		{"GET an action", "GET", "/v1/actions/invite", "", nil, 405, ""},
	} {
		w := do(t, h, c.method, c.path, c.body, c.hdr)
		if w.Code != c.want {
			t.Errorf("%s: HTTP %d, want %d (%s)", c.name, w.Code, c.want, w.Body)
			continue
		}
		if c.code != "" {
			var er webhook.ErrorResponse
			if err := json.Unmarshal(w.Body.Bytes(), &er); err != nil || er.Code != c.code {
				t.Errorf("%s: body %s, want code %s", c.name, w.Body, c.code)
			}
		}
	}
	if st := m.Stats().Accounts["alice"]; st.Invited != 1 || st.Repeats != 1 {
		t.Errorf("stats = %+v", st)
	}
}
