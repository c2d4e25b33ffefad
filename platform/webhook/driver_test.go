package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/platform/sandbox"
	"github.com/outreach-scheduler/outreach/platform/sandbox/server"
	"github.com/outreach-scheduler/outreach/platform/webhook"
)

var (
	t0     = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC) // a Monday
	secret = []byte("s3cret")
)

func clock() time.Time { return t0 }

// newModel returns a model that knows alice (2 invitations a week, notes up
// to 20 characters) and ignores every invitation.
func newModel() *sandbox.Model {
	return sandbox.New(sandbox.Options{AcceptRate: -1, DeclineRate: -1, Accounts: map[string]sandbox.Account{
		"alice": {Weekly: 2, NoteChars: 20, NotesPerMonth: sandbox.Unlimited, Connections: 10},
	}})
}

// fixture is the sandbox server over real HTTP, behind an optional
// wrapper, and a driver pointed at it.
type fixture struct {
	model *sandbox.Model
	srv   *httptest.Server
	drv   *webhook.Driver
	hits  atomic.Int64 // action requests that reached the wrapper
}

func newFixture(t *testing.T, wrap func(http.Handler) http.Handler, opt webhook.Options) *fixture {
	t.Helper()
	f := &fixture{model: newModel()}
	// The server verifies in the driver's scheme, with the fixture's secret.
	var h http.Handler = server.New(f.model, server.Options{Keys: webhook.Keys{Scheme: opt.Keys.Scheme, Secrets: [][]byte{secret}}, Now: clock})
	if wrap != nil {
		h = wrap(h)
	}
	counted := h
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, webhook.ActionsPath) {
			f.hits.Add(1)
		}
		counted.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	opt.URL = f.srv.URL
	if opt.Keys.Empty() {
		opt.Keys.Secrets = [][]byte{secret}
	}
	if opt.Now == nil {
		opt.Now = clock
	}
	if opt.Backoff == 0 {
		opt.Backoff = time.Millisecond
	}
	if opt.Rand == nil {
		opt.Rand = func() float64 { return 0.5 }
	}
	var err error
	if f.drv, err = webhook.New(opt); err != nil {
		t.Fatal(err)
	}
	return f
}

func invite(key, person, note string) platform.Invite {
	return platform.Invite{Action: platform.Action{Key: key, Account: "alice", Person: person, Campaign: "c", At: t0}, Variant: "v", Note: note}
}

func wantCode(t *testing.T, err error, code platform.Code, retryable bool) *platform.Error {
	t.Helper()
	var pe *platform.Error
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, want a *platform.Error %s", err, code)
	}
	if pe.Code != code || pe.Retryable != retryable {
		t.Fatalf("err = %v (retryable %v), want code %s, retryable %v", err, pe.Retryable, code, retryable)
	}
	return pe
}

func TestInviteRecorded(t *testing.T) {
	f := newFixture(t, nil, webhook.Options{})
	if err := f.drv.Invite(t.Context(), invite("k1", "ann", "Hi Ann")); err != nil {
		t.Fatal(err)
	}
	rec := f.model.Record()
	if len(rec) != 1 {
		t.Fatalf("record = %+v, want 1 entry", rec)
	}
	e := rec[0]
	if e.Op != sandbox.OpInvite || e.Key != "k1" || e.Account != "alice" || e.Person != "ann" || e.Campaign != "c" ||
		e.Variant != "v" || e.Chars != 6 || !e.HasNote || !e.At.Equal(t0) || e.Refused != "" {
		t.Errorf("entry = %+v", e)
	}
	for _, call := range []func() error{
		func() error {
			return f.drv.Follow(t.Context(), platform.Action{Key: "f1", Account: "alice", Person: "bob", At: t0})
		},
		func() error {
			return f.drv.Withdraw(t.Context(), platform.Action{Key: "w1", Account: "alice", Person: "ann", At: t0})
		},
	} {
		if err := call(); err != nil {
			t.Fatal(err)
		}
	}
	err := f.drv.Message(t.Context(), platform.Message{Action: platform.Action{Key: "m1", Account: "alice", Person: "ann", At: t0}, Text: "hello"})
	wantCode(t, err, platform.CodeNotConnected, false)
	var ops []sandbox.Op
	for _, e := range f.model.Record() {
		ops = append(ops, e.Op)
	}
	if got := ops; len(got) != 4 || got[1] != sandbox.OpFollow || got[2] != sandbox.OpWithdraw || got[3] != sandbox.OpMessage {
		t.Errorf("ops = %v", got)
	}
}

