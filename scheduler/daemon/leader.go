package daemon

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"time"

	"github.com/hibiken/asynq"
	"github.com/robfig/cron/v3"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/ledger"
	"github.com/outreach-scheduler/outreach/metrics"
	"github.com/outreach-scheduler/outreach/platform/responsedelay"
	"github.com/outreach-scheduler/outreach/scheduler"
	"github.com/outreach-scheduler/outreach/wire"
)

// LeaderOptions configure a Leader. Config, Ledger and Client (or
// Enqueue) are required; every other field has the default its comment
// names.
type LeaderOptions struct {
	Config    *config.Config        // valid
	Campaigns []*campaigns.Campaign // loaded and valid
	Ledger    *ledger.Ledger
	// Client enqueues the planned tasks. Required unless Enqueue is set.
	Client *asynq.Client
	// Inspector looks at queued tasks: to reconcile stuck ones, replace a
	// handed-back task, cancel a removed prospect's. nil skips all three.
	Inspector *asynq.Inspector
	// Enqueue, if set, replaces Client.EnqueueContext: a wrapper (tests
	// inject faults through it). Default nil.
	Enqueue func(ctx context.Context, t *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error)
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Logger logs the leader's work. Default: discard.
	Logger *slog.Logger
	// PlanSpec is the cron spec of the planning tick. Default
	// DefaultPlanSpec.
	PlanSpec string
	// Horizon is how far ahead the engine plans (scheduler.Options.Horizon).
	// Default 0: the engine's own (2m).
	Horizon time.Duration
	// Seed seeds the engine's jitter. Default 0 (a valid seed).
	Seed uint64
	// ResponseCurve is the response-delay curve the engine's note
	// experiments weigh young invitations by (scheduler.Options). Default
	// nil: the platform's own curve.
	ResponseCurve responsedelay.Curve
	// OnEvent, if set, receives every event of the engine. Default nil.
	OnEvent func(scheduler.Event)
	// Progress is how often OnProgress is called, from the loop (which
	// owns the engine). Default 0: never.
	Progress   time.Duration
	OnProgress func(*scheduler.Engine)
	// Sources, if set, returns the prospects of the campaigns (the daemons
	// read them from the store). Default nil: the engine reads the CSVs.
	Sources func(ctx context.Context) (map[string]scheduler.Source, error)
	// Events, if set, counts the lifecycle events; Stats, if set, keeps
	// the durable statistics. Both count an event once: those of ledger
	// entries after the stats checkpoint, and those the engine makes on
	// its own (timers, plan-time skips) while live. Default nil.
	Events *metrics.Events
	Stats  *metrics.Stats
	// SnapshotEvery is how often a snapshot of the state is written (then
	// the ledger before the previous one, and older than Retention,
	// trimmed). Default 0: none.
	SnapshotEvery time.Duration
	Retention     time.Duration
	// SkipBadEntries skips ledger entries that do not decode (each logged
	// at ERROR) instead of stopping at the first one. Default false.
	SkipBadEntries bool
	// Refusals, if set, counts the ledger entries skipped (unknown
	// accounts, bad entries). Default nil.
	Refusals *metrics.Refusals
	// Backfill puts the pending invitations into the index of sent
	// invitations after each rebuild (the daemons: their events endpoint
	// checks answers against it). Default false.
	Backfill bool
	// Operator names who runs this process (user@host) in the audit trail
	// of the files' paused: settings applied at start. Default "unknown".
	Operator string
	// Lost, if set, is closed when this process no longer leads: Run then
	// returns ErrLostLead. Default nil: it always leads (run).
	Lost <-chan struct{}
	// OnLive, if set, is called with false when a rebuild of the state
	// begins (the events the engine emits then replay history) and with
	// true once it is done (what it emits is new). Default nil.
	OnLive func(live bool)
}

// DefaultPlanSpec is the default planning tick: every minute (the
// engine's horizon, scheduler.DefaultHorizon, is two, so that a gap
// shorter than the tick is not throttled by it).
const DefaultPlanSpec = "@every 1m"

func (o *LeaderOptions) validate() error {
	switch {
	case o.Config == nil:
		return errors.New("leader: Config is required")
	case o.Ledger == nil:
		return errors.New("leader: Ledger is required")
	case o.Client == nil && o.Enqueue == nil:
		return errors.New("leader: Client (or Enqueue) is required")
	}
	return nil
}

