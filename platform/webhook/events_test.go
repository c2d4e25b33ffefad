package webhook

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/wire"
)

var (
	t0     = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	secret = []byte("s3cret")
)

// forSchemes runs f once per signing scheme, with keys of secret and keys
// of another secret in that scheme.
func forSchemes(t *testing.T, f func(t *testing.T, keys, other Keys)) {
	for _, sc := range Schemes {
		t.Run(string(sc), func(t *testing.T) {
			f(t, Keys{Scheme: sc, Secrets: [][]byte{secret}}, Keys{Scheme: sc, Secrets: [][]byte{[]byte("other")}})
		})
	}
}

// signed returns a request of body signed with keys at `at`, its
// webhook-id derived from the body (the same body signed again is a
// replay of the same message).
func signed(t testing.TB, body string, at time.Time, keys Keys) *http.Request {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, EventsPath, bytes.NewReader([]byte(body)))
	h := sha256.Sum256([]byte(body))
	SignRequest(r, keys, "msg_"+hex.EncodeToString(h[:8]), []byte(body), at)
	return r
}

// TestSignVerifyV1: the outreach-v1 scheme.
func TestSignVerifyV1(t *testing.T) {
	keys := OutreachV1Keys(secret)
	body := []byte(`{"a":1}`)
	if got, want := Sign([]byte("k"), 1700000000, body), "v1="; got[:3] != want || len(got) != 3+64 {
		t.Fatalf("Sign = %q", got)
	}
	for _, c := range []struct {
		name   string
		mutate func(r *http.Request) []byte
		now    time.Time
		want   error
	}{
		{"good", func(r *http.Request) []byte { return body }, t0, nil},
		{"good, clock 5m ahead", func(r *http.Request) []byte { return body }, t0.Add(5 * time.Minute), nil},
		{"good, clock 5m behind", func(r *http.Request) []byte { return body }, t0.Add(-5 * time.Minute), nil},
		{"stale", func(r *http.Request) []byte { return body }, t0.Add(5*time.Minute + time.Second), ErrStale},
		{"future", func(r *http.Request) []byte { return body }, t0.Add(-6 * time.Minute), ErrStale},
		{"body changed", func(r *http.Request) []byte { return []byte(`{"a":2}`) }, t0, ErrBadSignature},
		{"timestamp changed", func(r *http.Request) []byte {
			r.Header.Set(HeaderTimestamp, strconv.FormatInt(t0.Unix()+1, 10))
			return body
		}, t0, ErrBadSignature},
		{"no v1", func(r *http.Request) []byte {
			r.Header.Set(HeaderSignature, r.Header.Get(HeaderSignature)[3:])
			return body
		}, t0, ErrBadSignature},
		{"not hex", func(r *http.Request) []byte { r.Header.Set(HeaderSignature, "v1=zz"); return body }, t0, ErrBadSignature},
		{"bad timestamp", func(r *http.Request) []byte { r.Header.Set(HeaderTimestamp, "x"); return body }, t0, ErrBadSignature},
		{"no signature", func(r *http.Request) []byte { r.Header.Del(HeaderSignature); return body }, t0, ErrNoSignature},
		{"no timestamp", func(r *http.Request) []byte { r.Header.Del(HeaderTimestamp); return body }, t0, ErrNoSignature},
	} {
		r := signed(t, string(body), t0, keys)
		b := c.mutate(r)
		if _, err := Verify(keys, r, b, c.now, 0); !errors.Is(err, c.want) {
			t.Errorf("%s: Verify = %v, want %v", c.name, err, c.want)
		}
	}
	if _, err := Verify(OutreachV1Keys([]byte("other")), signed(t, "x", t0, keys), []byte("x"), t0, 0); err != ErrBadSignature {
		t.Errorf("other secret: %v", err)
	}
	// A rotation: signed by the new secret, verified by keys holding both.
	v, err := Verify(OutreachV1Keys([]byte("old"), secret), signed(t, "x", t0, keys), []byte("x"), t0, 0)
	if err != nil || v.ReplayKey != Sign(secret, t0.Unix(), []byte("x")) || !v.Until.Equal(t0.Add(DefaultTolerance)) {
		t.Errorf("rotation: %+v, %v", v, err)
	}
	// Keys with two secrets sign with the last (outreach-v1 carries one).
	r := signed(t, "x", t0, OutreachV1Keys([]byte("old"), secret))
	if _, err := Verify(keys, r, []byte("x"), t0, 0); err != nil {
		t.Errorf("signed by the new of two secrets: %v", err)
	}
}

