package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/redis/go-redis/v9"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/internal/logtrunc"
	"github.com/outreach-scheduler/outreach/internal/redistest"
	"github.com/outreach-scheduler/outreach/ledger"
	"github.com/outreach-scheduler/outreach/metrics"
	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/platform/webhook"
	"github.com/outreach-scheduler/outreach/scheduler"
	schedulerdaemon "github.com/outreach-scheduler/outreach/scheduler/daemon"
	"github.com/outreach-scheduler/outreach/wire"
)

var evSecret = []byte("events-test-secret")

// evLogs is a log buffer safe for concurrent use, with a line check.
type evLogs struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *evLogs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *evLogs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// logger logs at INFO and above through the truncating handler, as the
// CLI's loggers do.
func (l *evLogs) logger() *slog.Logger {
	return slog.New(logtrunc.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelInfo}), 0))
}

// check fails t for a line over max bytes or naming one of needles.
func (l *evLogs) check(t *testing.T, max int, needles ...string) {
	t.Helper()
	for _, line := range strings.Split(l.String(), "\n") {
		if len(line) > max {
			t.Errorf("a %d-byte log line: %.300s...", len(line), line)
		}
		for _, n := range needles {
			if strings.Contains(strings.ToLower(line), strings.ToLower(n)) {
				t.Errorf("a log line names %q: %.300s", n, line)
			}
		}
	}
}

func evConfig(t *testing.T) *config.Config {
	t.Helper()
	cfg, fs := config.Parse("config.yaml", []byte("accounts:\n  - {id: alice, tier: premium}\n  - {id: bob, tier: premium}\n"))
	if fs.HasErrors() {
		t.Fatal(fs)
	}
	return cfg
}

// evEndpoint is one scheduler's events endpoint.
type evEndpoint struct {
	url  string
	stop func()
}

func startEvEndpoint(t *testing.T, addr string, cfg *config.Config, rdb redis.UniversalClient, now func() time.Time, refusals *metrics.Refusals, log *slog.Logger) *evEndpoint {
	t.Helper()
	led := ledger.New(rdb, "")
	ev, err := schedulerdaemon.NewEvents(schedulerdaemon.EventsOptions{Config: cfg, Ledger: led, Listen: addr, Keys: webhook.StandardKeys(evSecret), Now: now, Refusals: refusals, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	if err := ev.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ev.Stop)
	return &evEndpoint{url: "http://" + ev.Addr() + webhook.EventsPath, stop: ev.Stop}
}

// evRequest is a signed request as the integration sends it (sent again
// byte for byte to replay it).
type evRequest struct {
	body    []byte
	headers http.Header
}

func signedEvent(t *testing.T, ev wire.Event, at time.Time, secret []byte) evRequest {
	t.Helper()
	body, err := json.Marshal(webhook.EventRequestOf(ev))
	if err != nil {
		t.Fatal(err)
	}
	return signedBody(t, body, at, secret)
}

func signedBody(t *testing.T, body []byte, at time.Time, secret []byte) evRequest {
	t.Helper()
	r, _ := http.NewRequest(http.MethodPost, "http://x", bytes.NewReader(body))
	webhook.SignRequest(r, webhook.StandardKeys(secret), webhook.EventID(webhook.Nonce()), body, at)
	return evRequest{body: body, headers: r.Header}
}

// evClient opens a connection per request: the endpoints restart.
var evClient = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

// post sends r to url over HTTP and returns the status and the refusal.
func (r evRequest) post(t *testing.T, url string) (int, webhook.ErrorResponse) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = r.headers.Clone()
	req.Header.Set("Content-Type", "application/json")
	resp, err := evClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var er webhook.ErrorResponse
	b, _ := io.ReadAll(resp.Body)
	if len(b) > 0 {
		if err := json.Unmarshal(b, &er); err != nil {
			t.Fatalf("HTTP %d: not a JSON answer: %q", resp.StatusCode, b)
		}
	}
	return resp.StatusCode, er
}

// evCounter reads a counter of reg (0 when absent).
func evCounter(t *testing.T, reg prometheus.Gatherer, name, reason string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if labelIs(m, "reason", reason) {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

func labelIs(m *dto.Metric, name, value string) bool {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue() == value
		}
	}
	return false
}