func TestRefusalsMapped(t *testing.T) {
	f := newFixture(t, nil, webhook.Options{})
	ctx := t.Context()
	if err := f.drv.Invite(ctx, invite("k1", "ann", "")); err != nil {
		t.Fatal(err)
	}
	pe := wantCode(t, f.drv.Invite(ctx, invite("k2", "ann", "")), platform.CodeDuplicate, false)
	if pe.Pause() || pe.Msg == "" {
		t.Errorf("duplicate: Pause %v, Msg %q", pe.Pause(), pe.Msg)
	}
	wantCode(t, f.drv.Invite(ctx, invite("k3", "bob", strings.Repeat("x", 21))), platform.CodeNoteTooLong, false)
	if err := f.drv.Invite(ctx, invite("k4", "cy", "")); err != nil {
		t.Fatal(err)
	}
	if pe := wantCode(t, f.drv.Invite(ctx, invite("k5", "dee", "")), platform.CodeWeeklyLimit, false); !pe.Pause() {
		t.Error("weekly_limit: Pause() = false")
	}
	wantCode(t, f.drv.Follow(ctx, platform.Action{Key: "f", Account: "mallory", Person: "x", At: t0}), platform.CodeUnknownAccount, false)
	wantCode(t, f.drv.Follow(ctx, platform.Action{Key: "f2", Account: "alice", At: t0}), platform.CodeInvalid, false)
	if n := f.hits.Load(); n != 7 {
		t.Errorf("%d requests, want 7 (no retry of a refusal)", n)
	}
}

// flaky answers the first n action requests with status, without passing
// them on.
func flaky(n int64, status int) func(http.Handler) http.Handler {
	var seen atomic.Int64
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, webhook.ActionsPath) && seen.Add(1) <= n {
				http.Error(w, "try later", status)
				return
			}
			h.ServeHTTP(w, r)
		})
	}
}

func TestRetriesThenSuccess(t *testing.T) {
	for _, status := range []int{http.StatusServiceUnavailable, http.StatusTooManyRequests, http.StatusBadGateway} {
		f := newFixture(t, flaky(2, status), webhook.Options{Retries: 3})
		if err := f.drv.Invite(t.Context(), invite("k1", "ann", "")); err != nil {
			t.Fatalf("HTTP %d: %v", status, err)
		}
		if n := f.hits.Load(); n != 3 {
			t.Errorf("HTTP %d: %d attempts, want 3", status, n)
		}
		if n := len(f.model.Record()); n != 1 {
			t.Errorf("HTTP %d: %d requests recorded, want 1", status, n)
		}
	}
}

func TestRetriesExhausted(t *testing.T) {
	f := newFixture(t, flaky(100, http.StatusServiceUnavailable), webhook.Options{Retries: 2})
	wantCode(t, f.drv.Invite(t.Context(), invite("k1", "ann", "")), platform.CodeUnavailable, true)
	if n := f.hits.Load(); n != 3 {
		t.Errorf("%d attempts, want 3", n)
	}
	g := newFixture(t, flaky(100, http.StatusServiceUnavailable), webhook.Options{Retries: -1})
	err := g.drv.Invite(t.Context(), invite("k1", "ann", ""))
	if !platform.IsRetryable(err) || g.hits.Load() != 1 {
		t.Errorf("Retries -1: err %v, %d attempts, want a retryable error after 1", err, g.hits.Load())
	}
}

