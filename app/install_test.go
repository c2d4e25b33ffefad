package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/install"
	"github.com/outreach-scheduler/outreach/internal/redistest"
	"github.com/outreach-scheduler/outreach/metrics"
	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/platform/sandbox"
	"github.com/outreach-scheduler/outreach/platform/sandbox/server"
	"github.com/outreach-scheduler/outreach/platform/webhook"
	"github.com/outreach-scheduler/outreach/sim"
	"github.com/outreach-scheduler/outreach/wire"
)

const lossSecret = "loss-test-secret"

// lossWorld is the workspace of the Redis-loss tests: alice, whose caps
// (8 a day, 8 a week) are spent already by invitations she sent before the
// test (the platform's record holds them; Redis does not), with working
// hours that end a few minutes from now, so that an alice who forgot them
// would send again at once; bob with caps far away and a 2s gap. Campaign
// a (alice, bob; 40 people with a note) and campaign b (bob; 15 of the
// same people, no note) share people under dedupe workspace, alice's
// eight among them.
type lossWorld struct {
	dir   string
	cfg   *config.Config
	camps []*campaigns.Campaign
	model *sandbox.Model
	hist  time.Time // the first invitation before the test
}

func newLossWorld(t *testing.T, redisYAML, platformYAML string) *lossWorld {
	t.Helper()
	now := time.Now().UTC()
	if now.Hour() == 0 && now.Minute() < 3 { // alice's history must fit in today's hours
		time.Sleep(time.Date(now.Year(), now.Month(), now.Day(), 0, 3, 0, 0, time.UTC).Sub(now))
		now = time.Now().UTC()
	}
	day := now.Truncate(24 * time.Hour)
	open := latest(day, now.Add(-3*time.Hour).Truncate(time.Minute))
	end := now.Truncate(time.Minute).Add(3 * time.Minute)
	endText := end.Format("15:04")
	if !end.Before(day.Add(24 * time.Hour)) {
		endText = "24:00"
	}
	hist := latest(open, now.Add(-2*time.Hour)).Add(time.Minute)

	dir := t.TempDir()
	var people strings.Builder
	people.WriteString("profile_url,first_name\n")
	for i := range 40 {
		fmt.Fprintf(&people, "https://example.com/in/p%d,P%d\n", i, i)
	}
	files := map[string]string{
		"a.csv": people.String(),
		"b.csv": strings.Join(strings.Split(people.String(), "\n")[:16], "\n") + "\n",
		"config.yaml": redisYAML + platformYAML + `
defaults:
  min_gap: 2s
  jitter: 0
  days: [mon, tue, wed, thu, fri, sat, sun]
  hours: "00:00-24:00"
accounts:
  - id: alice
    tier: premium
    hours: "` + open.Format("15:04") + `-` + endText + `"
    limits: {weekly: 8, daily: 8}
  - id: bob
    tier: premium
    limits: {weekly: 1000000, daily: 500000}
campaigns: [a.yaml, b.yaml]
`,
		"a.yaml": "name: a\naccounts: [alice, bob]\nprospects: {csv: a.csv}\nsteps:\n  - connect:\n      note:\n        variants:\n          - name: hi\n            text: \"Hi {{.first_name}}!\"\n",
		"b.yaml": "name: b\naccounts: [bob]\nprospects: {csv: b.csv}\nsteps:\n  - connect: {}\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg, fs, err := config.Load(filepath.Join(dir, "config.yaml"))
	if err != nil || fs.HasErrors() {
		t.Fatal(err, fs.Strings())
	}
	cfg.Metrics.Listen = "" // several processes in one test
	w := &lossWorld{dir: dir, cfg: cfg, hist: hist}
	for _, f := range []string{"a.yaml", "b.yaml"} {
		c, fs, err := campaigns.Load(filepath.Join(dir, f), cfg)
		if err != nil || fs.HasErrors() {
			t.Fatal(err, fs.Strings())
		}
		w.camps = append(w.camps, c)
	}
	sbOpt, err := sandbox.OptionsFromConfig(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	w.model = sandbox.New(sbOpt)
	// alice's invitations before the test: her caps are spent.
	for i := range 8 {
		err := w.model.Invite(context.Background(), platform.Invite{
			Action: platform.Action{Key: fmt.Sprintf("a/history%d/invite", i), Account: "alice",
				Person: fmt.Sprintf("https://example.com/in/p%d", i), Campaign: "a", At: hist.Add(time.Duration(i) * 5 * time.Second)},
			Variant: "hi", Note: fmt.Sprintf("Hi P%d!", i)})
		if err != nil {
			t.Fatal(err)
		}
	}
	return w
}

func latest(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// invited counts the invitations the platform accepted, by account.
func invited(rec []sandbox.Entry) map[string]int {
	n := map[string]int{}
	for _, e := range rec {
		if e.Op == sandbox.OpInvite && e.Refused == "" && !e.Repeat {
			n[e.Account]++
		}
	}
	return n
}

// waitUntil polls cond every 100ms until it holds or the deadline passes.
func waitUntil(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// check referees the platform's record: no promise broken (caps, gaps,
// hours, dedupe: sim.CheckInvariants), alice never past her caps (she had
// spent them before the test), and nobody invited twice, by any account.
func (w *lossWorld) check(t *testing.T, rec []sandbox.Entry, events []wire.Event) {
	t.Helper()
	for _, v := range sim.CheckInvariants(w.cfg, w.camps, rec, events) {
		t.Errorf("%s", v)
	}
	by := map[string][]string{}
	for _, e := range rec {
		if e.Op == sandbox.OpInvite && e.Refused == "" && !e.Repeat {
			by[e.Person] = append(by[e.Person], e.Account)
		}
	}
	for p, accts := range by {
		if len(accts) > 1 {
			t.Errorf("%s invited %d times, by %v", p, len(accts), accts)
		}
	}
	if n := invited(rec)["alice"]; n != 8 {
		t.Errorf("alice has %d invitations on the platform; she had spent her caps of 8 before the test", n)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func counterValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	return -1
}

// daemons is a scheduler and a worker running in this process.
type daemons struct {
	cancel   context.CancelFunc
	sched    chan error
	work     chan error
	regs     []*prometheus.Registry
	schedErr error
	workErr  error
}

func startDaemons(w *lossWorld, listen string, log *slog.Logger) *daemons {
	ctx, cancel := context.WithCancel(context.Background())
	d := &daemons{cancel: cancel, sched: make(chan error, 1), work: make(chan error, 1),
		regs: []*prometheus.Registry{prometheus.NewRegistry(), prometheus.NewRegistry()}}
	opt := DaemonOptions{Config: w.cfg, Campaigns: w.camps, Keys: webhook.StandardKeys([]byte(lossSecret)), Logger: log, PlanSpec: "@every 1s",
		Listen: listen, Concurrency: 4, LeaseTTL: 3 * time.Second, InstallCheck: 200 * time.Millisecond}
	so, wo := opt, opt
	so.ID, so.Registry = "scheduler", d.regs[0]
	wo.ID, wo.Registry = "worker", d.regs[1]
	go func() { d.sched <- RunScheduler(ctx, so) }()
	go func() { d.work <- RunWorker(ctx, wo) }()
	return d
}

// wait waits for both daemons to return by themselves.
func (d *daemons) wait(t *testing.T, within time.Duration) {
	t.Helper()
	timeout := time.After(within)
	for range 2 {
		select {
		case d.schedErr = <-d.sched:
			d.sched = nil
		case d.workErr = <-d.work:
			d.work = nil
		case <-timeout:
			t.Fatalf("the daemons did not stop within %v of Redis losing its data (scheduler %v, worker %v)", within, d.schedErr, d.workErr)
		}
	}
}

// running fails the test when a daemon returned by itself.
func (d *daemons) running(t *testing.T) bool {
	t.Helper()
	select {
	case err := <-d.sched:
		t.Fatalf("the scheduler returned: %v", err)
	case err := <-d.work:
		t.Fatalf("the worker returned: %v", err)
	default:
	}
	return true
}

// stop cancels the daemons and waits for them.
func (d *daemons) stop(t *testing.T) {
	t.Helper()
	d.cancel()
	d.wait(t, 30*time.Second)
	for _, err := range []error{d.schedErr, d.workErr} {
		if err != nil {
			t.Errorf("a daemon stopped with %v", err)
		}
	}
}

func (d *daemons) recoveries(t *testing.T) float64 {
	return counterValue(t, d.regs[0], metrics.Recoveries) + counterValue(t, d.regs[1], metrics.Recoveries)
}

// TestDaemonsStopAndRecoverWhenRedisLosesItsData: the scheduler and worker
// daemons with the sandbox server over real HTTP, on a Redis without
// persistence. At start Redis is empty and the platform already has
// alice's invitations: the daemons rebuild the state from them. Mid-run
// Redis is killed and restarted empty on the same port: the running
// daemons stop sending and return the lost-marker error; started again,
// they recover from the sandbox's record. The sandbox's own record shows
// no cap, gap or hours broken and nobody invited twice.
func TestDaemonsStopAndRecoverWhenRedisLosesItsData(t *testing.T) {
	rs := redistest.Start(t) // no AOF: a restart comes back empty
	ctx := context.Background()
	w := newLossWorld(t, "redis:\n  addr: "+rs.Addr()+"\n", "platform:\n  sandbox: {accept_rate: 0.5, delay_scale: 0.0001}\n")
	listen := freeAddr(t)
	srv := server.New(w.model, server.Options{Keys: webhook.StandardKeys([]byte(lossSecret)), EventsURL: "http://" + listen + "/v1/events"})
	hs := httptest.NewServer(srv)
	defer hs.Close()
	w.cfg.Platform = config.Platform{Driver: config.DriverWebhook, Webhook: &config.Webhook{URL: hs.URL, Timeout: 5 * time.Second}}
	flushCtx, stopFlush := context.WithCancel(ctx)
	defer stopFlush()
	go func() { // the platform's answers, pushed as they fall due
		for flushCtx.Err() == nil {
			srv.Flush(flushCtx, time.Now())
			time.Sleep(200 * time.Millisecond)
		}
	}()
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("logs:\n%s", logs.String())
		}
	})

	// 1. Start on the empty Redis: recovered from alice's history.
	d := startDaemons(w, listen, log)
	waitUntil(t, 60*time.Second, "bob's first 4 invitations", func() bool { return d.running(t) && invited(w.model.Record())["bob"] >= 4 })
	if got := d.recoveries(t); got != 1 {
		t.Errorf("%v recoveries counted at the first start; want 1 (alice's history)\n%s", got, logs.String())
	}
	m, err := install.Read(ctx, rs.Client())
	if err != nil || m.Origin != install.OriginRecovered || m.Recovered != 8 {
		t.Errorf("marker %+v, %v; want recovered from alice's 8 invitations", m, err)
	}

	// 2. Redis restarts empty under the running daemons.
	rs.Restart(t)
	d.wait(t, 30*time.Second)
	for name, err := range map[string]error{"scheduler": d.schedErr, "worker": d.workErr} {
		if !errors.Is(err, install.ErrLost) || !strings.Contains(err.Error(), "vanished") {
			t.Errorf("the %s returned %v; want the lost-marker error", name, err)
		}
	}
	before := invited(w.model.Record())
	noStaleWrites(t, rs)
	if !strings.Contains(logs.String(), "stopped sending") {
		t.Errorf("no ERROR saying why the daemons stopped:\n%s", logs.String())
	}

	// 3. Started again: they recover from the sandbox's record and go on.
	d = startDaemons(w, listen, log)
	waitUntil(t, 90*time.Second, "8 more invitations from bob", func() bool {
		return d.running(t) && invited(w.model.Record())["bob"] >= before["bob"]+8
	})
	if got := d.recoveries(t); got != 1 {
		t.Errorf("%v recoveries counted after the restart; want 1", got)
	}
	m2, err := install.Read(ctx, rs.Client())
	if err != nil || m2.Origin != install.OriginRecovered || m2.Recovered < 8+before["bob"] || m2.ID == m.ID {
		t.Errorf("marker after the loss %+v, %v; want a new install recovered from at least %d invitations", m2, err, 8+before["bob"])
	}
	d.stop(t)
	stopFlush()

	var inv server.Invitations
	getJSONTo(t, hs.URL+"/v1/invitations", &inv)
	var evs server.Events
	getJSONTo(t, hs.URL+"/v1/events?since=0", &evs)
	var events []wire.Event
	for _, e := range evs.Events {
		ev, err := e.Event()
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, ev)
	}
	t.Logf("%d requests: %v invitations by account, %d answers, %d refused", len(inv.Requests), invited(inv.Requests), len(events), len(inv.Violations))
	w.check(t, inv.Requests, events)
	if !strings.Contains(logs.String(), "recovered: the state was rebuilt") {
		t.Errorf("the recovery is not logged:\n%s", logs.String())
	}
}

// noStaleWrites: a process that saw the marker lost wrote nothing of its
// state back to the Redis that lost it (a last snapshot or statistics from
// its memory, which the next leader would take for the truth).
func noStaleWrites(t *testing.T, rs *redistest.Server) {
	t.Helper()
	ctx := context.Background()
	keys := rs.Client().Keys(ctx, "outreach:{ledger}:snapshot*").Val()
	keys = append(keys, rs.Client().Keys(ctx, "outreach:{ledger}:stats").Val()...)
	if len(keys) > 0 {
		t.Errorf("the stopped processes wrote %v to the Redis that lost its data", keys)
	}
}

func getJSONTo(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

// answersOf are the platform's answers to the invitations of its record,
// as the events it delivered (the model's own record of them).
func answersOf(t *testing.T, m *sandbox.Model) []wire.Event {
	t.Helper()
	sent, err := m.SentInvitations(context.Background(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	var evs []wire.Event
	for _, s := range sent {
		switch s.Answer {
		case platform.AnswerAccepted, platform.AnswerDeclined, platform.AnswerExpired:
			evs = append(evs, wire.Event{Type: platform.EventType(s.Answer), Account: s.Account, Person: s.Person, Key: s.Key, At: s.AnsweredAt})
		}
	}
	return evs
}

// TestRunStopsAndRecoversWhenRedisLosesItsData is the same under `outreach
// run` on a real Redis (redis.addr set), the in-process sandbox model
// standing for the platform across the two runs.
func TestRunStopsAndRecoversWhenRedisLosesItsData(t *testing.T) {
	rs := redistest.Start(t)
	w := newLossWorld(t, "redis:\n  addr: "+rs.Addr()+"\n", "platform:\n  sandbox: {accept_rate: 0.5, delay_scale: 0.0001}\n")
	var logs, out syncBuffer
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("logs:\n%s\noutput:\n%s", logs.String(), out.String())
		}
	})
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	start := func() (context.CancelFunc, chan error) {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			done <- Run(ctx, Options{Config: w.cfg, Campaigns: w.camps, Model: w.model, Out: &out, Logger: log,
				PlanSpec: "@every 1s", Progress: time.Hour, Seed: 1, InstallCheck: 200 * time.Millisecond})
		}()
		return cancel, done
	}
	alive := func(done chan error) bool {
		select {
		case err := <-done:
			t.Fatalf("run returned: %v", err)
		default:
		}
		return true
	}

	cancel, done := start()
	defer cancel()
	waitUntil(t, 60*time.Second, "bob's first 4 invitations", func() bool { return alive(done) && invited(w.model.Record())["bob"] >= 4 })
	rs.Restart(t)
	select {
	case err := <-done:
		if !errors.Is(err, install.ErrLost) {
			t.Fatalf("run returned %v; want the lost-marker error", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("run did not stop within 30s of Redis losing its data")
	}
	before := invited(w.model.Record())
	noStaleWrites(t, rs)

	cancel, done = start()
	defer cancel()
	waitUntil(t, 90*time.Second, "8 more invitations from bob", func() bool {
		return alive(done) && invited(w.model.Record())["bob"] >= before["bob"]+8
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	m, err := install.Read(context.Background(), rs.Client())
	if err != nil || m.Origin != install.OriginRecovered || m.Recovered < 8+before["bob"] {
		t.Errorf("marker %+v, %v; want recovered from at least %d invitations", m, err, 8+before["bob"])
	}
	rec := w.model.Record()
	t.Logf("%d requests: %v invitations by account", len(rec), invited(rec))
	w.check(t, rec, answersOf(t, w.model))
}

// TestDaemonsNeedInitWhenThePlatformCannotAnswer: an integration without
// the sent-invitations request (404): on a Redis without a marker the
// daemons refuse to start and say to run `outreach init`; after Init they
// start.
func TestDaemonsNeedInitWhenThePlatformCannotAnswer(t *testing.T) {
	rs := redistest.Start(t)
	w := newLossWorld(t, "redis:\n  addr: "+rs.Addr()+"\n", "")
	srv := server.New(w.model, server.Options{Keys: webhook.StandardKeys([]byte(lossSecret))})
	hs := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/invitations/sent" {
			http.NotFound(rw, r)
			return
		}
		srv.ServeHTTP(rw, r)
	}))
	defer hs.Close()
	w.cfg.Platform = config.Platform{Driver: config.DriverWebhook, Webhook: &config.Webhook{URL: hs.URL, Timeout: 5 * time.Second}}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	opt := DaemonOptions{Config: w.cfg, Campaigns: w.camps, Keys: webhook.StandardKeys([]byte(lossSecret)), InstallCheck: 100 * time.Millisecond}
	for name, run := range map[string]func(context.Context, DaemonOptions) error{"scheduler": RunScheduler, "worker": RunWorker} {
		err := run(ctx, opt)
		if !errors.Is(err, ErrNeedInit) || !strings.Contains(err.Error(), "run `outreach init`") || !strings.Contains(err.Error(), "--recover FILE") {
			t.Errorf("the %s on a Redis without a marker: %v; want ErrNeedInit telling to run outreach init", name, err)
		}
	}
	if n := rs.Client().DBSize(ctx).Val(); n != 0 {
		t.Errorf("the refused daemons left %d keys in Redis: %v", n, rs.Client().Keys(ctx, "*").Val())
	}
	res, err := Init(ctx, InitOptions{Config: w.cfg})
	if err != nil || res.Marker.Origin != install.OriginInit {
		t.Fatalf("Init: %+v, %v", res, err)
	}
	if _, err := Init(ctx, InitOptions{Config: w.cfg}); !errors.Is(err, install.ErrExists) {
		t.Errorf("a second Init: %v; want ErrExists", err)
	}
	wctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- RunWorker(wctx, opt) }()
	time.Sleep(500 * time.Millisecond)
	stop()
	if err := <-done; err != nil {
		t.Errorf("the worker after init: %v", err)
	}
}