// evEvents returns the platform events the ledger holds.
func evEvents(t *testing.T, rdb redis.UniversalClient) []wire.Event {
	t.Helper()
	es, err := ledger.New(rdb, "").Read(context.Background(), "0", 10000, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []wire.Event
	for _, e := range es {
		if e.Event != nil {
			out = append(out, *e.Event)
		}
	}
	return out
}

// TestEventsEndpointChecksWhatWasSent runs two schedulers' events
// endpoints on one Redis over real HTTP. An event is taken only when it
// answers an invitation the ledger shows as delivered to that account and
// person, dated between the send (minus the skew) and now (plus the
// skew); every other one is answered 4xx with its reason, counted by
// reason (metric, and the ledger's count for status) and logged at WARN
// with bounded fields and no person. A request taken by one endpoint is a
// replay for the other, and for the first after a restart.
func TestEventsEndpointChecksWhatWasSent(t *testing.T) {
	rs := redistest.Start(t)
	rdb := rs.Client()
	ctx := context.Background()
	cfg := evConfig(t)
	start := time.Now().UTC().Truncate(time.Second)
	clock := func() time.Time { return start }
	const ann, bo = "https://example.com/in/ann", "https://example.com/in/bo"
	sent := start.Add(-time.Hour)
	worker := ledger.New(rdb, "")
	for _, inv := range []struct{ key, account, person string }{{"c/ann/connect", "alice", ann}, {"c/bo/connect.1", "bob", bo}} {
		tk := wire.Task{Kind: wire.KindInvite, At: sent, Account: inv.account, Campaign: "c", Person: inv.person, Key: inv.key, Variant: "hi", Note: "Hi, let's connect."}
		if err := worker.AppendOutcome(ctx, tk, wire.Outcome{Kind: wire.Delivered, At: sent}); err != nil {
			t.Fatal(err)
		}
	}

	reg := prometheus.NewRegistry()
	refusals := metrics.NewRefusals(reg, webhook.Reasons)
	var logs evLogs
	addrA := evFreeAddr(t)
	a := startEvEndpoint(t, addrA, cfg, redis.NewClient(&redis.Options{Addr: rs.Addr()}), clock, refusals, logs.logger())
	b := startEvEndpoint(t, "127.0.0.1:0", cfg, redis.NewClient(&redis.Options{Addr: rs.Addr()}), clock, refusals, logs.logger())

	ev := func(typ platform.EventType, account, person, key string, at time.Time) wire.Event {
		return wire.Event{Type: typ, Account: account, Person: person, Key: key, At: at}
	}
	accepted := signedEvent(t, ev(platform.EventAccepted, "alice", ann, "c/ann/connect", sent.Add(30*time.Minute)), start, evSecret)
	if status, er := accepted.post(t, a.url); status != http.StatusNoContent {
		t.Fatalf("a good event: HTTP %d %+v", status, er)
	}
	if status, er := accepted.post(t, b.url); status != http.StatusUnauthorized || er.Reason != webhook.ReasonReplayed {
		t.Errorf("replayed to the other scheduler: HTTP %d %q", status, er.Reason)
	}
	a.stop() // a restart, on the same address
	a = startEvEndpoint(t, addrA, cfg, redis.NewClient(&redis.Options{Addr: rs.Addr()}), clock, refusals, logs.logger())
	if status, er := accepted.post(t, a.url); status != http.StatusUnauthorized || er.Reason != webhook.ReasonReplayed {
		t.Errorf("replayed after a restart: HTTP %d %q", status, er.Reason)
	}
	// The integration sending the same answer again (a new nonce): taken,
	// not recorded twice.
	again := signedEvent(t, ev(platform.EventAccepted, "alice", ann, "c/ann/connect", sent.Add(31*time.Minute)), start, evSecret)
	if status, er := again.post(t, b.url); status != http.StatusNoContent {
		t.Errorf("the same answer again: HTTP %d %+v", status, er)
	}

	huge := strings.Repeat("h", 900_000)
	for _, c := range []struct {
		name   string
		req    evRequest
		status int
		reason string
	}{
		{"another answer", signedEvent(t, ev(platform.EventExpired, "alice", ann, "c/ann/connect", sent.Add(time.Hour)), start, evSecret), 409, webhook.ReasonAnswered},
		{"an unknown account", signedEvent(t, ev(platform.EventAccepted, "mallory", ann, "c/ann/connect", sent), start, evSecret), 422, webhook.ReasonUnknownAccount},
		{"a key of no invitation", signedEvent(t, ev(platform.EventAccepted, "alice", ann, "c/nobody/connect", sent), start, evSecret), 422, webhook.ReasonUnknownKey},
		{"another account's key", signedEvent(t, ev(platform.EventAccepted, "alice", bo, "c/bo/connect.1", sent), start, evSecret), 422, webhook.ReasonKeyMismatch},
		{"another person's key", signedEvent(t, ev(platform.EventAccepted, "bob", ann, "c/bo/connect.1", sent), start, evSecret), 422, webhook.ReasonKeyMismatch},
		{"year 9999", signedEvent(t, ev(platform.EventAccepted, "bob", bo, "c/bo/connect.1", time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)), start, evSecret), 422, webhook.ReasonInFuture},
		{"now plus 6 minutes", signedEvent(t, ev(platform.EventAccepted, "bob", bo, "c/bo/connect.1", start.Add(6*time.Minute)), start, evSecret), 422, webhook.ReasonInFuture},
		{"1970", signedEvent(t, ev(platform.EventAccepted, "bob", bo, "c/bo/connect.1", time.Unix(0, 0)), start, evSecret), 422, webhook.ReasonBeforeSend},
		{"year 1", signedEvent(t, ev(platform.EventAccepted, "bob", bo, "c/bo/connect.1", time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC)), start, evSecret), 422, webhook.ReasonBeforeSend},
		{"6 minutes before the send", signedEvent(t, ev(platform.EventAccepted, "bob", bo, "c/bo/connect.1", sent.Add(-6*time.Minute)), start, evSecret), 422, webhook.ReasonBeforeSend},
		{"a 900 KB account", signedEvent(t, ev(platform.EventAccepted, huge, bo, "c/bo/connect.1", sent), start, evSecret), 400, webhook.ReasonMalformed},
		{"not an event", signedBody(t, []byte(`{"type":"liked"}`), start, evSecret), 400, webhook.ReasonMalformed},
		{"another secret", signedEvent(t, ev(platform.EventDeclined, "bob", bo, "c/bo/connect.1", sent), start, []byte("other")), 401, webhook.ReasonSignature},
		{"stale", signedEvent(t, ev(platform.EventDeclined, "bob", bo, "c/bo/connect.1", sent), start.Add(-time.Hour), evSecret), 401, webhook.ReasonStale},
	} {
		for i, ep := range []*evEndpoint{a, b} {
			r := c.req
			if i == 1 && c.reason != webhook.ReasonSignature && c.reason != webhook.ReasonStale {
				// The same event under a new nonce: refused for its
				// content by the other scheduler too, not as a replay.
				var q webhook.EventRequest
				if json.Unmarshal(r.body, &q) == nil {
					q.Nonce = webhook.Nonce()
					body, _ := json.Marshal(q)
					r = signedBody(t, body, start, evSecret)
				}
			}
			status, er := r.post(t, ep.url)
			if status != c.status || er.Reason != c.reason || er.Code != platform.CodeInvalid {
				t.Errorf("%s (scheduler %d): HTTP %d %+v; want %d %q", c.name, i+1, status, er, c.status, c.reason)
			}
		}
	}
	if status, _ := signedEvent(t, ev(platform.EventDeclined, "bob", bo, "c/bo/connect.1", start.Add(4*time.Minute)), start, evSecret).post(t, b.url); status != http.StatusNoContent {
		t.Errorf("an answer within the skew of now: HTTP %d", status)
	}

	// Recorded: the first acceptance and bo's decline, nothing else.
	got := evEvents(t, rdb)
	if len(got) != 2 || got[0].Key != "c/ann/connect" || got[0].Type != platform.EventAccepted || got[1].Type != platform.EventDeclined {
		t.Errorf("the ledger holds %+v; want ann's acceptance and bo's decline", got)
	}
	// Counted by reason: the metric and the ledger's count (status).
	want := map[string]float64{webhook.ReasonReplayed: 2, webhook.ReasonAnswered: 2, webhook.ReasonUnknownAccount: 2, webhook.ReasonUnknownKey: 2,
		webhook.ReasonKeyMismatch: 4, webhook.ReasonInFuture: 4, webhook.ReasonBeforeSend: 6, webhook.ReasonMalformed: 4,
		webhook.ReasonSignature: 2, webhook.ReasonStale: 2}
	durable, err := ledger.New(rdb, "").Rejected(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, reason := range webhook.Reasons {
		if got := evCounter(t, reg, metrics.EventsRejected, reason); got != want[reason] {
			t.Errorf("%s{reason=%q} = %v, want %v", metrics.EventsRejected, reason, got, want[reason])
		}
		if durable[reason] != int64(want[reason]) {
			t.Errorf("the ledger counts %d refusals %q, want %v", durable[reason], reason, want[reason])
		}
	}
	// Logged at WARN, bounded, without the person.
	if n := strings.Count(logs.String(), "msg=\"event refused\""); n != 30 {
		t.Errorf("%d refusals logged, want 30:\n%s", n, logs.String())
	}
	logs.check(t, 2048, "example.com/in/")
}