func (o *LeaderOptions) setDefaults() {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.PlanSpec == "" {
		o.PlanSpec = DefaultPlanSpec
	}
	if o.Operator == "" {
		o.Operator = "unknown"
	}
}

// Leader is the scheduler daemon's work while this process leads: it
// rebuilds the engine from the ledger (Rebuild), then plans on the cron
// schedule, enqueues each task at its time under its idempotency key,
// applies the ledger as it grows, reconciles stuck tasks, and writes the
// statistics and snapshots (Run). Start and Stop run it in the background.
// A Leader is used by one goroutine at a time.
type Leader struct {
	opt LeaderOptions // defaults filled

	eng        *scheduler.Engine
	last       string // the last ledger ID applied
	checkpoint string // the last ledger ID the stats account for
	counting   bool   // count the events the engine emits now
	batch      metrics.Batch
	oldestAt   time.Time // when the oldest-pending times were last written
	flushedAt  time.Time // when the stats were last written
	epoch      int64     // the workspace epoch the state was built at

	// enq holds the planned tasks not yet in the queue (enqueue.go).
	enq enqueueState
	// sum counts what was done since the last summary line (summary).
	sum tickSummary

	// Start/Stop (lifecycle.go).
	cancel context.CancelFunc
	done   chan struct{}
	err    error
}

// NewLeader returns a Leader; nothing runs until Rebuild or Start.
func NewLeader(opt LeaderOptions) (*Leader, error) {
	if err := opt.validate(); err != nil {
		return nil, err
	}
	opt.setDefaults()
	return &Leader{opt: opt}, nil
}

// Engine is the engine the leader drives; nil before Rebuild. Only the
// goroutine that runs the leader may use it.
func (p *Leader) Engine() *scheduler.Engine { return p.eng }

// tickSummary counts the leader's work between two summary lines.
type tickSummary struct {
	planned, enqueued int
	outcomes, events  int
	minute            time.Time // the clock minute of the last line
}

// summary logs, at INFO, what the leader did since the last line: the
// tasks planned and enqueued, those kept (the queue did not take them
// yet), the outcomes and platform events applied from the ledger. At most
// one line a clock minute: the planning tick comes every minute, so the
// daemon's log shows it alive without repeating itself.
func (p *Leader) summary() {
	m := p.opt.Now().Truncate(time.Minute)
	if m.Equal(p.sum.minute) {
		return
	}
	s := p.sum
	p.opt.Logger.Info("tick", "planned", s.planned, "enqueued", s.enqueued, "kept", len(p.enq.kept),
		"outcomes_applied", s.outcomes, "events_applied", s.events)
	p.sum = tickSummary{minute: m}
}

// onEngineEvent receives every event of the engine.
func (p *Leader) onEngineEvent(ev scheduler.Event) {
	if p.opt.OnEvent != nil {
		p.opt.OnEvent(ev)
	}
	if !p.counting {
		return
	}
	lc := metrics.Lifecycle{T: ev.T, Type: ev.Type, Campaign: ev.Campaign, Account: ev.Account, Variant: ev.Variant, Invited: ev.Invited, Reason: ev.Reason}
	if p.opt.Events != nil {
		p.opt.Events.Observe(lc)
	}
	if p.opt.Stats != nil {
		p.batch.Add(lc)
	}
}

// onPace logs the safety governor's changes of an account's pace factor
// (while live: a rebuild replays none of them, it restores the factor).
func (p *Leader) onPace(account string, h scheduler.Health) {
	if h.Pace < 1 {
		p.opt.Logger.Info("safety governor: account slowed", "account", account, "pace", math.Round(h.Pace*1000)/1000,
			"signal", string(h.Signal), "health", math.Round(h.Score*1000)/1000)
		return
	}
	p.opt.Logger.Info("safety governor: account back to full pace", "account", account)
}

// entering is called before the engine applies a ledger entry.
func (p *Leader) entering(e ledger.Entry) {
	p.counting = ledger.After(e.ID, p.checkpoint)
}