func TestNoRetryOnConflict(t *testing.T) {
	f := newFixture(t, flaky(1, http.StatusConflict), webhook.Options{})
	wantCode(t, f.drv.Invite(t.Context(), invite("k1", "ann", "")), platform.CodeInvalid, false) // 409 without a code
	if n := f.hits.Load(); n != 1 {
		t.Errorf("%d attempts, want 1", n)
	}
}

func TestTimeoutRetryable(t *testing.T) {
	release := make(chan struct{})
	hang := func(http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		})
	}
	f := newFixture(t, hang, webhook.Options{Timeout: 20 * time.Millisecond, Retries: 1})
	defer close(release)
	err := f.drv.Invite(t.Context(), invite("k1", "ann", ""))
	wantCode(t, err, platform.CodeUnavailable, true)
	if n := f.hits.Load(); n != 2 {
		t.Errorf("%d attempts, want 2", n)
	}
}

func TestContextCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancelling := func(http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			cancel() // the caller gives up while its first attempt fails
			http.Error(w, "try later", http.StatusServiceUnavailable)
		})
	}
	f := newFixture(t, cancelling, webhook.Options{Backoff: time.Hour})
	if err := f.drv.Invite(ctx, invite("k1", "ann", "")); !errors.Is(err, context.Canceled) || !platform.IsRetryable(err) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if n := f.hits.Load(); n != 1 {
		t.Errorf("%d attempts, want 1", n)
	}
}

func TestIdempotentRepeat(t *testing.T) {
	f := newFixture(t, nil, webhook.Options{})
	ctx := t.Context()
	for i := range 2 {
		if err := f.drv.Invite(ctx, invite("k1", "ann", "")); err != nil {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	for range 2 {
		wantCode(t, f.drv.Invite(ctx, invite("k2", "ann", "")), platform.CodeDuplicate, false)
	}
	rec := f.model.Record()
	if len(rec) != 4 || rec[0].Repeat || !rec[1].Repeat || rec[2].Repeat || !rec[3].Repeat {
		t.Errorf("record = %+v, want repeats marked", rec)
	}
	if st := f.model.Stats().Accounts["alice"]; st.Invited != 1 || st.Repeats != 2 {
		t.Errorf("stats = %+v, want 1 invited, 2 repeats", st)
	}
}

// forSchemes runs f once per signing scheme.
func forSchemes(t *testing.T, f func(t *testing.T, sc webhook.Scheme)) {
	for _, sc := range webhook.Schemes {
		t.Run(string(sc), func(t *testing.T) { f(t, sc) })
	}
}

func TestBadSignatureAndStale(t *testing.T) { forSchemes(t, testBadSignatureAndStale) }

func testBadSignatureAndStale(t *testing.T, sc webhook.Scheme) {
	// Refused before anything happened: a retryable fault of the
	// integration (not the prospect's), not performed, not retried at once.
	wrong := newFixture(t, nil, webhook.Options{Keys: webhook.Keys{Scheme: sc, Secrets: [][]byte{[]byte("other")}}})
	pe := wantCode(t, wrong.drv.Invite(t.Context(), invite("k1", "ann", "")), platform.CodeUnauthorized, true)
	if !strings.Contains(pe.Msg, "401") || !strings.Contains(pe.Msg, "bad signature") || !pe.NotPerformed || pe.Fault != platform.FaultAuth {
		t.Errorf("bad secret: %+v", pe)
	}
	stale := newFixture(t, nil, webhook.Options{Keys: webhook.Keys{Scheme: sc}, Now: func() time.Time { return t0.Add(-6 * time.Minute) }})
	pe = wantCode(t, stale.drv.Invite(t.Context(), invite("k1", "ann", "")), platform.CodeUnauthorized, true)
	if !strings.Contains(pe.Msg, "stale timestamp") || !platform.IsNotPerformed(pe) || platform.FaultOf(pe) != platform.FaultAuth {
		t.Errorf("stale: %+v", pe)
	}
	if n := wrong.hits.Load() + stale.hits.Load(); n != 2 {
		t.Errorf("%d attempts, want 1 each: a refused signature is not retried at once", n)
	}
	if n := len(wrong.model.Record()) + len(stale.model.Record()); n != 0 {
		t.Errorf("%d unauthenticated requests reached the model", n)
	}
	// Unsigned requests too.
	resp, err := http.Post(stale.srv.URL+"/v1/actions/follow", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("unsigned: HTTP %d, want 401", resp.StatusCode)
	}
}

// TestReplay captures a signed request and sends it again as it was; with
// Standard Webhooks, also signed anew (a later timestamp) under the same
// webhook-id.
func TestReplay(t *testing.T) { forSchemes(t, testReplay) }

func testReplay(t *testing.T, sc webhook.Scheme) {
	var mu sync.Mutex
	var got *http.Request
	var body []byte
	capture := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			mu.Lock()
			got, body = r, b
			mu.Unlock()
			r.Body = io.NopCloser(bytes.NewReader(b))
			h.ServeHTTP(w, r)
		})
	}
	f := newFixture(t, capture, webhook.Options{Keys: webhook.Keys{Scheme: sc}})
	if err := f.drv.Invite(t.Context(), invite("k1", "ann", "")); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	path, hdr := got.URL.Path, got.Header.Clone()
	mu.Unlock()
	again := func(name string, hdr http.Header) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, f.srv.URL+path, bytes.NewReader(body))
		req.Header = hdr
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var er webhook.ErrorResponse
		json.NewDecoder(resp.Body).Decode(&er)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(er.Message, "replayed") {
			t.Errorf("%s: HTTP %d %+v, want 401 replayed", name, resp.StatusCode, er)
		}
	}
	again("replay", hdr)
	if sc == webhook.SchemeStandard {
		id := hdr.Get(webhook.HeaderWebhookID)
		if !strings.HasPrefix(id, "k1#1.") {
			t.Errorf("webhook-id %q, want k1#1.<nonce>", id)
		}
		resigned := hdr.Clone()
		webhook.StandardKeys(secret).SignHeaders(resigned, id, body, t0.Add(time.Minute))
		if resigned.Get(webhook.HeaderWebhookSignature) == hdr.Get(webhook.HeaderWebhookSignature) {
			t.Fatal("signing anew at another time gave the same signature")
		}
		again("the same webhook-id signed anew", resigned)
	}
	if n := len(f.model.Record()); n != 1 {
		t.Errorf("%d requests recorded, want 1", n)
	}
}

