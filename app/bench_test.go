package app

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/install"
	"github.com/outreach-scheduler/outreach/internal/redistest"
	"github.com/outreach-scheduler/outreach/ledger"
	"github.com/outreach-scheduler/outreach/platform/sandbox"
	"github.com/outreach-scheduler/outreach/prospects"
	"github.com/outreach-scheduler/outreach/wire"
	workerdaemon "github.com/outreach-scheduler/outreach/worker/daemon"
)

// Sizing of BenchmarkEndToEnd. The whole benchmark (both halves, one
// iteration) takes about 35 s.
const (
	// benchConcurrency is the worker concurrency of both halves: the
	// service's default (Options.Concurrency).
	benchConcurrency = 4
	// benchRawTasks is how many tasks the raw asynq baseline pushes through.
	benchRawTasks = 40000
	// benchAccounts set the offered load (benchOffered). It must stay above
	// the measured end-to-end rate, so that the gaps are not what is
	// measured (checked: the backlog grows, the rate stays below 85%).
	benchAccounts = 24000
	benchMinGap   = time.Second // the smallest min_gap the config accepts (units s, m, h, d, w)
	// benchWarmup: loading the config and prospects, the first plans, the
	// backlog building up.
	benchWarmup = 10 * time.Second
	benchWindow = 15 * time.Second
	// benchProspects must outlast the planning horizon plus the run.
	benchProspects = 400000
)

// benchOffered is about the invitations per second the leader offers:
// an account's gap is ceil(min_gap x (1 + 1.5 U)), U uniform in [0, 1):
// 2 s with probability 2/3, else 3 s, 7/3 s on average.
const benchOffered = benchAccounts / (7.0 / 3)

// BenchmarkEndToEnd measures, on one private redis-server and in one run,
// the invitations per second the whole service delivers with its caps
// lifted (planner -> asynq -> worker: limiter, sandbox, ledger -> planner)
// next to the tasks per second asynq alone moves through the same Redis
// with a handler that does nothing, and reports their ratio.
//
//	go test -run='^$' -bench=EndToEnd -benchtime=1x ./app
//
// Raw baseline: benchRawTasks tasks with a payload the size of a real
// invitation task, enqueued due now with the leader's options (task ID,
// retries, retention) from one client while a server built by workerdaemon.NewServer
// (the worker's concurrency and DelayedTaskCheckInterval) completes them;
// the rate runs from the first enqueue to the last completion.
//
// End to end: after FLUSHALL, Run on that Redis with benchAccounts
// accounts, min_gap 1s (the config's floor: durations are whole seconds),
// jitter 1.5 (planned times are whole seconds, so an account's invitations
// are planned 2 or 3 s apart, one second or more above the gap the limiter
// enforces at processing time: with jitter 0 they are exactly 1 s apart
// and any task processed a little later than its predecessor is denied),
// hours 00:00-24:00 every day, weekly, daily and max_pending caps far
// away, PlanSpec "@every 1s" and a 3 s planning horizon (the default 2m
// would enqueue two minutes of the offered load in the first plan). The
// rate is the invitations the sandbox model received over benchWindow
// after benchWarmup (its Stats: Invited).
//
// The gaps must not be the bottleneck: the accounts offer about
// benchOffered invitations/s, more than the pipeline completes, so the
// queue's pending backlog grows through the window; the benchmark fails
// if it does not or if the rate is above 85% of the offer (then add
// accounts; the price is the leader enqueueing more than is completed), or if the limiter denied more than
// 5% of the deliveries.
//
// Both halves log the CPU per task of this process and of redis-server
// and redis-server's busiest commands, to see where the time goes.
func BenchmarkEndToEnd(b *testing.B) {
	srv := redistest.Start(b)
	rdb := srv.Client()
	ctx := context.Background()
	var raw, e2e float64
	for b.Loop() {
		if err := rdb.FlushAll(ctx).Err(); err != nil {
			b.Fatal(err)
		}
		raw = benchRaw(b, srv)
		if err := rdb.FlushAll(ctx).Err(); err != nil {
			b.Fatal(err)
		}
		// A new install, as `outreach init` makes it: the benchmark's model
		// keeps no record of sends to recover from.
		if _, err := install.Create(ctx, rdb, install.Marker{Created: time.Now(), Origin: install.OriginInit}); err != nil {
			b.Fatal(err)
		}
		e2e = benchRun(b, srv)
	}
	b.ReportMetric(0, "ns/op") // one op is a whole minute-long run: meaningless
	b.ReportMetric(e2e, "e2e_inv/s")
	b.ReportMetric(raw, "raw_tasks/s")
	b.ReportMetric(e2e/raw, "ratio")
}