// flush writes the counted events and the ledger position to the stats;
// every 10s it also writes each account's oldest pending invitation.
func (p *Leader) flush(ctx context.Context) {
	p.counting = true // what the engine does on its own from now on
	if p.opt.Stats == nil {
		return
	}
	now := p.opt.Now()
	p.flushedAt = now
	if now.Sub(p.oldestAt) >= 10*time.Second {
		for _, a := range p.opt.Config.Accounts {
			t, _ := p.eng.OldestPending(a.ID)
			p.batch.SetOldest(a.ID, t)
			if h, err := p.eng.Health(a.ID); err == nil {
				p.batch.SetHealth(a.ID, metrics.HealthEstimate{Health: h.Score, Pace: h.Pace})
			}
		}
		for _, c := range p.opt.Campaigns {
			for _, v := range p.eng.Variants(c.Name, now) {
				p.batch.SetVariant(c.Name, v.Name, metrics.VariantEstimate{Rate: v.Rate, Low: v.Lo, High: v.Hi, PBest: v.PBest})
			}
		}
		p.oldestAt = now
	}
	next := p.checkpoint
	if ledger.After(p.last, next) {
		next = p.last
	}
	err := p.opt.Stats.Commit(ctx, p.checkpoint, next, &p.batch, now)
	switch {
	case err == nil:
		p.checkpoint = next
		p.batch = metrics.Batch{}
	case errors.Is(err, metrics.ErrCheckpointMoved):
		p.opt.Logger.Warn("the stats were written by another scheduler; counting from their checkpoint")
		p.batch = metrics.Batch{}
		if cp, err := p.opt.Stats.Checkpoint(ctx); err == nil {
			p.checkpoint = cp
		}
	default:
		p.opt.Logger.Warn("writing the stats; will retry", "err", err) // the batch is kept
	}
}

// Rebuild builds a fresh engine and brings it to the state the ledger
// describes (the newest usable snapshot, then the ledger after it); then
// it applies the files' paused: settings and cancels the queued tasks of
// prospects removed from their campaign. Run needs it first.
func (p *Leader) Rebuild(ctx context.Context) error {
	if p.opt.OnLive != nil {
		p.opt.OnLive(false)
	}
	var srcs map[string]scheduler.Source
	if p.opt.Sources != nil {
		var err error
		if srcs, err = p.opt.Sources(ctx); err != nil {
			return err
		}
	}
	if p.opt.Stats != nil {
		cp, err := p.opt.Stats.Checkpoint(ctx)
		if err != nil {
			return err
		}
		p.checkpoint = cp
	}
	p.batch, p.counting = metrics.Batch{}, false
	eng, err := scheduler.New(scheduler.Options{
		Config: p.opt.Config, Campaigns: p.opt.Campaigns, Sources: srcs, Seed: p.opt.Seed, OnEvent: p.onEngineEvent, Horizon: p.opt.Horizon,
		ResponseCurve: p.opt.ResponseCurve, OnPace: p.onPace,
	})
	if err != nil {
		return err
	}
	p.eng = eng
	p.enq.reset() // what the last engine kept, this one plans again
	if p.epoch, err = p.opt.Ledger.Epoch(ctx); err != nil {
		return err
	}
	rb, err := RebuildWith(ctx, eng, p.opt.Ledger, RebuildOptions{Before: p.entering, SkipBad: p.opt.SkipBadEntries, Log: p.opt.Logger})
	if err != nil {
		return err
	}
	p.countSkipped(rb)
	if p.opt.Backfill {
		backfillSent(ctx, eng, p.opt.Ledger, p.opt.Logger)
	}
	p.last = rb.Last
	p.counting = true
	changed, err := SyncFilePauses(ctx, p.opt.Ledger, p.opt.Config, p.opt.Campaigns, p.opt.Now(), p.opt.Operator)
	for _, c := range changed {
		p.opt.Logger.Info("paused: of a file applied", "kind", string(c.Kind), "campaign", c.Campaign, "account", c.Account, "source", c.Source)
	}
	if err != nil {
		return err
	}
	p.cancelQueued(eng.CancelRemoved(p.opt.Now()))
	p.cancelQueued(eng.Cancelled()) // the next messages of those who replied
	p.flush(ctx)
	if rb.Entries > 0 || rb.Snapshot != nil {
		from := "the start"
		if rb.Snapshot != nil {
			from = fmt.Sprintf("snapshot %d (%s)", rb.Snapshot.Gen, rb.Snapshot.Position)
		}
		p.opt.Logger.Info("state rebuilt", "from", from, "entries", rb.Entries, "skipped", rb.Skipped)
	}
	if p.opt.OnLive != nil {
		p.opt.OnLive(true)
	}
	return nil
}

