package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/internal/keyspace"
	"github.com/outreach-scheduler/outreach/internal/redisconn"
	"github.com/outreach-scheduler/outreach/ledger"
	"github.com/outreach-scheduler/outreach/metrics"
	"github.com/outreach-scheduler/outreach/pacing"
	"github.com/outreach-scheduler/outreach/platform/webhook"
	"github.com/outreach-scheduler/outreach/scheduler"
	schedulerdaemon "github.com/outreach-scheduler/outreach/scheduler/daemon"
	"github.com/outreach-scheduler/outreach/store"
	"github.com/outreach-scheduler/outreach/worker"
)

// DaemonOptions configure the scheduler and worker daemons.
type DaemonOptions struct {
	Config    *config.Config        // valid
	Campaigns []*campaigns.Campaign // loaded and valid (the scheduler's)
	// Keys sign and verify the webhooks (platform.webhook.signing, and the
	// secret or secrets the caller read from the environment variable the
	// config names: webhook.ParseKeys).
	Keys webhook.Keys
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Logger logs the daemon's operation. Default: discard.
	Logger *slog.Logger
	// PlanSpec is the cron spec of the planning job. Default: the
	// leader's, schedulerdaemon.DefaultPlanSpec (every minute).
	PlanSpec string
	// Listen is the scheduler's inbound events endpoint, host:port
	// (platform.webhook.events_listen by default); "" serves none.
	Listen string
	// ID names this process in the scheduler's lease. Default host:pid.
	ID string
	// Concurrency is the number of tasks a worker runs at once. Default 8.
	Concurrency int
	// LeaseTTL is how long a scheduler's lease lasts without renewal.
	// Default 15s (renewed every third of it).
	LeaseTTL time.Duration
	// Registry receives the metrics served at metrics.listen. Default: a
	// new registry with the Go and process collectors.
	Registry *prometheus.Registry
	// InstallCheck is how often the install marker is re-read (package
	// install). Default DefaultInstallCheck (2s).
	InstallCheck time.Duration
	// SkipBadEntries makes the scheduler skip ledger entries that do not
	// decode (each logged at ERROR with its stream ID) instead of stopping
	// at the first one. Default false: stop, never skip silently.
	SkipBadEntries bool
	// Version is the binary's version, logged at start. Default "devel".
	Version string
}

func (o *DaemonOptions) setDefaults() {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Listen == "" && o.Config.Platform.Webhook != nil {
		o.Listen = o.Config.Platform.Webhook.EventsListen
	}
	if o.ID == "" {
		host, _ := os.Hostname()
		o.ID = host + ":" + strconv.Itoa(os.Getpid())
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 8
	}
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = 15 * time.Second
	}
	if o.Registry == nil {
		o.Registry = metrics.NewRegistry()
	}
	if o.Version == "" {
		o.Version = "devel"
	}
}

// logStart logs a daemon's start at INFO: its version, config file and
// Redis (addresses only: no password, no personal data).
func logStart(log *slog.Logger, opt *DaemonOptions, what string) {
	log.Info(what+" starting", "version", opt.Version, "config", opt.Config.Path, "redis", describe(opt.Config.Redis),
		"accounts", len(opt.Config.Accounts), "campaigns", len(opt.Campaigns), "id", opt.ID)
}