func TestInvitationsListing(t *testing.T) {
	f := newFixture(t, nil, webhook.Options{})
	ctx := t.Context()
	f.drv.Invite(ctx, invite("k1", "ann", ""))
	f.drv.Invite(ctx, invite("k2", "ann", ""))
	resp, err := http.Get(f.srv.URL + "/v1/invitations")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var inv server.Invitations
	if err := json.NewDecoder(resp.Body).Decode(&inv); err != nil {
		t.Fatal(err)
	}
	if len(inv.Requests) != 2 || inv.Requests[0].Key != "k1" || inv.Requests[1].Refused != platform.CodeDuplicate {
		t.Errorf("requests = %+v", inv.Requests)
	}
	if len(inv.Violations) != 1 || inv.Violations[0].Key != "k2" || inv.Violations[0].Seq != 2 {
		t.Errorf("violations = %+v", inv.Violations)
	}
}

func TestNewChecksOptions(t *testing.T) {
	for _, o := range []webhook.Options{
		{URL: "ftp://x", Keys: webhook.StandardKeys(secret)},
		{URL: "http://x"},
		{URL: "http://x", Keys: webhook.StandardKeys(secret), Timeout: -1},
		{URL: "http://x", Keys: webhook.Keys{Scheme: "hmac", Secrets: [][]byte{secret}}},
	} {
		if _, err := webhook.New(o); err == nil {
			t.Errorf("New(%+v): no error", o)
		}
	}
}