// cancelQueued deletes from the queue the tasks of prospects removed from
// their campaign (planned by an earlier leader before the removal), and
// the next message of prospects who replied (scheduler.Engine.Cancelled).
// A task already running cannot be deleted: it finishes, and its outcome
// is applied like any other.
func (p *Leader) cancelQueued(keys []string) {
	for _, k := range keys {
		delete(p.enq.kept, k) // planned but never enqueued: not offered again
	}
	if p.opt.Inspector == nil || len(keys) == 0 {
		return
	}
	n := 0
	for _, k := range keys {
		err := p.opt.Inspector.DeleteTask(wire.QueueName, k)
		switch {
		case err == nil:
			n++
		case errors.Is(err, asynq.ErrTaskNotFound) || errors.Is(err, asynq.ErrQueueNotFound):
		default:
			p.opt.Logger.Warn("cancelling a queued task (removed prospect, or a reply); if it runs, its outcome is recorded as it is", "key", k, "err", err)
		}
	}
	if n > 0 {
		p.opt.Logger.Info("cancelled queued tasks of removed prospects or of replies", "tasks", n)
	}
}

// snapshot writes the engine's state as of the last ledger entry applied,
// once the statistics account for that entry too, then trims the ledger
// before the previous snapshot and the retention window: the previous
// snapshot stays usable as a fallback, and entries younger than retention
// (with their note texts) are kept whatever the snapshots.
func (p *Leader) snapshot(ctx context.Context) {
	p.flush(ctx)
	if p.opt.Stats != nil && ledger.After(p.last, p.checkpoint) {
		p.opt.Logger.Warn("snapshot postponed: the statistics are not written up to the ledger yet")
		return
	}
	now := p.opt.Now()
	var buf bytes.Buffer
	if err := p.eng.Snapshot(&buf, now); err != nil {
		p.opt.Logger.Error("encoding a snapshot", "err", err)
		return
	}
	s, err := p.opt.Ledger.WriteSnapshot(ctx, p.last, now, buf.Bytes())
	if err != nil {
		p.opt.Logger.Warn("writing a snapshot; will retry", "err", err)
		return
	}
	_, prev, err := p.opt.Ledger.Snapshots(ctx)
	if err != nil || prev == nil || p.opt.Retention <= 0 {
		p.opt.Logger.Info("snapshot written", "gen", s.Gen, "position", s.Position, "bytes", s.Bytes)
		return
	}
	minID := ledger.IDAt(now.Add(-p.opt.Retention))
	if ledger.After(minID, prev.Position) {
		minID = prev.Position
	}
	if minID == "0" || minID == "" {
		p.opt.Logger.Info("snapshot written", "gen", s.Gen, "position", s.Position, "bytes", s.Bytes)
		return
	}
	n, err := p.opt.Ledger.Trim(ctx, minID)
	if err != nil {
		p.opt.Logger.Warn("trimming the ledger", "err", err)
	}
	p.opt.Logger.Info("snapshot written", "gen", s.Gen, "position", s.Position, "bytes", s.Bytes, "trimmed_before", minID, "trimmed", n)
}

// apply feeds one ledger entry to the engine.
func (p *Leader) apply(e ledger.Entry, replay bool) {
	p.entering(e)
	defer func() { p.counting = true }()
	if reason := SkipReason(p.eng, e); reason != "" {
		p.opt.Logger.Warn("ledger entry skipped", "id", e.ID, "reason", reason)
		p.opt.Refusals.Skipped(reason, 1)
		return
	}
	if err := ApplyEntry(p.eng, e, replay); err != nil {
		p.opt.Logger.Error("applying a ledger entry", "id", e.ID, "err", err)
	} else if e.Command != nil {
		logCommand(p.opt.Logger, e) // audit.go
	}
	p.cancelQueued(p.eng.Cancelled()) // a reply: its next message
	switch {
	case e.Outcome != nil:
		p.sum.outcomes++
	case e.Event != nil:
		p.sum.events++
	}
}