func TestReplayCache(t *testing.T) {
	c := NewReplayCache(3)
	until := t0.Add(time.Minute)
	if err := c.Add("a", until, t0); err != nil {
		t.Fatal(err)
	}
	if err := c.Add("a", until, t0.Add(time.Minute)); err != ErrReplayed {
		t.Fatalf("second Add = %v, want ErrReplayed", err)
	}
	if err := c.Add("a", until.Add(time.Minute), until.Add(time.Nanosecond)); err != nil {
		t.Fatalf("Add after expiry = %v", err)
	}
	c.Forget("a")
	if err := c.Add("a", until, t0); err != nil {
		t.Fatalf("Add after Forget = %v", err)
	}
	// Bounded: the oldest entries go first.
	for _, s := range []string{"b", "c", "d", "e"} {
		if err := c.Add(s, until, t0); err != nil {
			t.Fatal(err)
		}
	}
	if c.Len() > 3 {
		t.Errorf("Len = %d, want at most 3", c.Len())
	}
	if err := c.Add("e", until, t0); err != ErrReplayed {
		t.Errorf("newest forgotten: %v", err)
	}
	// Expired entries are dropped.
	big := NewReplayCache(0)
	for i := range 5000 {
		at := t0.Add(time.Duration(i) * time.Second)
		if err := big.Add(strconv.Itoa(i), at.Add(time.Minute), at); err != nil {
			t.Fatal(err)
		}
	}
	if n := big.Len(); n > 62 {
		t.Errorf("Len = %d after a steady stream, want about 61", n)
	}
	if n := len(big.queue) - big.head; n > 2000 {
		t.Errorf("queue holds %d entries", n)
	}
}

type sink struct {
	mu   sync.Mutex
	evs  []wire.Event
	fail bool
}

func (s *sink) take(ev wire.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail {
		return errors.New("down")
	}
	s.evs = append(s.evs, ev)
	return nil
}

const goodEvent = `{"type":"accepted","account":"alice","person":"ann","key":"k1","at":"2026-03-02T10:00:00Z","nonce":"1"}`

// post sends a request to the handler over real HTTP.
func post(t *testing.T, url string, r *http.Request) int {
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
	resp.Body.Close()
	return resp.StatusCode
}

func TestEventsHandler(t *testing.T) { forSchemes(t, testEventsHandler) }

func testEventsHandler(t *testing.T, keys, other Keys) {
	s := &sink{}
	srv := httptest.NewServer(EventsHandler(keys, func() time.Time { return t0 }, s.take))
	defer srv.Close()

	if got := post(t, srv.URL, signed(t, goodEvent, t0, keys)); got != http.StatusNoContent {
		t.Fatalf("good event: HTTP %d", got)
	}
	want := wire.Event{Type: platform.EventAccepted, Account: "alice", Person: "ann", Key: "k1", At: t0.Add(time.Hour)}
	if len(s.evs) != 1 || s.evs[0] != want {
		t.Fatalf("sink got %+v, want %+v", s.evs, want)
	}
	for _, c := range []struct {
		name string
		r    *http.Request
		want int
	}{
		{"replayed", signed(t, goodEvent, t0, keys), http.StatusUnauthorized},
		{"bad signature", signed(t, goodEvent, t0.Add(time.Second), other), http.StatusUnauthorized},
		{"stale", signed(t, goodEvent, t0.Add(-10*time.Minute), keys), http.StatusUnauthorized},
		{"unsigned", httptest.NewRequest(http.MethodPost, "/", bytes.NewReader([]byte(goodEvent))), http.StatusUnauthorized},
		{"bad JSON", signed(t, `{"type":`, t0, keys), http.StatusBadRequest},
		{"unknown type", signed(t, `{"type":"liked","account":"a","person":"p","key":"k","at":"2026-03-02T10:00:00Z"}`, t0, keys), http.StatusBadRequest},
		{"missing key", signed(t, `{"type":"declined","account":"a","person":"p","at":"2026-03-02T10:00:00Z"}`, t0, keys), http.StatusBadRequest},
		{"trailing data", signed(t, goodEvent+`{}`, t0, keys), http.StatusBadRequest},
		{"GET", httptest.NewRequest(http.MethodGet, "/", nil), http.StatusMethodNotAllowed},
	} {
		if got := post(t, srv.URL, c.r); got != c.want {
			t.Errorf("%s: HTTP %d, want %d", c.name, got, c.want)
		}
	}
	if len(s.evs) != 1 {
		t.Errorf("sink got %d events, want 1", len(s.evs))
	}

	// A failing sink: 503, and the same request may come again.
	s.fail = true
	body := `{"type":"expired","account":"alice","person":"bob","key":"k2","at":"2026-03-02T10:00:00Z"}`
	if got := post(t, srv.URL, signed(t, body, t0, keys)); got != http.StatusServiceUnavailable {
		t.Errorf("failing sink: HTTP %d, want 503", got)
	}
	s.fail = false
	if got := post(t, srv.URL, signed(t, body, t0, keys)); got != http.StatusNoContent {
		t.Errorf("retry after 503: HTTP %d, want 204", got)
	}
	if len(s.evs) != 2 || s.evs[1].Type != platform.EventExpired {
		t.Errorf("sink got %+v", s.evs)
	}
}

