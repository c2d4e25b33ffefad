package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/internal/redisconn"
	"github.com/outreach-scheduler/outreach/ledger"
	"github.com/outreach-scheduler/outreach/lifecycle"
	"github.com/outreach-scheduler/outreach/metrics"
	"github.com/outreach-scheduler/outreach/pacing"
	"github.com/outreach-scheduler/outreach/platform/sandbox"
	"github.com/outreach-scheduler/outreach/platform/webhook"
	"github.com/outreach-scheduler/outreach/scheduler"
	schedulerdaemon "github.com/outreach-scheduler/outreach/scheduler/daemon"
)

// Options configure Run.
type Options struct {
	Config    *config.Config        // valid
	Campaigns []*campaigns.Campaign // loaded and valid
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Out receives the progress report. Default io.Discard.
	Out io.Writer
	// Logger logs the service's operation (no personal data at info).
	// Default: discard.
	Logger *slog.Logger
	// Progress is how often the progress line is printed. Default 10s.
	Progress time.Duration
	// PlanSpec is the cron spec of the planning job. Default: the
	// leader's, schedulerdaemon.DefaultPlanSpec (every minute).
	PlanSpec string
	// Seed seeds the leader's jitter. Default: from the clock.
	Seed uint64
	// Model is the sandbox platform to deliver to. Default: one built from
	// the config's platform.sandbox section.
	Model *sandbox.Model
	// Concurrency is the number of tasks the worker runs at once. Default 4.
	Concurrency int
	// Registry receives the metrics served at metrics.listen. Default: a
	// new registry with the Go and process collectors.
	Registry *prometheus.Registry
	// InstallCheck is how often the install marker is re-read (package
	// install). Default DefaultInstallCheck (2s).
	InstallCheck time.Duration
	// StateFile, with the embedded Redis, is where Run writes its address
	// while it runs (runstate.go), for status and the other commands to
	// find it; removed on exit. "": none.
	StateFile string
	// horizon, if > 0, is the leader's horizon (scheduler.Options.Horizon,
	// default 2m). BenchmarkEndToEnd shortens it, so that the first plan
	// does not enqueue two minutes of a large offered load at once.
	horizon time.Duration
}

func (o *Options) setDefaults() {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Progress <= 0 {
		o.Progress = 10 * time.Second
	}
	if o.Seed == 0 {
		o.Seed = uint64(o.Now().UnixNano())
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
}

// Run runs the leader, the worker and the sandbox platform model in one
// process until ctx is cancelled: the same pieces as the scheduler and
// worker daemons, talking through the same Redis (the embedded one by
// default), with the ledger between them.
func Run(ctx context.Context, opt Options) (err error) {
	opt.setDefaults()
	cfg := opt.Config
	log := opt.Logger.With("component", "run")
	if cfg.Platform.Driver != config.DriverSandbox {
		return fmt.Errorf("run: platform.driver %q: run delivers to the in-process sandbox; use the scheduler and worker daemons with the webhook driver", cfg.Platform.Driver)
	}
	c, err := redisconn.Open(cfg.Redis)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("connecting to Redis: %w", err)
	}
	where := "Redis at " + describe(cfg.Redis)
	if c.Embedded != nil {
		where = "embedded Redis at " + c.Embedded.Addr() + " (in memory: nothing is kept after exit)"
		if opt.StateFile != "" {
			remove, err := writeRunState(opt.StateFile, RunState{V: RunStateVersion, RedisAddr: c.Embedded.Addr(), PID: os.Getpid(), Started: opt.Now().UTC()})
			if err != nil {
				return err
			}
			defer remove()
		}
	}
	plat, err := openPlatform(cfg, webhook.Keys{}, opt.Now, opt.Model)
	if err != nil {
		return err
	}
	_, ctx, closeInstall, err := openRunInstall(ctx, &opt, c.Embedded != nil, c.Client, plat.lister)
	if err != nil {
		return err
	}
	defer closeInstall(&err) // a lost install marker is the error returned
	lim, err := pacing.NewRedisLimiter(c.Client)
	if err != nil {
		return err
	}
	led := ledger.New(c.Client, "")
	led.SetSentTTL(ledger.SentTTL(cfg.Defaults.ExpireAfter))
	if c.Embedded != nil {
		led.SetSentTTL(0) // no events endpoint to check, and its keys never expire
	}
	client := asynq.NewClient(c.Asynq)
	defer client.Close()
	insp := asynq.NewInspector(c.Asynq)
	defer insp.Close()
	stats := metrics.NewStats(c.Client, "")
	tel, err := startTelemetry(telemetryOptions{
		cfg: cfg, camps: opt.Campaigns, reg: opt.Registry, stats: stats, lim: lim, insp: insp, led: led,
		now: opt.Now, log: opt.Logger.With("component", "metrics"), events: true, delivery: true,
	})
	if err != nil {
		return err
	}
	defer tel.stop(ctx)

	// The same parts as the daemons': a worker, the scheduler's leader
	// (always leading: no lease in one process), and for the platform's
	// answers the model's events instead of the events endpoint.
	w, _, err := newWorker(workerParts{
		cfg: cfg, conn: c, lim: lim, led: led, delivery: tel.delivery, concurrency: opt.Concurrency, now: opt.Now, log: opt.Logger,
	}, plat.driver)
	if err != nil {
		return err
	}
	rep := &reporter{out: opt.Out, now: opt.Now, cfg: cfg, lim: lim, log: log}
	lo := leaderOptions(leaderParts{cfg: cfg, camps: opt.Campaigns, led: led, client: client, insp: insp, tel: tel, stats: stats, now: opt.Now, log: log})
	lo.PlanSpec, lo.Horizon, lo.Seed = opt.PlanSpec, opt.horizon, opt.Seed
	lo.OnEvent, lo.OnLive = rep.onEvent, rep.live.Store
	lo.Progress, lo.OnProgress = opt.Progress, func(e *scheduler.Engine) { rep.report(ctx, e) }
	lo.Sources = func(ctx context.Context) (map[string]scheduler.Source, error) {
		return csvSources(ctx, led.Forgotten(), opt.Campaigns) // forgotten people skipped
	}
	lead, err := schedulerdaemon.NewLeader(lo)
	if err != nil {
		return err
	}
	answers := &modelEvents{model: plat.model, led: led, now: opt.Now, log: log}
	stop, err := startAll(ctx, w, lead, answers)
	if err != nil {
		return err
	}
	defer stop()

	fmt.Fprintf(opt.Out, "outreach run: %s; platform: sandbox (in process); %d accounts, %d campaigns\n",
		where, len(cfg.Accounts), len(opt.Campaigns))
	if tel.srv != nil {
		fmt.Fprintf(opt.Out, "metrics: http://%s/metrics\n", tel.srv.Addr())
	}
	fmt.Fprintf(opt.Out, "planning every minute; progress every %s; Ctrl-C stops\n", opt.Progress)
	<-lead.Done() // ctx ended, or the ledger cannot be applied
	fmt.Fprintln(opt.Out, "outreach run: stopping")
	w.Stop() // the tasks in flight finish and record their outcomes
	lead.Drain(context.WithoutCancel(ctx))
	return lead.Err()
}

