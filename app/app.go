package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/robfig/cron/v3"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/pacing"
	"github.com/outreach-scheduler/outreach/platform/sandbox"
	"github.com/outreach-scheduler/outreach/scheduler"
	"github.com/outreach-scheduler/outreach/worker"
)

// TaskType is the asynq task type of every platform action.
const TaskType = "outreach:action"

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
	// PlanSpec is the cron spec of the planning job. Default "@every 1m".
	PlanSpec string
	// Seed seeds the planner's jitter. Default: from the clock.
	Seed uint64
	// Model is the sandbox platform to deliver to. Default: one built from
	// the config's platform.sandbox section.
	Model *sandbox.Model
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
	if o.PlanSpec == "" {
		o.PlanSpec = "@every 1m"
	}
	if o.Seed == 0 {
		o.Seed = uint64(o.Now().UnixNano())
	}
}

// Run runs the planner, the worker and (with the sandbox driver) the
// platform model in one process until ctx is cancelled.
func Run(ctx context.Context, opt Options) error {
	opt.setDefaults()
	cfg := opt.Config
	log := opt.Logger.With("component", "run")
	if cfg.Platform.Driver != config.DriverSandbox {
		return fmt.Errorf("run: platform.driver %q: only the sandbox driver runs in-process for now; use the scheduler and worker daemons", cfg.Platform.Driver)
	}
	c, err := connect(cfg.Redis)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("connecting to Redis: %w", err)
	}
	where := "Redis at " + describe(cfg.Redis)
	if c.embedded != nil {
		where = "embedded Redis at " + c.embedded.Addr() + " (in memory: nothing is kept after exit)"
	}

	model := opt.Model
	if model == nil {
		sbOpt, err := sandbox.OptionsFromConfig(cfg, 0)
		if err != nil {
			return err
		}
		model = sandbox.New(sbOpt)
	}
	lim, err := pacing.NewRedisLimiter(c.rdb)
	if err != nil {
		return err
	}
	s := &service{opt: opt, log: log, model: model, out: opt.Out}
	s.eng, err = scheduler.New(scheduler.Options{
		Config: cfg, Campaigns: opt.Campaigns, Seed: opt.Seed, OnEvent: s.onEvent,
	})
	if err != nil {
		return err
	}
	s.deliver = &worker.Deliverer{Limiter: lim, Platform: model, Rules: worker.ConfigRules(cfg)}
	s.lim = lim
	s.outcomes = make(chan outcome, 1024)
	s.client = asynq.NewClient(c.asynq)
	defer s.client.Close()

	srv := asynq.NewServer(c.asynq, asynq.Config{
		Concurrency:              4,
		DelayedTaskCheckInterval: time.Second,
		Logger:                   asynqLogger{opt.Logger.With("component", "asynq")},
		LogLevel:                 asynq.WarnLevel,
		ShutdownTimeout:          10 * time.Second,
	})
	mux := asynq.NewServeMux()
	mux.HandleFunc(TaskType, s.handle)
	if err := srv.Start(mux); err != nil {
		return fmt.Errorf("starting the worker: %w", err)
	}
	defer srv.Shutdown()

	fmt.Fprintf(opt.Out, "outreach run: %s; platform: sandbox (in process); %d accounts, %d campaigns\n",
		where, len(cfg.Accounts), len(opt.Campaigns))
	fmt.Fprintf(opt.Out, "planning every minute; progress every %s; Ctrl-C stops\n", opt.Progress)
	return s.loop(ctx)
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

// service is the state of one Run.
type service struct {
	opt      Options
	log      *slog.Logger
	eng      *scheduler.Engine // owned by loop's goroutine
	model    *sandbox.Model
	deliver  *worker.Deliverer
	lim      pacing.Limiter
	client   *asynq.Client
	outcomes chan outcome
	out      io.Writer

	mu       sync.Mutex
	accepted map[string]int
}

type outcome struct {
	task scheduler.Task
	out  scheduler.Outcome
}

