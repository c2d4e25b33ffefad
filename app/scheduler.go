package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
	"github.com/robfig/cron/v3"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/ledger"
	"github.com/outreach-scheduler/outreach/metrics"
	"github.com/outreach-scheduler/outreach/scheduler"
	schedulerdaemon "github.com/outreach-scheduler/outreach/scheduler/daemon"
	"github.com/outreach-scheduler/outreach/wire"
)

// planner owns the engine: it rebuilds it from the ledger, plans on the
// cron schedule, enqueues each task at its time under its idempotency key,
// and applies the ledger as it grows.
type planner struct {
	cfg        *config.Config
	campaigns  []*campaigns.Campaign
	now        func() time.Time
	log        *slog.Logger
	ledger     *ledger.Ledger
	client     *asynq.Client
	inspector  *asynq.Inspector // for reconcile; nil skips it
	planSpec   string
	horizon    time.Duration // scheduler.Options.Horizon; 0: its default
	seed       uint64
	onEvent    func(scheduler.Event)
	progress   time.Duration           // how often to call onProgress; 0 never
	onProgress func(*scheduler.Engine) // called from the loop, which owns the engine
	// sources, if set, returns the prospects of the campaigns (the daemons
	// read them from the store); nil reads the CSV files.
	sources func(ctx context.Context) (map[string]scheduler.Source, error)

	// events, if set, counts the lifecycle events; stats, if set, keeps
	// the durable statistics. Both count an event once: those of ledger
	// entries after the stats checkpoint, and those the engine makes on
	// its own (timers, plan-time skips) while live.
	events *metrics.Events
	stats  *metrics.Stats

	// snapEvery is how often a snapshot of the state is written (then the
	// ledger before the previous one, and older than retention, trimmed);
	// 0 writes none. skipBad skips ledger entries that do not decode.
	snapEvery time.Duration
	retention time.Duration
	skipBad   bool
	// refusals, if set, counts the ledger entries skipped (unknown
	// accounts, bad entries); backfill puts the pending invitations into
	// the index of sent invitations after each rebuild (daemons).
	refusals *metrics.Refusals
	backfill bool

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
	// pauses are the operator's pauses as last read (pause.go).
	pauses []wire.Command
	// sum counts what was done since the last summary line (summary).
	sum tickSummary
}

// tickSummary counts the planner's work between two summary lines.
type tickSummary struct {
	planned, enqueued int
	outcomes, events  int
	minute            time.Time // the clock minute of the last line
}

// summary logs, at INFO, what the planner did since the last line: the
// tasks planned and enqueued, those kept (the queue did not take them
// yet), the outcomes and platform events applied from the ledger. At most
// one line a clock minute: the planning tick comes every minute, so the
// daemon's log shows it alive without repeating itself.
func (p *planner) summary() {
	m := p.now().Truncate(time.Minute)
	if m.Equal(p.sum.minute) {
		return
	}
	s := p.sum
	p.log.Info("tick", "planned", s.planned, "enqueued", s.enqueued, "kept", len(p.enq.kept),
		"outcomes_applied", s.outcomes, "events_applied", s.events)
	p.sum = tickSummary{minute: m}
}

// onEngineEvent receives every event of the engine.
func (p *planner) onEngineEvent(ev scheduler.Event) {
	if p.onEvent != nil {
		p.onEvent(ev)
	}
	if !p.counting {
		return
	}
	lc := metrics.Lifecycle{T: ev.T, Type: ev.Type, Campaign: ev.Campaign, Account: ev.Account, Variant: ev.Variant, Invited: ev.Invited, Reason: ev.Reason}
	if p.events != nil {
		p.events.Observe(lc)
	}
	if p.stats != nil {
		p.batch.Add(lc)
	}
}

// entering is called before the engine applies a ledger entry.
func (p *planner) entering(e ledger.Entry) {
	p.counting = ledger.After(e.ID, p.checkpoint)
}