// Run plans and applies until ctx ends (nil) or LeaderOptions.Lost
// closes (ErrLostLead), rebuilding the state when the workspace changes
// (apply, forget). Rebuild must have been called. On the way out it writes
// what was counted since the last write, and a snapshot when they are on.
func (p *Leader) Run(ctx context.Context) error {
	for {
		err := p.loop(ctx, p.opt.Lost)
		if !errors.Is(err, ErrReload) {
			return err
		}
		if err := p.Rebuild(ctx); err != nil {
			return err
		}
	}
}

// loop plans and applies until ctx ends or lost reports that this
// process no longer leads.
func (p *Leader) loop(ctx context.Context, lost <-chan struct{}) error {
	tick := make(chan struct{}, 1)
	cr := cron.New(cron.WithLocation(time.UTC))
	if _, err := cr.AddFunc(p.opt.PlanSpec, func() {
		select {
		case tick <- struct{}{}:
		default:
		}
	}); err != nil {
		return fmt.Errorf("plan schedule %q: %w", p.opt.PlanSpec, err)
	}
	cr.Start()
	defer cr.Stop()

	entries := make(chan []ledger.Entry)
	tailFailed := make(chan error, 1)
	tailCtx, stopTail := context.WithCancel(ctx)
	defer stopTail()
	go p.tail(tailCtx, p.last, entries, tailFailed)

	var progress <-chan time.Time
	if p.opt.Progress > 0 && p.opt.OnProgress != nil {
		t := time.NewTicker(p.opt.Progress)
		defer t.Stop()
		progress = t.C
	}

	reconcile := time.NewTicker(reconcileEvery)
	defer reconcile.Stop()
	retry := time.NewTicker(enqueueMinBackoff) // the kept tasks' backoff (enqueue.go)
	defer retry.Stop()

	var snapC <-chan time.Time
	if p.opt.SnapshotEvery > 0 {
		t := time.NewTicker(p.opt.SnapshotEvery)
		defer t.Stop()
		snapC = t.C
	}

	p.Plan(ctx) // at once
	p.flush(ctx)
	for {
		select {
		case <-reconcile.C:
			p.Reconcile(ctx)
			p.flush(ctx)
		case <-retry.C:
			p.retryKept(ctx, false)
		case <-progress:
			p.opt.OnProgress(p.eng)
		case <-ctx.Done():
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			p.flush(sctx) // what was counted since the last write
			if p.opt.SnapshotEvery > 0 {
				p.snapshot(sctx) // so that the next leader replays little
			}
			cancel()
			return nil
		case <-snapC:
			p.snapshot(ctx)
		case <-lost:
			return ErrLostLead
		case <-tick:
			if n, err := p.opt.Ledger.Epoch(ctx); err == nil && n != p.epoch {
				p.opt.Logger.Info("the workspace changed (apply, forget): rebuilding the state")
				return ErrReload
			}
			p.Plan(ctx)
			p.flush(ctx)
		case err := <-tailFailed:
			p.opt.Logger.Error("the ledger cannot be applied", "err", err)
			return err
		case es := <-entries:
			for _, e := range es {
				p.apply(e, false)
				p.last = e.ID
			}
			// At most a write a second: what is not written yet is counted
			// again by the next leader from the checkpoint, never lost.
			if p.opt.Now().Sub(p.flushedAt) >= time.Second {
				p.flush(ctx)
			}
		}
	}
}

// ErrLostLead: Run returns it when LeaderOptions.Lost closes.
var ErrLostLead = errors.New("lost the scheduler lead")

// ErrReload: the workspace changed (apply, forget); Run returns it, and
// the state must be rebuilt (Rebuild) before the leader runs again.
var ErrReload = errors.New("the workspace changed")

// Drain applies what the ledger holds beyond the last entry applied (the
// outcomes of tasks that finished while the service stopped) and writes
// the stats, so that a graceful stop leaves them complete.
func (p *Leader) Drain(ctx context.Context) {
	for {
		es, err := p.opt.Ledger.Read(ctx, p.last, 1000, 0)
		if err != nil {
			p.opt.Logger.Warn("draining the ledger", "err", err)
			break
		}
		if len(es) == 0 {
			break
		}
		for _, e := range es {
			p.apply(e, false)
			p.last = e.ID
		}
	}
	p.flush(ctx)
}

