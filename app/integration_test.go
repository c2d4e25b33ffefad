package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/internal/redistest"
	"github.com/outreach-scheduler/outreach/ledger"
	"github.com/outreach-scheduler/outreach/metrics"
	"github.com/outreach-scheduler/outreach/pacing"
	"github.com/outreach-scheduler/outreach/platform/sandbox"
	"github.com/outreach-scheduler/outreach/platform/sandbox/server"
	"github.com/outreach-scheduler/outreach/platform/webhook"
	"github.com/outreach-scheduler/outreach/scheduler"
	schedulerdaemon "github.com/outreach-scheduler/outreach/scheduler/daemon"
	"github.com/outreach-scheduler/outreach/wire"
)

const integrationSecret = "integration-test-secret"

// integrationWorkspace is two accounts working around the clock with
// one-second gaps and caps far away, one campaign of n prospects
// (https://example.com/in/p0...) with a one-variant note, on the Redis at
// addr, with the sandbox model of the config (refuse: its
// platform.sandbox.refuse entries, YAML).
func integrationWorkspace(t *testing.T, addr string, n int, refuse string) (*config.Config, *campaigns.Campaign, *sandbox.Model) {
	t.Helper()
	cfg, c := loadWorkspace(t, t.TempDir(), map[string]string{
		"p.csv": peopleCSV(n, "p", "Name"),
		"config.yaml": fmt.Sprintf(`
redis:
  addr: %s
platform:
  sandbox:
    accept_rate: 0
    decline_rate: 0
    refuse: [%s]
defaults:
  min_gap: 1s
  jitter: 0
  days: [mon, tue, wed, thu, fri, sat, sun]
  hours: "00:00-24:00"
accounts:
  - {id: alice, tier: premium, limits: {weekly: 1000000, daily: 500000}}
  - {id: bob, tier: premium, limits: {weekly: 1000000, daily: 500000}}
campaigns: [c.yaml]
`, addr, refuse),
		"c.yaml": `
name: c
accounts: [alice, bob]
prospects: {csv: p.csv}
steps:
  - connect:
      note:
        variants:
          - name: hi
            text: "Hi {{.first_name}}, let's connect."
`,
	})
	sbOpt, err := sandbox.OptionsFromConfig(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	return cfg, c, sandbox.New(sbOpt)
}

// Modes of faultyIntegration.
const (
	modeGood      int32 = iota
	modeBadAuth         // the integration verifies with another secret: 401
	modeFailing         // 500, nothing performed
	modeHangingUp       // closes every connection without an answer
)

// faultyIntegration is the sandbox server over real HTTP, failing as its
// mode says. It records the idempotency keys that met a fault.
type faultyIntegration struct {
	mode      atomic.Int32
	good, bad http.Handler
	mu        sync.Mutex
	faulted   map[string]int32 // key -> the mode it met
	hits      int              // action requests answered with a fault
}

func newFaultyIntegration(model *sandbox.Model) *faultyIntegration {
	return &faultyIntegration{
		good:    server.New(model, server.Options{Keys: webhook.StandardKeys([]byte(integrationSecret))}),
		bad:     server.New(model, server.Options{Keys: webhook.StandardKeys([]byte("another secret"))}),
		faulted: map[string]int32{},
	}
}

func (f *faultyIntegration) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	mode := f.mode.Load()
	if mode == modeGood || !strings.HasPrefix(r.URL.Path, webhook.ActionsPath) {
		f.good.ServeHTTP(w, r)
		return
	}
	f.mu.Lock()
	f.faulted[r.Header.Get(webhook.HeaderIdempotencyKey)] = mode
	f.hits++
	f.mu.Unlock()
	switch mode {
	case modeBadAuth:
		f.bad.ServeHTTP(w, r)
	case modeFailing:
		http.Error(w, "internal error", http.StatusInternalServerError)
	case modeHangingUp:
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			conn.Close()
		}
	}
}

func (f *faultyIntegration) faultHits() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits
}

// runDaemons runs a scheduler and a worker until the returned stop.
func runDaemons(t *testing.T, cfg *config.Config, c *campaigns.Campaign, workerLog, schedLog *slog.Logger) (workerReg *prometheus.Registry, stop func()) {
	t.Helper()
	return runDaemonsOf(t, cfg, []*campaigns.Campaign{c}, workerLog, schedLog)
}