// RunScheduler runs the scheduler daemon until ctx is cancelled. Several
// may run at once: one holds the lease in Redis and plans; the others
// wait to take over. Every one of them serves the inbound events endpoint
// and records what it receives in the ledger.
func RunScheduler(ctx context.Context, opt DaemonOptions) (err error) {
	opt.setDefaults()
	log := opt.Logger.With("component", "scheduler")
	logStart(log, &opt, "scheduler")
	defer log.Info("scheduler stopped")
	c, err := redisconn.Shared(opt.Config.Redis)
	if err != nil {
		log.Error("connecting to Redis", "err", err)
		return err
	}
	defer c.Close()
	var lister SentLister // the scheduler asks the platform's record only through a webhook
	if opt.Config.Platform.Driver == config.DriverWebhook && !opt.Keys.Empty() {
		if plat, err := openPlatform(opt.Config, opt.Keys, opt.Now, nil); err == nil {
			lister = plat.lister
		}
	}
	g, ctx, closeInstall, err := openDaemonInstall(ctx, &opt, c.Client, lister)
	if err != nil {
		return err
	}
	defer closeInstall(&err) // a lost install marker is the error returned
	led := ledger.New(c.Client, "")
	led.SetSentTTL(ledger.SentTTL(opt.Config.Defaults.ExpireAfter))
	client := asynq.NewClient(c.Asynq)
	defer client.Close()

	refusals := metrics.NewRefusals(opt.Registry, webhook.Reasons)
	if opt.Listen != "" {
		ev, err := schedulerdaemon.NewEvents(schedulerdaemon.EventsOptions{
			Config: opt.Config, Ledger: led, Keys: opt.Keys, Listen: opt.Listen, Now: opt.Now,
			Logger: opt.Logger.With("component", "events"), Refusals: refusals,
		})
		if err != nil {
			return err
		}
		if err := ev.Start(ctx); err != nil {
			return err
		}
		defer ev.Stop()
	}

	st := store.New(c.Client, "")
	if err := applyAll(ctx, st, opt.Campaigns, log); err != nil {
		return err
	}
	insp := asynq.NewInspector(c.Asynq)
	defer insp.Close()
	lim, err := pacing.NewRedisLimiter(c.Client)
	if err != nil {
		return err
	}
	stats := metrics.NewStats(c.Client, "")
	tel, err := startTelemetry(telemetryOptions{
		cfg: opt.Config, camps: opt.Campaigns, reg: opt.Registry, stats: stats, lim: lim, insp: insp, led: led,
		now: opt.Now, log: opt.Logger.With("component", "metrics"), events: true,
	})
	if err != nil {
		return err
	}
	defer tel.stop(ctx)
	l := schedulerdaemon.NewLease(c.Client, keyspace.LeaseKey, opt.ID, opt.LeaseTTL, opt.Now)
	defer l.Release(context.WithoutCancel(ctx))
	for {
		log.Info("waiting for the lease", "id", opt.ID)
		if err := l.Acquire(ctx); err != nil {
			return nil // ctx cancelled
		}
		if err := g.confirm(ctx); err != nil {
			return err // the marker went while this process waited for the lease
		}
		log.Info("lease acquired: leading; rebuilding the state from the ledger", "id", opt.ID)
		leadCtx, cancel := context.WithCancel(ctx)
		lost := make(chan struct{})
		go l.Hold(leadCtx, lost)
		lo := leaderOptions(leaderParts{cfg: opt.Config, camps: opt.Campaigns, led: led, client: client, insp: insp, tel: tel, stats: stats, now: opt.Now, log: log})
		lo.PlanSpec, lo.Seed = opt.PlanSpec, uint64(opt.Now().UnixNano())
		lo.SkipBadEntries, lo.Refusals, lo.Backfill, lo.Lost = opt.SkipBadEntries, refusals, true, lost
		lo.Sources = func(ctx context.Context) (map[string]scheduler.Source, error) {
			return openAll(ctx, st, opt.Campaigns)
		}
		lead, err := schedulerdaemon.NewLeader(lo)
		if err == nil {
			if err = lead.Rebuild(leadCtx); err == nil {
				err = lead.Run(leadCtx)
			}
		}
		cancel()
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, schedulerdaemon.ErrLostLead):
			log.Warn("lease lost: waiting to lead again", "id", opt.ID)
		case err != nil:
			log.Error("leading failed; stepping down", "err", err)
			l.Release(context.WithoutCancel(ctx))
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(time.Second):
			}
		}
	}
}