func TestEventsHandlerNeedsSecret(t *testing.T) {
	h := EventsHandler(Keys{}, nil, (&sink{}).take)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, signed(t, goodEvent, time.Now(), Keys{}))
	if w.Code != http.StatusUnauthorized {
		t.Errorf("no secret: HTTP %d, want 401", w.Code)
	}
}

// FuzzEventsHandler: whatever the body, correctly signed, the handler
// answers 204, 400 or 401, never 5xx or a panic; 204 only for an event the
// sink got.
func FuzzEventsHandler(f *testing.F) {
	f.Add([]byte(goodEvent))
	f.Add([]byte(`{"type":"declined","account":"a","person":"p","key":"k","at":"2026-03-02T10:00:00.5+02:00"}`))
	f.Add([]byte(`{"type":null,"at":"x"}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(``))
	f.Add([]byte("{\"type\":\"accepted\",\"account\":\"\xff\"}"))
	f.Fuzz(func(t *testing.T, body []byte) {
		s := &sink{}
		keys := StandardKeys(secret)
		h := EventsHandler(keys, func() time.Time { return t0 }, s.take)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, signed(t, string(body), t0, keys))
		switch w.Code {
		case http.StatusNoContent:
			if len(s.evs) != 1 {
				t.Fatalf("204 but the sink got %d events", len(s.evs))
			}
			if _, err := DecodeEvent(body); err != nil {
				t.Fatalf("204 for a body DecodeEvent refuses: %v", err)
			}
		case http.StatusBadRequest, http.StatusUnauthorized, http.StatusRequestEntityTooLarge:
			if len(s.evs) != 0 {
				t.Fatalf("HTTP %d but the sink got an event", w.Code)
			}
		default:
			t.Fatalf("HTTP %d for body %q", w.Code, body)
		}
	})
}

// TestEventsHandlerTakesReplies: a signed replied event is taken and
// decoded as one; the same body forged (another secret), unsigned or
// replayed is refused and never reaches the sink.
func TestEventsHandlerTakesReplies(t *testing.T) {
	s := &sink{}
	srv := httptest.NewServer(EventsHandler(StandardKeys(secret), func() time.Time { return t0 }, s.take))
	defer srv.Close()
	body := `{"type":"replied","account":"alice","person":"ann","key":"c/x/message0","at":"2026-03-02T11:00:00Z","nonce":"r1"}`
	for _, c := range []struct {
		name string
		r    *http.Request
		want int
	}{
		{"forged", signed(t, body, t0, StandardKeys([]byte("not the secret"))), http.StatusUnauthorized},
		{"unsigned", httptest.NewRequest(http.MethodPost, "/", bytes.NewReader([]byte(body))), http.StatusUnauthorized},
		{"signed", signed(t, body, t0, StandardKeys(secret)), http.StatusNoContent},
		{"replayed", signed(t, body, t0, StandardKeys(secret)), http.StatusUnauthorized},
		{"no key", signed(t, `{"type":"replied","account":"alice","person":"ann","at":"2026-03-02T11:00:00Z"}`, t0, StandardKeys(secret)), http.StatusBadRequest},
	} {
		if got := post(t, srv.URL, c.r); got != c.want {
			t.Errorf("%s: HTTP %d, want %d", c.name, got, c.want)
		}
	}
	want := wire.Event{Type: platform.EventReplied, Account: "alice", Person: "ann", Key: "c/x/message0", At: time.Date(2026, 3, 2, 11, 0, 0, 0, time.UTC)}
	if len(s.evs) != 1 || !s.evs[0].At.Equal(want.At) || s.evs[0].Type != want.Type || s.evs[0].Key != want.Key || s.evs[0].Person != want.Person {
		t.Errorf("sink got %+v, want only %+v", s.evs, want)
	}
}