// evFreeAddr returns a free loopback address.
func evFreeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// slowBodies opens n connections to addr that send a request's headers and
// the start of a body, then stall; it returns how many were still open
// after within.
func slowBodies(t *testing.T, addr, path string, n int, within time.Duration) int {
	t.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	held := 0
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.DialTimeout("tcp", addr, 5*time.Second)
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"type\":", path)
			c.SetReadDeadline(time.Now().Add(within))
			_, err = io.Copy(io.Discard, c)
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				mu.Lock()
				held++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return held
}

// TestServersCutSlowBodies: the events endpoint and the metrics endpoint
// cut connections that trickle their body (ReadTimeout 10s): none is held
// for 30s.
func TestServersCutSlowBodies(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the servers' read timeout (10s)")
	}
	rs := redistest.Start(t)
	reg := prometheus.NewRegistry()
	ep := startEvEndpoint(t, "127.0.0.1:0", evConfig(t), rs.Client(), time.Now, metrics.NewRefusals(reg, webhook.Reasons), slog.New(slog.DiscardHandler))
	ms, err := metrics.Listen("127.0.0.1:0", reg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer ms.Stop(context.Background())
	eventsAddr := strings.TrimSuffix(strings.TrimPrefix(ep.url, "http://"), webhook.EventsPath)
	var wg sync.WaitGroup
	for name, addr := range map[string]string{"events": eventsAddr, "metrics": ms.Addr()} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			if held := slowBodies(t, addr, "/v1/events", 100, 30*time.Second); held > 0 {
				t.Errorf("%s endpoint: %d of 100 slow-body connections held for 30s", name, held)
			}
			t.Logf("%s endpoint: 100 slow-body connections cut in %v", name, time.Since(start).Round(time.Millisecond))
		}()
	}
	wg.Wait()
	if got := evCounter(t, reg, metrics.EventsRejected, webhook.ReasonUnreadable); got != 100 {
		t.Errorf("%s{reason=unreadable} = %v, want 100", metrics.EventsRejected, got)
	}
}