func describe(r config.Redis) string {
	switch {
	case len(r.ClusterAddrs) > 0:
		return "cluster " + strings.Join(r.ClusterAddrs, ",")
	case r.Sentinel != nil:
		return "sentinel master " + r.Sentinel.MasterName
	}
	return r.Addr
}

// reporter prints what happens, without personal data, and the progress
// line.
type reporter struct {
	out  io.Writer
	now  func() time.Time
	cfg  *config.Config
	lim  pacing.Limiter
	log  *slog.Logger
	live atomic.Bool // false while the state is rebuilt from the ledger

	mu       sync.Mutex
	accepted map[string]int

	next nextLines // what each idle account does next (next.go)
}

func (r *reporter) onEvent(ev scheduler.Event) {
	r.mu.Lock()
	if ev.Type == lifecycle.EvAccepted {
		if r.accepted == nil {
			r.accepted = map[string]int{}
		}
		r.accepted[ev.Account]++
	}
	r.mu.Unlock()
	if !r.live.Load() {
		return
	}
	switch ev.Type {
	case lifecycle.EvInvited:
		note := "no note"
		if ev.Variant != "blank" {
			note = fmt.Sprintf("note %q, %d chars", ev.Variant, ev.Chars)
		}
		if ev.Reason != "" {
			note += ", fallback: " + ev.Reason
		}
		fmt.Fprintf(r.out, "%s  invited   %-8s %s (%s)\n", r.now().Format("15:04:05"), ev.Account, ev.Campaign, note)
	case lifecycle.EvAccepted, lifecycle.EvDeclined, lifecycle.EvWithdrawn, lifecycle.EvFollowed, lifecycle.EvMessaged:
		fmt.Fprintf(r.out, "%s  %-9s %-8s %s\n", r.now().Format("15:04:05"), ev.Type, ev.Account, ev.Campaign)
	}
}

// report prints one progress line: per account, sends today and this week
// against the caps, pending and accepted invitations; then what the idle
// accounts do next (next.go). It runs on the leader's goroutine, which
// owns the engine.
func (r *reporter) report(ctx context.Context, e *scheduler.Engine) {
	now := r.now()
	var parts []string
	for _, a := range r.cfg.Accounts {
		rules := pacing.RulesFor(a.Limits, a.WarmupStart, a.Location, now)
		u, err := r.lim.Usage(ctx, a.ID, now, rules)
		if err != nil {
			r.log.Error("reading usage", "account", a.ID, "err", err)
			continue
		}
		st, _ := e.Account(a.ID)
		r.mu.Lock()
		acc := r.accepted[a.ID]
		r.mu.Unlock()
		parts = append(parts, fmt.Sprintf("%s %d/%d today %d/%d week, %d pending, %d accepted",
			a.ID, u.Day, rules.Daily, u.Week, rules.Weekly, st.Pending, acc))
	}
	fmt.Fprintf(r.out, "%s  progress: %s\n", now.Format("15:04:05"), strings.Join(parts, " | "))
	r.next.report(r.out, e, r.cfg.Accounts, now, func(account string, err error) {
		r.log.Error("planning view of an account", "account", account, "err", err)
	})
}