// RunWorker runs a worker daemon until ctx is cancelled, then finishes the
// tasks in flight (asynq's graceful shutdown) and returns.
func RunWorker(ctx context.Context, opt DaemonOptions) (err error) {
	opt.setDefaults()
	cfg := opt.Config
	wlog := opt.Logger.With("component", "worker")
	logStart(wlog, &opt, "worker")
	defer wlog.Info("worker stopped")
	if cfg.Platform.Driver != config.DriverWebhook || cfg.Platform.Webhook == nil {
		return errors.New("the worker daemon delivers through the webhook driver (platform.driver: webhook); for a sandbox across processes run `outreach sandbox` and point platform.webhook.url at it")
	}
	c, err := redisconn.Shared(cfg.Redis)
	if err != nil {
		wlog.Error("connecting to Redis", "err", err)
		return err
	}
	defer c.Close()
	plat, err := openPlatform(cfg, opt.Keys, opt.Now, nil)
	if err != nil {
		return err
	}
	g, ctx, closeInstall, err := openDaemonInstall(ctx, &opt, c.Client, plat.lister)
	if err != nil {
		return err
	}
	defer closeInstall(&err) // a lost install marker is the error returned
	lim, err := pacing.NewRedisLimiter(c.Client)
	if err != nil {
		return err
	}
	insp := asynq.NewInspector(c.Asynq)
	defer insp.Close()
	led := ledger.New(c.Client, "")
	// The index of sent invitations, which the events endpoint checks.
	led.SetSentTTL(ledger.SentTTL(cfg.Defaults.ExpireAfter))
	tel, err := startTelemetry(telemetryOptions{
		cfg: cfg, reg: opt.Registry, stats: metrics.NewStats(c.Client, ""), lim: lim, insp: insp, pauses: led,
		now: opt.Now, log: opt.Logger.With("component", "metrics"), delivery: true,
	})
	if err != nil {
		return err
	}
	defer tel.stop(ctx)
	health := worker.NewHealth(worker.HealthOptions{Now: opt.Now, Logger: wlog, OnChange: tel.delivery.SetIntegrationUp})
	w, h, err := newWorker(workerParts{
		cfg: cfg, conn: c, lim: lim, led: led, delivery: tel.delivery, health: health, concurrency: opt.Concurrency, now: opt.Now, log: opt.Logger,
	}, plat.driver)
	if err != nil {
		return err
	}
	h.Guard = g // nothing is delivered once the install marker is lost
	if err := w.Start(ctx); err != nil {
		return err
	}
	wlog.Info("worker started", "concurrency", opt.Concurrency)
	<-ctx.Done()
	w.Stop()
	return nil
}

// applyAll applies the scheduler's campaign files to the store (idempotent
// and atomic per campaign): what `outreach apply` does, at daemon start.
// Another process applying the same campaign at the same moment is fine.
func applyAll(ctx context.Context, st *store.Store, camps []*campaigns.Campaign, log *slog.Logger) error {
	for _, c := range camps {
		rows, hint, err := store.CSVRows(c)
		if err != nil {
			return err
		}
		res, err := st.Apply(ctx, c, rows, store.ApplyOptions{SizeHint: hint})
		switch {
		case errors.Is(err, store.ErrConcurrentApply):
			log.Info("campaign applied by another process meanwhile", "campaign", c.Name)
		case err != nil:
			return fmt.Errorf("applying campaign %s: %w", c.Name, err)
		default:
			log.Info("campaign applied", "campaign", c.Name, "result", res.String())
		}
	}
	return nil
}

// openAll reads every campaign's applied prospects from the store.
func openAll(ctx context.Context, st *store.Store, camps []*campaigns.Campaign) (map[string]scheduler.Source, error) {
	out := make(map[string]scheduler.Source, len(camps))
	for _, c := range camps {
		src, err := st.Open(ctx, c.Name)
		if err != nil {
			return nil, err
		}
		out[c.Name] = src
	}
	return out, nil
}