// TestUnknownAccountsAreSkipped: ledger entries of an account not in the
// configuration (an event recorded before the endpoint checked accounts,
// with a 900 KB field, and an outcome of an account removed since) no
// longer break anything: status reads on and counts them, the leading
// scheduler's rebuild and its live loop skip and count them by reason,
// and no log line carries the field.
func TestUnknownAccountsAreSkipped(t *testing.T) {
	rs := redistest.Start(t)
	rdb := rs.Client()
	ctx := context.Background()
	cfg := evConfig(t)
	huge := strings.Repeat("g", 900_000)
	at := time.Now().UTC().Add(-time.Hour)
	raw := func(e ledger.Entry) {
		t.Helper()
		b, err := wire.EncodeEntry(e)
		if err != nil {
			t.Fatal(err)
		}
		if err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: ledger.New(rdb, "").Key(), Values: []any{"e", b}}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	raw(ledger.Entry{Event: &wire.Event{Type: platform.EventAccepted, Account: huge, Person: "https://example.com/in/x" + huge, Key: "c/x/connect", At: at}})
	raw(ledger.Entry{Task: &wire.Task{Kind: wire.KindInvite, At: at, Account: "gone", Campaign: "c", Person: "https://example.com/in/y", Key: "c/y/connect"},
		Outcome: &wire.Outcome{Kind: wire.Delivered, At: at}})
	raw(ledger.Entry{Event: &wire.Event{Type: platform.EventDeclined, Account: "alice", Person: "https://example.com/in/z", Key: "c/z/connect", At: at}})

	cfg.Redis.Addr = rs.Addr()
	st, err := ReadStatus(ctx, cfg, nil, time.Now())
	if err != nil {
		t.Fatalf("status: %.300v", err)
	}
	if st.Skipped["unknown_account"] != 2 || st.Ledger != 1 {
		t.Errorf("status skipped %v and applied %d entries; want 2 unknown_account, 1 applied", st.Skipped, st.Ledger)
	}

	var logs evLogs
	reg := prometheus.NewRegistry()
	p, err := schedulerdaemon.NewLeader(schedulerdaemon.LeaderOptions{Config: cfg, Now: time.Now, Logger: logs.logger(), Ledger: ledger.New(rdb, ""),
		Enqueue: refuseEnqueue, Refusals: metrics.NewRefusals(reg, webhook.Reasons), Backfill: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Rebuild(ctx); err != nil {
		t.Fatalf("the leader's rebuild: %.300v", err)
	}
	raw(ledger.Entry{Event: &wire.Event{Type: platform.EventExpired, Account: huge, Person: "p", Key: "k", At: at}})
	p.Drain(ctx) // applies the new entry, as the live loop does
	if got := evCounter(t, reg, metrics.LedgerEntriesSkipped, "unknown_account"); got != 3 {
		t.Errorf("%s{reason=unknown_account} = %v, want 3", metrics.LedgerEntriesSkipped, got)
	}
	if !strings.Contains(logs.String(), "ledger entries skipped") || !strings.Contains(logs.String(), "ledger entry skipped") {
		t.Errorf("the skips are not logged:\n%.2000s", logs.String())
	}
	logs.check(t, 2048, "example.com/in/", strings.Repeat("g", 257))
}

// TestBackfillAfterUpgrade: invitations delivered before the index of
// sent invitations existed (an upgrade) are put in it when a scheduler
// takes the lead, under the key they were sent with, so that their
// answers are taken; an answered one is left as it is.
func TestBackfillAfterUpgrade(t *testing.T) {
	rs := redistest.Start(t)
	rdb := rs.Client()
	ctx := context.Background()
	cfg, camp := loadWorkspace(t, t.TempDir(), map[string]string{
		"p.csv": "profile_url,first_name\nhttps://example.com/in/ann,Ann\nhttps://example.com/in/bo,Bo\n",
		"config.yaml": `
defaults: {min_gap: 1s, jitter: 0, days: [mon, tue, wed, thu, fri, sat, sun], hours: "00:00-24:00"}
accounts:
  - {id: alice, tier: premium}
campaigns: [c.yaml]
`,
		"c.yaml": "name: c\naccounts: [alice]\nprospects: {csv: p.csv}\nsteps:\n  - connect: {}\n",
	})
	now := time.Now().UTC()
	eng, err := scheduler.New(scheduler.Options{Config: cfg, Campaigns: []*campaigns.Campaign{camp}, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	old := ledger.New(rdb, "")
	old.SetSentTTL(0) // the ledger of an outreach before the index
	var invites []wire.Task
	for i, at := 0, now; len(invites) < 2 && i < 10; i++ {
		for _, tk := range eng.Plan(at) {
			if tk.Kind == wire.KindInvite {
				invites = append(invites, tk)
				if err := eng.Done(tk, wire.Outcome{Kind: wire.Delivered, At: tk.At}); err != nil {
					t.Fatal(err)
				}
			}
		}
		at, _ = eng.NextWake()
	}
	if len(invites) != 2 {
		t.Fatalf("planned %d invitations", len(invites))
	}
	for _, tk := range invites {
		if err := old.AppendOutcome(ctx, tk, wire.Outcome{Kind: wire.Delivered, At: tk.At}); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(rdb.Keys(ctx, "outreach:{ledger}:sent:*").Val()); n != 0 {
		t.Fatalf("%d index entries before the upgrade", n)
	}
	led := ledger.New(rdb, "")
	answer := func(tk wire.Task, typ platform.EventType) ledger.EventResult {
		r, _, err := led.RecordEvent(ctx, wire.Event{Type: typ, Account: tk.Account, Person: tk.Person, Key: tk.Key, At: tk.At.Add(time.Hour)}, schedulerdaemon.DefaultEventSkew)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := answer(invites[0], platform.EventAccepted); r != ledger.EventUnknownKey {
		t.Fatalf("before the backfill: %q", r)
	}
	var logs evLogs
	newLeader := func() *schedulerdaemon.Leader {
		p, err := schedulerdaemon.NewLeader(schedulerdaemon.LeaderOptions{Config: cfg, Campaigns: []*campaigns.Campaign{camp},
			Now: func() time.Time { return now }, Logger: logs.logger(), Ledger: led, Enqueue: refuseEnqueue, Backfill: true})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	if err := newLeader().Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	if r := answer(invites[0], platform.EventAccepted); r != ledger.EventRecorded {
		t.Errorf("an answer to an invitation sent before the upgrade, after the backfill: %q", r)
	}
	// A second leader start keeps the answer.
	if err := newLeader().Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	if r := answer(invites[0], platform.EventDeclined); r != ledger.EventAnswered {
		t.Errorf("another answer after a second backfill: %q", r)
	}
	if r := answer(invites[1], platform.EventDeclined); r != ledger.EventRecorded {
		t.Errorf("the other invitation: %q", r)
	}
	logs.check(t, 2048, "example.com/in/")
}

// refuseEnqueue stands for the queue of a leader that only rebuilds.
func refuseEnqueue(context.Context, *asynq.Task, ...asynq.Option) (*asynq.TaskInfo, error) {
	return nil, errors.New("these tests enqueue nothing")
}