// tail reads the ledger after `after` and hands batches to the loop.
func (p *Leader) tail(ctx context.Context, after string, out chan<- []ledger.Entry, fail chan<- error) {
	for ctx.Err() == nil {
		es, err := p.opt.Ledger.Read(ctx, after, 1000, time.Second)
		var bad *ledger.BadEntryError
		if errors.As(err, &bad) && p.opt.SkipBadEntries {
			p.opt.Logger.Error("skipping a ledger entry that does not decode (--skip-bad-entries)", "id", bad.ID, "err", bad.Err)
			es = append(es, ledger.Entry{ID: bad.ID}) // applies nothing; moves the position past it
			err = nil
		}
		if len(es) > 0 {
			select {
			case out <- es:
				after = es[len(es)-1].ID
			case <-ctx.Done():
				return
			}
		}
		switch {
		case errors.As(err, &bad):
			select {
			case fail <- fmt.Errorf("%w: stopping; fix or delete the entry (XDEL), or start the scheduler with --skip-bad-entries to skip it", err):
			case <-ctx.Done():
			}
			return
		case err != nil && ctx.Err() == nil:
			p.opt.Logger.Warn("reading the ledger", "err", err)
			select {
			case <-time.After(time.Second):
			case <-ctx.Done():
			}
		}
	}
}

// PlanResult is what one Plan did.
type PlanResult struct {
	Planned  int // tasks the engine planned now
	Enqueued int // tasks the queue took (those planned now and kept ones)
	Kept     int // tasks planned and not in the queue yet (enqueue.go)
}

// Plan enqueues every task due within the planning horizon, each at its
// time, under its idempotency key: re-planning never duplicates a task
// (asynq refuses a second task with the same ID while the first is kept).
// A task the queue does not take is kept and offered again (enqueue.go).
// Run calls it on every tick.
func (p *Leader) Plan(ctx context.Context) PlanResult {
	p.refreshHolds(ctx)
	tasks := p.eng.Plan(p.opt.Now())
	before := p.sum.enqueued
	res := PlanResult{Planned: len(tasks)}
	p.sum.planned += len(tasks)
	p.offer(ctx, tasks)
	res.Enqueued, res.Kept = p.sum.enqueued-before, len(p.enq.kept)
	p.summary()
	return res
}

// reconcileEvery is how often the leader looks for stuck tasks, and
// stuckAfter how long after its time a task without an outcome counts as
// possibly stuck.
const (
	reconcileEvery = 5 * time.Minute
	stuckAfter     = 30 * time.Minute
)

// reconcile finds tasks whose outcome never came (a crash, or asynq gave up
// after its retries) and settles them: a task asynq no longer has, or has
// archived, is abandoned (its prospect fails with unknown_outcome, since
// the action may have happened); a task still queued, running or retrying
// is left alone. Run calls it every reconcileEvery.
func (p *Leader) Reconcile(ctx context.Context) ReconcileResult {
	var res ReconcileResult
	if p.opt.Inspector == nil {
		return res
	}
	now := p.opt.Now()
	for _, t := range p.eng.Outstanding(now.Add(-stuckAfter)) {
		res.Checked++
		if p.enq.isKept(t.Key) {
			continue // never enqueued: offered again until it is (enqueue.go)
		}
		info, err := p.opt.Inspector.GetTaskInfo(wire.QueueName, t.Key)
		switch {
		case errors.Is(err, asynq.ErrTaskNotFound) || errors.Is(err, asynq.ErrQueueNotFound):
		case err != nil:
			p.opt.Logger.Warn("reconcile: inspecting a task", "key", t.Key, "err", err)
			continue
		case info.State == asynq.TaskStateArchived:
		default:
			continue // still alive, or completed with its outcome on the way
		}
		p.opt.Logger.Warn("reconcile: abandoning a task whose outcome never came", "key", t.Key, "kind", t.Kind.String(), "account", t.Account)
		if err := p.eng.Abandon(t, now); err != nil {
			p.opt.Logger.Error("reconcile", "key", t.Key, "err", err)
			continue
		}
		res.Abandoned++
	}
	return res
}

// ReconcileResult is what one Reconcile did.
type ReconcileResult struct {
	Checked   int // tasks past stuckAfter without an outcome
	Abandoned int // of those, settled as unknown_outcome
}

// Kept is the number of planned tasks not in the queue yet (enqueue.go).
func (p *Leader) Kept() int { return len(p.enq.kept) }