// runDaemonsOf is runDaemons with several campaigns.
func runDaemonsOf(t *testing.T, cfg *config.Config, cs []*campaigns.Campaign, workerLog, schedLog *slog.Logger) (workerReg *prometheus.Registry, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	workerReg = prometheus.NewRegistry()
	opt := DaemonOptions{Config: cfg, Campaigns: cs, Keys: webhook.StandardKeys([]byte(integrationSecret)), PlanSpec: "@every 1s",
		Concurrency: 4, LeaseTTL: 3 * time.Second, InstallCheck: 200 * time.Millisecond}
	so, wo := opt, opt
	so.ID, so.Registry, so.Logger = "scheduler", prometheus.NewRegistry(), schedLog
	wo.ID, wo.Registry, wo.Logger = "worker", workerReg, workerLog
	errs := make(chan error, 2)
	go func() { errs <- RunScheduler(ctx, so) }()
	go func() { errs <- RunWorker(ctx, wo) }()
	stopped := false
	return workerReg, func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		for range 2 {
			select {
			case err := <-errs:
				if err != nil {
					t.Errorf("a daemon stopped with %v", err)
				}
			case <-time.After(30 * time.Second):
				t.Error("the daemons did not stop within 30s")
				return
			}
		}
	}
}

// runRetriesNow brings forward the retries waiting in asynq (an unknown
// outcome waits 15s to minutes), as `asynq task run` would.
func runRetriesNow(t *testing.T, insp *asynq.Inspector) {
	t.Helper()
	tasks, err := insp.ListRetryTasks(wire.QueueName)
	if err != nil {
		return // no queue yet
	}
	for _, ti := range tasks {
		insp.RunTask(wire.QueueName, ti.ID)
	}
}

// logLevelCount counts the lines of a text log at level whose message
// contains msg.
func logLevelCount(log, level, msg string) int {
	n := 0
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, "level="+level) && strings.Contains(l, msg) {
			n++
		}
	}
	return n
}

