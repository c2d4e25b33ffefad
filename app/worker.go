package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/outreach-scheduler/outreach/ledger"
	"github.com/outreach-scheduler/outreach/metrics"
	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/wire"
	"github.com/outreach-scheduler/outreach/worker"
)

// TaskType is the asynq task type of every platform action.
const TaskType = "outreach:action"

// handler is the worker: it performs one task and appends the outcome to
// the ledger. An unknown outcome returns the error, so that asynq retries
// with the same idempotency key while the reservation stays counted.
type handler struct {
	deliver *worker.Deliverer
	ledger  *ledger.Ledger
	now     func() time.Time
	log     *slog.Logger
	metrics *metrics.Delivery // nil: not counted
	guard   *guard            // nil: none (tripped: nothing is delivered)
}

func (h *handler) ProcessTask(ctx context.Context, at *asynq.Task) error {
	if err := h.guard.Err(); err != nil {
		return err // the install marker is lost: deliver nothing; the task stays queued
	}
	t, err := wire.DecodeTask(at.Payload())
	var ev *wire.ErrVersion
	switch {
	case errors.As(err, &ev):
		// Written by a newer outreach: leave it for an upgraded worker
		// (asynq retries it with backoff) rather than misread it.
		h.log.Error("task written by a newer version; upgrade this worker", "err", err)
		return err
	case err != nil:
		return fmt.Errorf("decoding task: %v: %w", err, asynq.SkipRetry)
	}
	if t.Kind == wire.KindExpire {
		// The deliverer checks the forgotten people with the pauses (one
		// round trip) before any platform call; an expiry makes none.
		if err := h.dropForgotten(ctx, t); err != nil {
			return err
		}
	}
	out, err := h.deliver.Do(ctx, t, h.now())
	if errors.Is(err, ledger.ErrForgotten) {
		// Forgotten after it was planned: asynq.RevokeTask deletes it
		// without performing it, and without keeping its payload as a
		// completed or archived task would.
		h.log.Info("action dropped: its person was forgotten", "kind", t.Kind.String(), "account", t.Account, "campaign", t.Campaign)
		return fmt.Errorf("person forgotten: %w", asynq.RevokeTask)
	}
	paused := errors.Is(err, worker.ErrPaused) // not attempted: not a delivery error
	if h.metrics != nil && !paused {
		h.metrics.Observe(t.Account, out, err)
	}
	switch {
	case paused, platform.FaultOf(err) != "":
		// The integration's fault: worker.Health logs its changes of
		// state once, not each task's.
		h.log.Debug("task held back by the integration's fault; will retry", "kind", t.Kind.String(), "account", t.Account, "err", err)
		return err
	case err != nil:
		h.log.Warn("task outcome unknown; will retry", "kind", t.Kind.String(), "account", t.Account, "err", err)
		return err
	}
	if err := h.ledger.AppendOutcome(ctx, t, out); err != nil {
		// The action happened but is not recorded: retrying repeats it under
		// the same idempotency key, which the platform answers as the first
		// time, and then records it.
		return err
	}
	return markHandedBack(at, out) // a late task: the planner may replace it (enqueue.go)
}

// newServer returns the asynq server of a worker.
func newServer(opt asynq.RedisConnOpt, concurrency int, log *slog.Logger) *asynq.Server {
	return newHealthServer(opt, concurrency, log, nil)
}

// newHealthServer returns the asynq server of a worker whose deliveries
// health watches (nil: none), for the retry policy (integration.go).
func newHealthServer(opt asynq.RedisConnOpt, concurrency int, log *slog.Logger, health *worker.Health) *asynq.Server {
	return asynq.NewServer(opt, asynq.Config{
		RetryDelayFunc:           retryDelay(health),
		IsFailure:                isFailure,
		Concurrency:              concurrency,
		DelayedTaskCheckInterval: time.Second,
		Logger:                   asynqLogger{log.With("component", "asynq")},
		LogLevel:                 asynq.WarnLevel,
		ShutdownTimeout:          20 * time.Second,
	})
}