// loop owns the engine: it plans on the cron schedule, applies outcomes
// reported by the worker and answers from the platform, and reports
// progress.
func (s *service) loop(ctx context.Context) error {
	planTick := make(chan struct{}, 1)
	cr := cron.New(cron.WithLocation(time.UTC))
	if _, err := cr.AddFunc(s.opt.PlanSpec, func() {
		select {
		case planTick <- struct{}{}:
		default:
		}
	}); err != nil {
		return fmt.Errorf("plan schedule %q: %w", s.opt.PlanSpec, err)
	}
	cr.Start()
	defer cr.Stop()
	events := time.NewTicker(time.Second)
	defer events.Stop()
	progress := time.NewTicker(s.opt.Progress)
	defer progress.Stop()

	s.plan(ctx) // at once: activity within the first minute
	for {
		select {
		case <-ctx.Done():
			fmt.Fprintln(s.out, "outreach run: stopping")
			return nil
		case <-planTick:
			s.plan(ctx)
		case o := <-s.outcomes:
			if err := s.eng.Done(o.task, o.out); err != nil {
				s.log.Error("applying an outcome", "key", o.task.Key, "err", err)
			}
		case <-events.C:
			for _, ev := range s.model.Advance(s.opt.Now()) {
				if err := s.eng.Observe(ev); err != nil {
					s.log.Error("applying a platform event", "err", err)
				}
			}
		case <-progress.C:
			s.report(ctx)
		}
	}
}

// plan enqueues every task due within the planning horizon, each at its
// time, under its idempotency key: re-planning never duplicates a task.
func (s *service) plan(ctx context.Context) {
	for _, t := range s.eng.Plan(s.opt.Now()) {
		payload, err := json.Marshal(t)
		if err != nil {
			s.log.Error("encoding a task", "err", err)
			continue
		}
		_, err = s.client.EnqueueContext(ctx, asynq.NewTask(TaskType, payload),
			asynq.ProcessAt(t.At), asynq.TaskID(t.Key), asynq.MaxRetry(10), asynq.Retention(24*time.Hour))
		if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
			s.log.Error("enqueueing a task", "key", t.Key, "err", err)
		}
	}
}

// handle is the worker: it performs one task and reports the outcome to
// the planner. An unknown outcome returns the error so that asynq retries
// with the same idempotency key.
func (s *service) handle(ctx context.Context, at *asynq.Task) error {
	var t scheduler.Task
	if err := json.Unmarshal(at.Payload(), &t); err != nil {
		return fmt.Errorf("decoding task: %v: %w", err, asynq.SkipRetry)
	}
	out, err := s.deliver.Do(ctx, t, s.opt.Now())
	if err != nil {
		return err
	}
	select {
	case s.outcomes <- outcome{t, out}:
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

// onEvent prints what happens, without personal data.
func (s *service) onEvent(ev scheduler.Event) {
	switch ev.Type {
	case campaigns.EvInvited:
		note := "no note"
		if ev.Variant != "blank" {
			note = fmt.Sprintf("note %q, %d chars", ev.Variant, ev.Chars)
		}
		if ev.Reason != "" {
			note += ", fallback: " + ev.Reason
		}
		fmt.Fprintf(s.out, "%s  invited   %-8s %s (%s)\n", s.opt.Now().Format("15:04:05"), ev.Account, ev.Campaign, note)
	case campaigns.EvAccepted, campaigns.EvDeclined, campaigns.EvWithdrawn, campaigns.EvFollowed, campaigns.EvMessaged:
		s.mu.Lock()
		if s.accepted == nil {
			s.accepted = map[string]int{}
		}
		if ev.Type == campaigns.EvAccepted {
			s.accepted[ev.Account]++
		}
		s.mu.Unlock()
		fmt.Fprintf(s.out, "%s  %-9s %-8s %s\n", s.opt.Now().Format("15:04:05"), ev.Type, ev.Account, ev.Campaign)
	}
}

// report prints one progress line: per account, sends today and this week
// against the caps, pending and accepted invitations.
func (s *service) report(ctx context.Context) {
	now := s.opt.Now()
	var parts []string
	for _, a := range s.opt.Config.Accounts {
		r := pacing.RulesFor(a.Limits, a.WarmupStart, a.Location, now)
		u, err := s.lim.Usage(ctx, a.ID, now, r)
		if err != nil {
			s.log.Error("reading usage", "account", a.ID, "err", err)
			continue
		}
		st, _ := s.eng.Account(a.ID)
		s.mu.Lock()
		acc := s.accepted[a.ID]
		s.mu.Unlock()
		parts = append(parts, fmt.Sprintf("%s %d/%d today %d/%d week, %d pending, %d accepted",
			a.ID, u.Day, r.Daily, u.Week, r.Weekly, st.Pending, acc))
	}
	fmt.Fprintf(s.out, "%s  progress: %s\n", now.Format("15:04:05"), strings.Join(parts, " | "))
}