// TestIntegrationOutages runs the scheduler and worker daemons on a real
// Redis against the sandbox server over HTTP, which fails three times: it
// refuses the signatures (401: a wrong secret), then answers 500, then
// closes every connection; each time the test waits for the worker to
// notice, keeps the fault a little, and repairs it. Checked against the
// sandbox's record, the ledger, the limiter, the queue, the metrics and the
// worker's log: no prospect fails, every person is invited exactly once,
// the limiter counts exactly what the platform took (no slot leaked by a
// 401, none counted twice by a retry), outreach_integration_up reads 0
// during each outage and 1 after, few requests reach a failing
// integration (the worker pauses, then probes), and the log has one ERROR
// and one WARN line per outage.
func TestIntegrationOutages(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: about 40s")
	}
	rs := redistest.Start(t)
	const n = 40
	cfg, camp, model := integrationWorkspace(t, rs.Addr(), n, "")
	fi := newFaultyIntegration(model)
	hs := httptest.NewServer(fi)
	defer hs.Close()
	cfg.Platform = config.Platform{Driver: config.DriverWebhook, Webhook: &config.Webhook{URL: hs.URL, Timeout: 2 * time.Second}}
	var wlogs, slogs syncBuffer
	wlog := slog.New(slog.NewTextHandler(&wlogs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	reg, stop := runDaemons(t, cfg, camp, wlog, slog.New(slog.NewTextHandler(&slogs, &slog.HandlerOptions{Level: slog.LevelInfo})))
	defer stop()
	defer func() {
		if t.Failed() {
			t.Logf("worker log:\n%s\nscheduler log:\n%s", wlogs.String(), slogs.String())
		}
	}()
	insp := asynq.NewInspector(asynq.RedisClientOpt{Addr: rs.Addr()})
	defer insp.Close()
	taken := func() int {
		k := 0
		for _, c := range invited(model.Record()) {
			k += c
		}
		return k
	}
	up := func() float64 { return metricValue(t, reg, metrics.IntegrationUp, nil) }

	waitUntil(t, 60*time.Second, "the first invitations", func() bool { return taken() >= 2 })
	outages := []struct {
		name string
		mode int32
	}{{"401", modeBadAuth}, {"500", modeFailing}, {"hang-up", modeHangingUp}}
	for i, o := range outages {
		if i > 0 {
			at := taken()
			waitUntil(t, 60*time.Second, "invitations between outages", func() bool { runRetriesNow(t, insp); return taken() >= at+3 })
		}
		before := fi.faultHits()
		fi.mode.Store(o.mode)
		waitUntil(t, 30*time.Second, o.name+": the gauge at 0", func() bool { return up() == 0 })
		time.Sleep(3 * time.Second) // down a while: the worker probes
		if v := up(); v != 0 {
			t.Errorf("%s: %s = %v during the outage", o.name, metrics.IntegrationUp, v)
		}
		fi.mode.Store(modeGood)
		waitUntil(t, 30*time.Second, o.name+": the gauge back at 1", func() bool { return up() == 1 })
		// The worker paused: the tasks in flight when it failed (4), and
		// a probe at 1s, 2s... (the driver makes up to 4 attempts each).
		if hits := fi.faultHits() - before; hits > 4*(4+4) {
			t.Errorf("%s: %d requests reached the failing integration; the worker does not pause", o.name, hits)
		}
	}
	waitUntil(t, 90*time.Second, fmt.Sprintf("all %d people invited", n), func() bool { runRetriesNow(t, insp); return taken() >= n })
	time.Sleep(2 * time.Second) // let late outcomes land
	stop()

	// Every person exactly once; nobody failed.
	rec := model.Record()
	byPerson := map[string]int{}
	byAccount := invited(rec)
	for _, e := range rec {
		if e.Op == sandbox.OpInvite && e.Refused == "" && !e.Repeat {
			byPerson[e.Person]++
		}
	}
	for i := range n {
		if p := fmt.Sprintf("https://example.com/in/p%d", i); byPerson[p] != 1 {
			t.Errorf("%s invited %d times, want once", p, byPerson[p])
		}
	}
	eng, err := scheduler.New(scheduler.Options{Config: cfg, Campaigns: []*campaigns.Campaign{camp}, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := schedulerdaemon.Rebuild(context.Background(), eng, ledger.New(rs.Client(), "")); err != nil {
		t.Fatal(err)
	}
	if f := eng.Failed("c"); len(f) != 0 {
		t.Errorf("prospects failed: %v", f)
	}
	counts, _ := eng.Counts("c")
	if counts.Invited != n {
		t.Errorf("the ledger has %d invited, want %d", counts.Invited, n)
	}
	denied := map[string]bool{}
	eachEntry(t, rs, func(e ledger.Entry) {
		switch {
		case e.Outcome != nil && e.Outcome.Kind == wire.Refused:
			t.Errorf("refused outcome in the ledger: %s %+v", e.Task.Key, e.Outcome)
		case e.Outcome != nil && e.Outcome.Kind == wire.Denied:
			denied[e.Task.Key] = true
		}
	})
	// Each key that met a fault was retried as it was: taken under that
	// key, or denied by the limiter on its retry (then planned again under
	// a new key).
	takenKeys := map[string]bool{}
	for _, e := range rec {
		if e.Op == sandbox.OpInvite && e.Refused == "" && !e.Repeat {
			takenKeys[e.Key] = true
		}
	}
	modes := map[int32]int{}
	fi.mu.Lock()
	for key, m := range fi.faulted {
		modes[m]++
		if !takenKeys[key] && !denied[key] {
			t.Errorf("key %s met a fault (mode %d) and was neither taken nor denied afterwards", key, m)
		}
	}
	fi.mu.Unlock()
	if modes[modeBadAuth] == 0 || modes[modeFailing] == 0 || modes[modeHangingUp] == 0 {
		t.Errorf("faulted keys by mode %v: an outage met no task", modes)
	}

	// The limiter counts exactly what the platform took.
	lim, err := pacing.NewRedisLimiter(rs.Client())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for _, a := range cfg.Accounts {
		r := pacing.RulesFor(a.Limits, a.WarmupStart, a.Location, now)
		u, err := lim.Usage(context.Background(), a.ID, now, r)
		if err != nil {
			t.Fatal(err)
		}
		if u.Week != byAccount[a.ID] {
			t.Errorf("%s: the limiter counts %d this week, the platform took %d", a.ID, u.Week, byAccount[a.ID])
		}
	}
	if q, err := insp.GetQueueInfo(wire.QueueName); err == nil && q.Archived != 0 {
		t.Errorf("%d tasks archived", q.Archived)
	}

	// Metrics and log: each outage by its reason, once.
	for _, r := range []string{"auth", "server_error", "connection"} {
		if v := metricValue(t, reg, metrics.DeliveryErrors, map[string]string{"reason": r}); v < 1 {
			t.Errorf("%s{reason=%s} = %v", metrics.DeliveryErrors, r, v)
		}
	}
	log := wlogs.String()
	if got := logLevelCount(log, "ERROR", ""); got != len(outages) {
		t.Errorf("%d ERROR lines in the worker's log, want %d (one per outage)", got, len(outages))
	}
	if got := logLevelCount(log, "WARN", "answers again"); got != len(outages) {
		t.Errorf("%d WARN lines of recovery, want %d", got, len(outages))
	}
	for _, r := range []string{"reason=auth", "reason=server_error", "reason=connection"} {
		if logLevelCount(log, "ERROR", r) != 1 {
			t.Errorf("no single ERROR line with %s", r)
		}
	}
	if strings.Contains(log, "example.com") || strings.Contains(log, "Name1") {
		t.Error("the worker's log names a person")
	}
	t.Logf("taken %v; requests that met a fault %d (keys by mode %v)", byAccount, fi.faultHits(), modes)
}
