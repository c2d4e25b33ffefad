package daemon

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/hibiken/asynq"

	"github.com/outreach-scheduler/outreach/wire"
)

// No planned action is lost.
//
// The engine hands each task out once: a task whose enqueue fails (Redis
// down, a timeout, a failover) would otherwise be gone for good and its
// account's slot with it, the engine waiting for an outcome that never
// comes. So the leader keeps every task it could not enqueue, by key,
// and offers it again with a backoff (1s doubling to 1m) and on every
// tick, oldest first, until Redis takes it; asynq.ErrTaskIDConflict means
// the queue has it already. Once one enqueue fails, the rest of the batch
// is kept without trying (Redis is down: each try would wait for its
// timeout). reconcile leaves the kept tasks alone: they were never
// queued, so they are not stuck but waiting to be. A task whose time has
// passed meanwhile goes out at once; its NotAfter still bounds it to its
// working time (the worker hands it back after that).
//
// A new leader, or the leader rebuilt after a reload, starts from the
// ledger: what the previous engine planned but never enqueued has no
// outcome there, so the new engine plans it again.
//
// Enqueueing also replaces a task a worker handed back (late: past its
// working time): follows, messages and withdrawals are planned again under
// the same key, and the queue keeps the handed-back task (completed, with
// the result wire.HandedBack) for its retention. That task is deleted and the
// new one enqueued. A task a worker is running now is looked at again
// later, as a kept task.

// Backoff of the kept tasks.
const (
	enqueueMinBackoff = time.Second
	enqueueMaxBackoff = time.Minute
)

// errTaskBusy: the key's previous task is running; try again later.
var errTaskBusy = errors.New("a worker is running the previous task of this key")

// enqueueState is the leader's tasks not yet in the queue.
type enqueueState struct {
	kept    map[string]wire.Task // by key
	backoff time.Duration        // the current backoff; 0 while nothing failed
	next    time.Time            // the next retry, on the leader's clock
	since   time.Time            // when the current run of failures began
}

// reset forgets the kept tasks: a rebuilt engine plans them again.
func (q *enqueueState) reset() {
	q.kept, q.backoff, q.next, q.since = nil, 0, time.Time{}, time.Time{}
}

// isKept reports whether the task of key was planned and never enqueued.
func (q *enqueueState) isKept(key string) bool {
	_, ok := q.kept[key]
	return ok
}

// offer enqueues the tasks the engine just planned, after the kept ones
// (offered again on every tick, whatever their backoff).
func (p *Leader) offer(ctx context.Context, tasks []wire.Task) {
	failing := p.retryKept(ctx, true)
	for _, t := range tasks {
		if failing {
			p.keep(t)
			continue
		}
		if err := p.enqueue(ctx, t); err != nil {
			p.keep(t)
			if !errors.Is(err, errTaskBusy) {
				p.failed(t, err)
				failing = true
			}
			continue
		}
		p.sum.enqueued++
	}
}

// retryKept offers the kept tasks again, oldest first, once their backoff
// is over (or at once with force). It reports whether an enqueue failed.
func (p *Leader) retryKept(ctx context.Context, force bool) bool {
	q := &p.enq
	if len(q.kept) == 0 || (!force && p.opt.Now().Before(q.next)) {
		return false
	}
	ts := make([]wire.Task, 0, len(q.kept))
	for _, t := range q.kept {
		ts = append(ts, t)
	}
	slices.SortFunc(ts, func(a, b wire.Task) int { return a.At.Compare(b.At) })
	n := 0
	for _, t := range ts {
		err := p.enqueue(ctx, t)
		switch {
		case err == nil:
			delete(q.kept, t.Key)
			n++
			p.sum.enqueued++
		case errors.Is(err, errTaskBusy):
		default:
			p.failed(t, err)
			return true
		}
	}
	if !q.since.IsZero() {
		p.opt.Logger.Info("the queue takes tasks again: the kept tasks are enqueued",
			"tasks", n, "failing_for", p.opt.Now().Sub(q.since).Round(time.Second).String())
	}
	q.backoff, q.since = 0, time.Time{}
	q.next = p.opt.Now().Add(enqueueMinBackoff) // keys still busy, if any
	return false
}

// keep holds a task that is not in the queue yet.
func (p *Leader) keep(t wire.Task) {
	if p.enq.kept == nil {
		p.enq.kept = map[string]wire.Task{}
	}
	p.enq.kept[t.Key] = t
}

// failed backs off after an enqueue failed; the first failure of a run is
// logged (the tasks are kept, not lost).
func (p *Leader) failed(t wire.Task, err error) {
	q := &p.enq
	now := p.opt.Now()
	if q.since.IsZero() {
		q.since = now
		p.opt.Logger.Warn("enqueueing fails: the planned tasks are kept and offered again until the queue takes them",
			"key", t.Key, "kind", t.Kind.String(), "account", t.Account, "err", err)
	}
	q.backoff = min(max(2*q.backoff, enqueueMinBackoff), enqueueMaxBackoff)
	q.next = now.Add(q.backoff)
}

// enqueue puts one task in the queue at its time under its key, replacing
// a handed-back task of the same key. nil when the queue has the task.
func (p *Leader) enqueue(ctx context.Context, t wire.Task) error {
	payload, err := wire.EncodeTask(t)
	if err != nil {
		p.opt.Logger.Error("encoding a task", "key", t.Key, "err", err)
		return nil // a bug, not a fault: offering it again would not help
	}
	err = p.enqueueRaw(ctx, t, payload)
	if !errors.Is(err, asynq.ErrTaskIDConflict) {
		return err
	}
	if p.opt.Inspector == nil {
		return nil
	}
	info, err := p.opt.Inspector.GetTaskInfo(wire.QueueName, t.Key)
	switch {
	case errors.Is(err, asynq.ErrTaskNotFound) || errors.Is(err, asynq.ErrQueueNotFound):
		// Gone since (deleted, or its retention ended): enqueue it.
	case err != nil:
		return fmt.Errorf("inspecting the queued task %s: %w", t.Key, err)
	case info.State == asynq.TaskStateActive:
		return errTaskBusy
	case info.State == asynq.TaskStateCompleted && string(info.Result) == wire.HandedBack:
		err := p.opt.Inspector.DeleteTask(wire.QueueName, t.Key)
		if err != nil && !errors.Is(err, asynq.ErrTaskNotFound) {
			return fmt.Errorf("deleting the handed-back task %s: %w", t.Key, err)
		}
	default:
		return nil // queued, or done with its outcome in the ledger
	}
	if err := p.enqueueRaw(ctx, t, payload); err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		return err
	}
	return nil
}

// enqueueRaw enqueues the payload under the task's key, due at its time on
// the leader's clock (asynq counts the delay on its own).
func (p *Leader) enqueueRaw(ctx context.Context, t wire.Task, payload []byte) error {
	enqueue := p.opt.Enqueue
	if enqueue == nil {
		enqueue = p.opt.Client.EnqueueContext
	}
	_, err := enqueue(ctx, asynq.NewTask(wire.TaskType, payload),
		asynq.ProcessIn(t.At.Sub(p.opt.Now())), asynq.TaskID(t.Key), asynq.MaxRetry(25), asynq.Retention(7*24*time.Hour))
	if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		return fmt.Errorf("enqueueing task %s: %w", t.Key, err)
	}
	return err
}