// benchPayload is a JSON wire.Task the size of a real invitation.
func benchPayload(b *testing.B) []byte {
	note := "Hi Alexandra, I came across your work on distributed systems at Example Corp and would love to connect."
	p, err := json.Marshal(wire.Task{
		Kind: wire.KindInvite, At: time.Now(), Account: "a0001", Campaign: "bench",
		Person: "https://www.linkedin.com/in/alexandra-example-1a2b3c4d", Key: "bench/1x2y3z4w5v6u7/connect",
		Variant: "hi", Note: note, Chars: len(note),
	})
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// benchRaw enqueues benchRawTasks tasks and completes them with a no-op
// handler; it returns tasks per second.
func benchRaw(b *testing.B, rs *redistest.Server) float64 {
	opt := asynq.RedisClientOpt{Addr: rs.Addr()}
	payload := benchPayload(b)
	var done atomic.Int64
	finished := make(chan time.Time, 1)
	srv := workerdaemon.NewServer(opt, benchConcurrency, slog.New(slog.DiscardHandler))
	if err := srv.Start(asynq.HandlerFunc(func(context.Context, *asynq.Task) error {
		if done.Add(1) == benchRawTasks {
			finished <- time.Now()
		}
		return nil
	})); err != nil {
		b.Fatal(err)
	}
	defer srv.Shutdown()
	client := asynq.NewClient(opt)
	defer client.Close()

	ctx := context.Background()
	cost := benchCostNow(b, rs)
	start := time.Now()
	for i := range benchRawTasks {
		_, err := client.EnqueueContext(ctx, asynq.NewTask(wire.TaskType, payload),
			asynq.ProcessAt(time.Now()), asynq.TaskID(fmt.Sprintf("raw/%d", i)), asynq.MaxRetry(25), asynq.Retention(7*24*time.Hour))
		if err != nil {
			b.Fatal(err)
		}
	}
	enqueued := time.Since(start)
	var end time.Time
	select {
	case end = <-finished:
	case <-time.After(time.Minute):
		b.Fatalf("raw: %d of %d tasks done after a minute", done.Load(), benchRawTasks)
	}
	rate := benchRawTasks / end.Sub(start).Seconds()
	cost.report("raw asynq, per task", benchRawTasks)
	b.Logf("raw asynq: %d tasks in %v (enqueued in %v): %.0f tasks/s",
		benchRawTasks, end.Sub(start).Round(time.Millisecond), enqueued.Round(time.Millisecond), rate)
	return rate
}

// benchRun runs the service against addr with the caps lifted and returns
// the invitations per second the sandbox received in the window.
func benchRun(b *testing.B, srv *redistest.Server) float64 {
	addr := srv.Addr()
	dir := b.TempDir()
	f, err := os.Create(filepath.Join(dir, "p.csv"))
	if err != nil {
		b.Fatal(err)
	}
	if err := prospects.GenerateCSV(f, benchProspects); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	var cfgText, ids strings.Builder
	fmt.Fprintf(&cfgText, `
redis: {addr: %q}
defaults:
  min_gap: %s
  jitter: 1.5
  max_pending: 10000000
  days: [mon, tue, wed, thu, fri, sat, sun]
  hours: "00:00-24:00"
campaigns: [c.yaml]
accounts:
`, addr, config.FormatDuration(benchMinGap))
	for i := range benchAccounts {
		id := fmt.Sprintf("a%04d", i)
		fmt.Fprintf(&cfgText, "  - {id: %s, tier: premium, limits: {weekly: 100000000, daily: 10000000}}\n", id)
		if i > 0 {
			ids.WriteString(", ")
		}
		ids.WriteString(id)
	}
	cfg, c := loadWorkspace(b, dir, map[string]string{
		"config.yaml": cfgText.String(),
		"c.yaml": `
name: bench
accounts: [` + ids.String() + `]
prospects: {csv: p.csv}
steps:
  - connect:
      note:
        variants:
          - name: hi
            text: "Hi {{.first_name}}, I came across your work at {{.company}} and would love to connect."
`,
	})
	sbOpt, err := sandbox.OptionsFromConfig(cfg, 1)
	if err != nil {
		b.Fatal(err)
	}
	sbOpt.ViolationsOnly = true // Stats stay complete; no per-request record
	model := sandbox.New(sbOpt)
	invited := func() (n int, refused int) {
		for _, s := range model.Stats().Accounts {
			n += s.Invited
			for _, r := range s.Refused {
				refused += r
			}
		}
		return n, refused
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	started := time.Now()
	go func() {
		errc <- Run(ctx, Options{
			Config: cfg, Campaigns: []*campaigns.Campaign{c}, Model: model, Seed: 1,
			PlanSpec: "@every 1s", Concurrency: benchConcurrency, horizon: 3 * time.Second,
			Progress: time.Hour, // the progress line reads every account's usage: not part of the pipeline
		})
	}()

	insp := asynq.NewInspector(asynq.RedisClientOpt{Addr: addr})
	defer insp.Close()
	var pending int // at the latest queue()
	queue := func() string {
		q, err := insp.GetQueueInfo("default")
		if err != nil {
			b.Fatal(err)
		}
		pending = q.Pending
		return fmt.Sprintf("%d pending, %d scheduled, %d active, %d retry", q.Pending, q.Scheduled, q.Active, q.Retry)
	}
	select {
	case err := <-errc:
		b.Fatalf("Run returned during the warm-up: %v", err)
	case <-time.After(benchWarmup):
	}
	cost := benchCostNow(b, srv)
	n0, _ := invited()
	t0 := time.Now()
	b.Logf("e2e: window opens %v after start: %d invited; queue: %s", t0.Sub(started).Round(time.Millisecond), n0, queue())
	pend0 := pending
	for elapsed := time.Duration(0); elapsed < benchWindow; elapsed += 5 * time.Second {
		time.Sleep(5 * time.Second)
		n, _ := invited()
		b.Logf("e2e: +%v: %d invited; queue: %s", time.Since(t0).Round(time.Second), n-n0, queue())
	}
	n1, refused := invited()
	t1 := time.Now()
	pend1 := pending
	cost.report("e2e, per invitation", n1-n0)
	cancel()
	if err := <-errc; err != nil {
		b.Fatal(err)
	}
	rate := float64(n1-n0) / t1.Sub(t0).Seconds()

	// What the worker recorded: delivered, denied by the limiter, refused.
	kinds := map[wire.OutcomeKind]int{}
	led := ledger.New(srv.Client(), "")
	for after := "0"; ; {
		es, err := led.Read(context.Background(), after, 10000, -1)
		if err != nil {
			b.Fatal(err)
		}
		if len(es) == 0 {
			break
		}
		for _, e := range es {
			if e.Outcome != nil {
				kinds[e.Outcome.Kind]++
			}
		}
		after = es[len(es)-1].ID
	}
	b.Logf("e2e: %d invited in the %v window: %.0f inv/s; offered about %.0f/s; ledger outcomes: %d delivered, %d denied, %d refused (platform refusals %d)",
		n1-n0, t1.Sub(t0).Round(time.Millisecond), rate, benchOffered, kinds[wire.Delivered], kinds[wire.Denied], kinds[wire.Refused], refused)
	// The gaps must not be what is measured: the leader offers more than
	// the worker completes, so the queue's backlog grows over the window.
	if pend1 <= pend0 || rate > 0.85*benchOffered {
		b.Errorf("e2e: %.0f inv/s, the pending backlog %d -> %d over the window: the offer (about %.0f/s from %d accounts) binds, not the pipeline; add accounts",
			rate, pend0, pend1, benchOffered, benchAccounts)
	}
	// A few denials come from tasks processed out of order (a denied task is
	// planned again and may crowd its account's next one); many mean the
	// caps or the gaps bind.
	if d := kinds[wire.Denied]; d*20 > kinds[wire.Delivered] || refused > 0 {
		b.Errorf("e2e: %d limiter denials for %d deliveries, %d platform refusals: the caps are not lifted", d, kinds[wire.Delivered], refused)
	}
	return rate
}

// benchCost is the CPU the Go process and the redis-server used, and the
// server's time by command, since it was taken: where a run's time goes.
type benchCost struct {
	b     *testing.B
	srv   *redistest.Server
	at    time.Time
	self  time.Duration // this process's user+system CPU
	redis float64       // redis-server's used_cpu_user+used_cpu_sys, s
}

func benchCostNow(b *testing.B, srv *redistest.Server) *benchCost {
	if err := srv.Client().ConfigResetStat(context.Background()).Err(); err != nil {
		b.Fatal(err)
	}
	c := &benchCost{b: b, srv: srv, at: time.Now(), self: selfCPU()}
	c.redis, _ = c.info()
	return c
}

// info returns redis-server's CPU seconds and its commandstats lines.
func (c *benchCost) info() (float64, []string) {
	text, err := c.srv.Client().Info(context.Background(), "cpu", "commandstats").Result()
	if err != nil {
		c.b.Fatal(err)
	}
	var cpu float64
	var cmds []string
	for _, line := range strings.Split(text, "\r\n") {
		k, v, _ := strings.Cut(line, ":")
		switch {
		case k == "used_cpu_user" || k == "used_cpu_sys":
			f, _ := strconv.ParseFloat(v, 64)
			cpu += f
		case strings.HasPrefix(k, "cmdstat_"):
			cmds = append(cmds, line)
		}
	}
	return cpu, cmds
}

// report logs, per unit of work done since c, the CPU of both processes
// and the server's busiest commands.
func (c *benchCost) report(what string, n int) {
	wall := time.Since(c.at).Seconds()
	self := (selfCPU() - c.self).Seconds()
	rcpu, cmds := c.info()
	rcpu -= c.redis
	type cmd struct {
		name        string
		calls, usec float64
	}
	var top []cmd
	for _, line := range cmds {
		k, v, _ := strings.Cut(line, ":")
		var x cmd
		x.name = strings.TrimPrefix(k, "cmdstat_")
		for _, f := range strings.Split(v, ",") {
			fk, fv, _ := strings.Cut(f, "=")
			switch fk {
			case "calls":
				x.calls, _ = strconv.ParseFloat(fv, 64)
			case "usec":
				x.usec, _ = strconv.ParseFloat(fv, 64)
			}
		}
		top = append(top, x)
	}
	slices.SortFunc(top, func(a, b cmd) int { return cmp.Compare(b.usec, a.usec) })
	var parts []string
	for _, x := range top[:min(len(top), 8)] {
		parts = append(parts, fmt.Sprintf("%s %.2f calls %.1fus", x.name, x.calls/float64(n), x.usec/float64(n)))
	}
	c.b.Logf("%s over %.1fs: Go process %.0fus CPU (%.2f cores), redis-server %.0fus CPU (%.2f cores); redis commands: %s",
		what, wall, self/float64(n)*1e6, self/wall, rcpu/float64(n)*1e6, rcpu/wall, strings.Join(parts, "; "))
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
