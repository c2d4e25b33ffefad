package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/internal/redisconn"
	"github.com/outreach-scheduler/outreach/ledger"
	"github.com/outreach-scheduler/outreach/metrics"
	"github.com/outreach-scheduler/outreach/pacing"
	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/platform/sandbox"
	"github.com/outreach-scheduler/outreach/platform/webhook"
	schedulerdaemon "github.com/outreach-scheduler/outreach/scheduler/daemon"
	"github.com/outreach-scheduler/outreach/worker"
	workerdaemon "github.com/outreach-scheduler/outreach/worker/daemon"
)

// The three ways to run outreach (run, the scheduler daemon, the worker
// daemon) are composed here from the same parts, each with the same
// Start(ctx)/Stop() shape: the scheduler's Leader and Events endpoint
// (scheduler/daemon), the Worker (worker/daemon), and, in run, the
// in-process sandbox's answers (modelEvents). run is the scheduler daemon
// and a worker in one process, with the sandbox for a platform.

// component is a part of a process: Start begins its work in the
// background, Stop ends it and waits.
type component interface {
	Start(ctx context.Context) error
	Stop()
}

// startAll starts the components in order; when one fails, it stops those
// started and returns its error. The returned stop stops them all, in
// reverse order.
func startAll(ctx context.Context, cs ...component) (stop func(), err error) {
	started := make([]component, 0, len(cs))
	stop = func() {
		for i := len(started) - 1; i >= 0; i-- {
			started[i].Stop()
		}
	}
	for _, c := range cs {
		if err := c.Start(ctx); err != nil {
			stop()
			return func() {}, err
		}
		started = append(started, c)
	}
	return stop, nil
}

// openedPlatform is the platform as one process sees it.
type openedPlatform struct {
	// driver is what the worker delivers through.
	driver platform.Platform
	// lister is the platform's record of sent invitations, for the
	// install recovery; nil when the driver keeps none.
	lister SentLister
	// model is the in-process sandbox (driver sandbox), whose answers
	// the process records itself (modelEvents); nil for the webhook.
	model *sandbox.Model
}

// openPlatform opens the platform the config names: the in-process
// sandbox model (model, or one built from platform.sandbox when nil) or
// the webhook driver to the user's integration, signed with keys.
func openPlatform(cfg *config.Config, keys webhook.Keys, now func() time.Time, model *sandbox.Model) (openedPlatform, error) {
	switch cfg.Platform.Driver {
	case config.DriverSandbox:
		if model == nil {
			sbOpt, err := sandbox.OptionsFromConfig(cfg, 0)
			if err != nil {
				return openedPlatform{}, err
			}
			model = sandbox.New(sbOpt)
		}
		return openedPlatform{driver: model, lister: model, model: model}, nil
	case config.DriverWebhook:
		w := cfg.Platform.Webhook
		if w == nil {
			return openedPlatform{}, errors.New("platform.webhook: missing")
		}
		drv, err := webhook.New(webhook.Options{URL: w.URL, Keys: keys, Timeout: w.Timeout, Now: now})
		if err != nil {
			return openedPlatform{}, err
		}
		return openedPlatform{driver: drv, lister: drv}, nil
	}
	return openedPlatform{}, fmt.Errorf("platform.driver %q: unknown", cfg.Platform.Driver)
}

// workerParts is what a worker needs besides its platform.
type workerParts struct {
	cfg         *config.Config
	conn        *redisconn.Conn
	lim         pacing.Limiter
	led         *ledger.Ledger
	delivery    *metrics.Delivery
	health      *worker.Health // nil: no health watch (run)
	concurrency int
	now         func() time.Time
	log         *slog.Logger // the process's; the worker adds its component
}

// newWorker is the worker of run and of the worker daemon: the deliverer
// (limits, pauses, the platform) in the asynq handler that records each
// outcome in the ledger.
func newWorker(p workerParts, drv platform.Platform) (*workerdaemon.Worker, *workerdaemon.Handler, error) {
	h := &workerdaemon.Handler{
		Deliver: &worker.Deliverer{
			Limiter: p.lim, Platform: drv, Rules: worker.ConfigRules(p.cfg), RestrictionPause: p.cfg.Defaults.RestrictionPause,
			Health: p.health, Pauses: p.led,
		},
		Ledger: p.led, Now: p.now, Log: p.log.With("component", "worker"), Metrics: p.delivery,
	}
	w, err := workerdaemon.NewWorker(workerdaemon.WorkerOptions{
		Redis: p.conn.Asynq, Handler: h, Concurrency: p.concurrency, Health: p.health, Logger: p.log,
	})
	return w, h, err
}

// leaderParts is what the scheduler's leader needs, in run and in the
// scheduler daemon alike.
type leaderParts struct {
	cfg    *config.Config
	camps  []*campaigns.Campaign
	led    *ledger.Ledger
	client *asynq.Client
	insp   *asynq.Inspector
	tel    *telemetry
	stats  *metrics.Stats
	now    func() time.Time
	log    *slog.Logger
}

// leaderOptions are the options both ways of running give the leader;
// each adds its own (sources, progress report, lease, backfill).
func leaderOptions(p leaderParts) schedulerdaemon.LeaderOptions {
	return schedulerdaemon.LeaderOptions{
		Config: p.cfg, Campaigns: p.camps, Ledger: p.led, Client: p.client, Inspector: p.insp,
		Now: p.now, Logger: p.log, ResponseCurve: sandbox.ResponseCurve(p.cfg),
		Events: p.tel.events, Stats: p.stats, SnapshotEvery: p.cfg.Ledger.SnapshotEvery, Retention: p.cfg.Ledger.Retention,
		Operator: Operator(),
	}
}

// modelEvents records, every second, the answers the in-process sandbox
// model produced as time passed, in the ledger: the way a webhook
// integration's events arrive, without the HTTP.
type modelEvents struct {
	model  *sandbox.Model
	led    *ledger.Ledger
	now    func() time.Time
	log    *slog.Logger
	cancel context.CancelFunc
	done   chan struct{}
}

func (m *modelEvents) Start(ctx context.Context) error {
	ctx, m.cancel = context.WithCancel(ctx)
	m.done = make(chan struct{})
	go func() {
		defer close(m.done)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				for _, ev := range m.model.Advance(m.now()) {
					if err := m.led.AppendEvent(ctx, ev); err != nil {
						m.log.Error("recording a platform event", "err", err)
					}
				}
			}
		}
	}()
	return nil
}

func (m *modelEvents) Stop() {
	if m.cancel != nil {
		m.cancel()
		<-m.done
	}
}