// TestEvictionPolicy: a Redis that may evict keys is refused at start, by
// the daemons and by run on a real Redis; where CONFIG is refused (managed
// Redis) they warn and start.
func TestEvictionPolicy(t *testing.T) {
	lru := redistest.Start(t, redistest.WithArgs("--maxmemory", "64mb", "--maxmemory-policy", "allkeys-lru"))
	w := newLossWorld(t, "redis:\n  addr: "+lru.Addr()+"\n", "")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	runOpt := Options{Config: w.cfg, Campaigns: w.camps, Model: w.model}
	var ee *install.EvictionError
	if err := Run(ctx, runOpt); !errors.As(err, &ee) || ee.Policy != "allkeys-lru" || !strings.Contains(err.Error(), "noeviction") {
		t.Errorf("run on allkeys-lru: %v; want an eviction error naming the policy and the fix", err)
	}
	w.cfg.Platform = config.Platform{Driver: config.DriverWebhook, Webhook: &config.Webhook{URL: "http://127.0.0.1:1", Timeout: time.Second}}
	opt := DaemonOptions{Config: w.cfg, Campaigns: w.camps, Keys: webhook.StandardKeys([]byte(lossSecret))}
	for name, run := range map[string]func(context.Context, DaemonOptions) error{"scheduler": RunScheduler, "worker": RunWorker} {
		if err := run(ctx, opt); !errors.As(err, &ee) || ee.Policy != "allkeys-lru" {
			t.Errorf("the %s on allkeys-lru: %v; want an eviction error", name, err)
		}
	}
	if n := lru.Client().DBSize(ctx).Val(); n != 0 {
		t.Errorf("the refused processes left %d keys: %v", n, lru.Client().Keys(ctx, "*").Val())
	}

	managed := redistest.Start(t, redistest.WithArgs("--rename-command", "CONFIG", ""))
	w.cfg.Redis.Addr = managed.Addr()
	var logs syncBuffer
	opt.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if _, err := Init(ctx, InitOptions{Config: w.cfg, Logger: opt.Logger}); err != nil {
		t.Fatal(err)
	}
	wctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- RunWorker(wctx, opt) }()
	time.Sleep(500 * time.Millisecond)
	stop()
	if err := <-done; err != nil {
		t.Errorf("the worker where CONFIG is refused: %v; want a warning and a start", err)
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "maxmemory-policy") {
		t.Errorf("no warning that the policy cannot be checked:\n%s", logs.String())
	}
}