// flush writes the counted events and the ledger position to the stats;
// every 10s it also writes each account's oldest pending invitation.
func (p *planner) flush(ctx context.Context) {
	p.counting = true // what the engine does on its own from now on
	if p.stats == nil {
		return
	}
	now := p.now()
	p.flushedAt = now
	if now.Sub(p.oldestAt) >= 10*time.Second {
		for _, a := range p.cfg.Accounts {
			t, _ := p.eng.OldestPending(a.ID)
			p.batch.SetOldest(a.ID, t)
		}
		for _, c := range p.campaigns {
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
	err := p.stats.Commit(ctx, p.checkpoint, next, &p.batch, now)
	switch {
	case err == nil:
		p.checkpoint = next
		p.batch = metrics.Batch{}
	case errors.Is(err, metrics.ErrCheckpointMoved):
		p.log.Warn("the stats were written by another scheduler; counting from their checkpoint")
		p.batch = metrics.Batch{}
		if cp, err := p.stats.Checkpoint(ctx); err == nil {
			p.checkpoint = cp
		}
	default:
		p.log.Warn("writing the stats; will retry", "err", err) // the batch is kept
	}
}

// start builds a fresh engine and replays the whole ledger into it.
func (p *planner) start(ctx context.Context) error {
	var srcs map[string]scheduler.Source
	if p.sources != nil {
		var err error
		if srcs, err = p.sources(ctx); err != nil {
			return err
		}
	}
	if p.stats != nil {
		cp, err := p.stats.Checkpoint(ctx)
		if err != nil {
			return err
		}
		p.checkpoint = cp
	}
	p.batch, p.counting = metrics.Batch{}, false
	eng, err := scheduler.New(scheduler.Options{
		Config: p.cfg, Campaigns: p.campaigns, Sources: srcs, Seed: p.seed, OnEvent: p.onEngineEvent, Horizon: p.horizon,
	})
	if err != nil {
		return err
	}
	p.eng = eng
	p.enq.reset() // what the last engine kept, this one plans again
	if p.epoch, err = p.ledger.Epoch(ctx); err != nil {
		return err
	}
	rb, err := schedulerdaemon.RebuildWith(ctx, eng, p.ledger, schedulerdaemon.RebuildOptions{Before: p.entering, SkipBad: p.skipBad, Log: p.log})
	if err != nil {
		return err
	}
	p.countSkipped(rb)
	if p.backfill {
		backfillSent(ctx, eng, p.ledger, p.log)
	}
	p.last = rb.Last
	p.counting = true
	changed, err := syncFilePauses(ctx, p.ledger, p.cfg, p.campaigns, p.now(), Operator())
	for _, c := range changed {
		p.log.Info("paused: of a file applied", "kind", string(c.Kind), "campaign", c.Campaign, "account", c.Account, "source", c.Source)
	}
	if err != nil {
		return err
	}
	p.cancelQueued(ctx, eng.CancelRemoved(p.now()))
	p.flush(ctx)
	if rb.Entries > 0 || rb.Snapshot != nil {
		from := "the start"
		if rb.Snapshot != nil {
			from = fmt.Sprintf("snapshot %d (%s)", rb.Snapshot.Gen, rb.Snapshot.Position)
		}
		p.log.Info("state rebuilt", "from", from, "entries", rb.Entries, "skipped", rb.Skipped)
	}
	return nil
}

// cancelQueued deletes from the queue the tasks of prospects removed from
// their campaign (planned by an earlier leader before the removal). A task
// already running cannot be deleted: it finishes, and its outcome is
// applied like any other.
func (p *planner) cancelQueued(ctx context.Context, keys []string) {
	if p.inspector == nil || len(keys) == 0 {
		return
	}
	n := 0
	for _, k := range keys {
		err := p.inspector.DeleteTask(wire.QueueName, k)
		switch {
		case err == nil:
			n++
		case errors.Is(err, asynq.ErrTaskNotFound) || errors.Is(err, asynq.ErrQueueNotFound):
		default:
			p.log.Warn("cancelling a removed prospect's queued task", "key", k, "err", err)
		}
	}
	if n > 0 {
		p.log.Info("cancelled the queued tasks of removed prospects", "tasks", n)
	}
}

// snapshot writes the engine's state as of the last ledger entry applied,
// once the statistics account for that entry too, then trims the ledger
// before the previous snapshot and the retention window: the previous
// snapshot stays usable as a fallback, and entries younger than retention
// (with their note texts) are kept whatever the snapshots.
func (p *planner) snapshot(ctx context.Context) {
	p.flush(ctx)
	if p.stats != nil && ledger.After(p.last, p.checkpoint) {
		p.log.Warn("snapshot postponed: the statistics are not written up to the ledger yet")
		return
	}
	now := p.now()
	var buf bytes.Buffer
	if err := p.eng.Snapshot(&buf, now); err != nil {
		p.log.Error("encoding a snapshot", "err", err)
		return
	}
	s, err := p.ledger.WriteSnapshot(ctx, p.last, now, buf.Bytes())
	if err != nil {
		p.log.Warn("writing a snapshot; will retry", "err", err)
		return
	}
	_, prev, err := p.ledger.Snapshots(ctx)
	if err != nil || prev == nil || p.retention <= 0 {
		p.log.Info("snapshot written", "gen", s.Gen, "position", s.Position, "bytes", s.Bytes)
		return
	}
	minID := ledger.IDAt(now.Add(-p.retention))
	if ledger.After(minID, prev.Position) {
		minID = prev.Position
	}
	if minID == "0" || minID == "" {
		p.log.Info("snapshot written", "gen", s.Gen, "position", s.Position, "bytes", s.Bytes)
		return
	}
	n, err := p.ledger.Trim(ctx, minID)
	if err != nil {
		p.log.Warn("trimming the ledger", "err", err)
	}
	p.log.Info("snapshot written", "gen", s.Gen, "position", s.Position, "bytes", s.Bytes, "trimmed_before", minID, "trimmed", n)
}

// apply feeds one ledger entry to the engine.
func (p *planner) apply(e ledger.Entry, replay bool) {
	p.entering(e)
	defer func() { p.counting = true }()
	if reason := schedulerdaemon.SkipReason(p.eng, e); reason != "" {
		p.log.Warn("ledger entry skipped", "id", e.ID, "reason", reason)
		p.refusals.Skipped(reason, 1)
		return
	}
	if err := schedulerdaemon.ApplyEntry(p.eng, e, replay); err != nil {
		p.log.Error("applying a ledger entry", "id", e.ID, "err", err)
	} else if e.Command != nil {
		logCommand(p.log, e) // retry.go
	}
	switch {
	case e.Outcome != nil:
		p.sum.outcomes++
	case e.Event != nil:
		p.sum.events++
	}
}

// loop plans and applies until ctx ends or lost reports that this
// process no longer leads.
func (p *planner) loop(ctx context.Context, lost <-chan struct{}) error {
	tick := make(chan struct{}, 1)
	cr := cron.New(cron.WithLocation(time.UTC))
	if _, err := cr.AddFunc(p.planSpec, func() {
		select {
		case tick <- struct{}{}:
		default:
		}
	}); err != nil {
		return fmt.Errorf("plan schedule %q: %w", p.planSpec, err)
	}
	cr.Start()
	defer cr.Stop()

	entries := make(chan []ledger.Entry)
	tailFailed := make(chan error, 1)
	tailCtx, stopTail := context.WithCancel(ctx)
	defer stopTail()
	go p.tail(tailCtx, p.last, entries, tailFailed)

	var progress <-chan time.Time
	if p.progress > 0 && p.onProgress != nil {
		t := time.NewTicker(p.progress)
		defer t.Stop()
		progress = t.C
	}

	reconcile := time.NewTicker(reconcileEvery)
	defer reconcile.Stop()
	retry := time.NewTicker(enqueueMinBackoff) // the kept tasks' backoff (enqueue.go)
	defer retry.Stop()

	var snapC <-chan time.Time
	if p.snapEvery > 0 {
		t := time.NewTicker(p.snapEvery)
		defer t.Stop()
		snapC = t.C
	}

	p.plan(ctx) // at once
	p.flush(ctx)
	for {
		select {
		case <-reconcile.C:
			p.reconcile(ctx)
			p.flush(ctx)
		case <-retry.C:
			p.retryKept(ctx, false)
		case <-progress:
			p.onProgress(p.eng)
		case <-ctx.Done():
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			p.flush(sctx) // what was counted since the last write
			if p.snapEvery > 0 {
				p.snapshot(sctx) // so that the next leader replays little
			}
			cancel()
			return nil
		case <-snapC:
			p.snapshot(ctx)
		case <-lost:
			return errLostLead
		case <-tick:
			if n, err := p.ledger.Epoch(ctx); err == nil && n != p.epoch {
				p.log.Info("the workspace changed (apply, forget): rebuilding the state")
				return errReload
			}
			p.plan(ctx)
			p.flush(ctx)
		case err := <-tailFailed:
			p.log.Error("the ledger cannot be applied", "err", err)
			return err
		case es := <-entries:
			for _, e := range es {
				p.apply(e, false)
				p.last = e.ID
			}
			// At most a write a second: what is not written yet is counted
			// again by the next leader from the checkpoint, never lost.
			if p.now().Sub(p.flushedAt) >= time.Second {
				p.flush(ctx)
			}
		}
	}
}

var errLostLead = errors.New("lost the scheduler lead")

// errReload: the workspace changed; the state must be rebuilt (start).
var errReload = errors.New("the workspace changed")

// drain applies what the ledger holds beyond the last entry applied (the
// outcomes of tasks that finished while the service stopped) and writes
// the stats, so that a graceful stop leaves them complete.
func (p *planner) drain(ctx context.Context) {
	for {
		es, err := p.ledger.Read(ctx, p.last, 1000, 0)
		if err != nil {
			p.log.Warn("draining the ledger", "err", err)
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
func (p *planner) tail(ctx context.Context, after string, out chan<- []ledger.Entry, fail chan<- error) {
	for ctx.Err() == nil {
		es, err := p.ledger.Read(ctx, after, 1000, time.Second)
		var bad *ledger.BadEntryError
		if errors.As(err, &bad) && p.skipBad {
			p.log.Error("skipping a ledger entry that does not decode (--skip-bad-entries)", "id", bad.ID, "err", bad.Err)
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
			p.log.Warn("reading the ledger", "err", err)
			select {
			case <-time.After(time.Second):
			case <-ctx.Done():
			}
		}
	}
}

// plan enqueues every task due within the planning horizon, each at its
// time, under its idempotency key: re-planning never duplicates a task
// (asynq refuses a second task with the same ID while the first is kept).
// A task the queue does not take is kept and offered again (enqueue.go).
func (p *planner) plan(ctx context.Context) {
	p.refreshHolds(ctx)
	tasks := p.eng.Plan(p.now())
	p.sum.planned += len(tasks)
	p.offer(ctx, tasks)
	p.summary()
}

// reconcileEvery is how often the planner looks for stuck tasks, and
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
// is left alone.
func (p *planner) reconcile(ctx context.Context) {
	if p.inspector == nil {
		return
	}
	now := p.now()
	for _, t := range p.eng.Outstanding(now.Add(-stuckAfter)) {
		if p.enq.isKept(t.Key) {
			continue // never enqueued: offered again until it is (enqueue.go)
		}
		info, err := p.inspector.GetTaskInfo(wire.QueueName, t.Key)
		switch {
		case errors.Is(err, asynq.ErrTaskNotFound) || errors.Is(err, asynq.ErrQueueNotFound):
		case err != nil:
			p.log.Warn("reconcile: inspecting a task", "key", t.Key, "err", err)
			continue
		case info.State == asynq.TaskStateArchived:
		default:
			continue // still alive, or completed with its outcome on the way
		}
		p.log.Warn("reconcile: abandoning a task whose outcome never came", "key", t.Key, "kind", t.Kind.String(), "account", t.Account)
		if err := p.eng.Abandon(t, now); err != nil {
			p.log.Error("reconcile", "key", t.Key, "err", err)
		}
	}
}
