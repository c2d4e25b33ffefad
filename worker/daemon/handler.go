package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/outreach-scheduler/outreach/ledger"
	"github.com/outreach-scheduler/outreach/metrics"
	"github.com/outreach-scheduler/outreach/pacing"
	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/wire"
	"github.com/outreach-scheduler/outreach/worker"
)

// Handler is the worker: the asynq handler of the tasks of type
// wire.TaskType. It performs one task with the Deliverer and appends the
// outcome to the ledger. An unknown outcome returns the error, so that
// asynq retries with the same idempotency key while the reservation stays
// counted.
type Handler struct {
	Deliver *worker.Deliverer
	Ledger  *ledger.Ledger
	Now     func() time.Time
	Log     *slog.Logger
	Metrics *metrics.Delivery // nil: not counted
	Guard   Guard             // nil: none (tripped: nothing is delivered)
}

// Guard stops the deliveries: while Err is not nil, no task is performed
// and every task stays queued (the install marker of the Redis is lost).
type Guard interface {
	Err() error
}

// ProcessTask implements asynq.Handler.
func (h *Handler) ProcessTask(ctx context.Context, at *asynq.Task) error {
	if h.Guard != nil {
		if err := h.Guard.Err(); err != nil {
			return err // the install marker is lost: deliver nothing; the task stays queued
		}
	}
	t, err := wire.DecodeTask(at.Payload())
	var ev *wire.ErrVersion
	switch {
	case errors.As(err, &ev):
		// Written by a newer outreach: leave it for an upgraded worker
		// (asynq retries it with backoff) rather than misread it.
		h.Log.Error("task written by a newer version; upgrade this worker", "err", err)
		return err
	case err != nil:
		return fmt.Errorf("decoding task: %v: %w", err, asynq.SkipRetry)
	}
	out, err := h.Deliver.Do(ctx, t, h.Now())
	if errors.Is(err, ledger.ErrForgotten) {
		// Forgotten after it was planned: asynq.RevokeTask deletes it
		// without performing it, and without keeping its payload as a
		// completed or archived task would.
		h.Log.Info("action dropped: its person was forgotten", "kind", t.Kind.String(), "account", t.Account, "campaign", t.Campaign)
		return fmt.Errorf("person forgotten: %w", asynq.RevokeTask)
	}
	paused := errors.Is(err, worker.ErrPaused) // not attempted: not a delivery error
	if h.Metrics != nil && !paused {
		h.Metrics.Observe(t.Account, out, err)
	}
	switch {
	case paused, platform.FaultOf(err) != "":
		// The integration's fault: worker.Health logs its changes of
		// state once, not each task's.
		h.Log.Debug("task held back by the integration's fault; will retry", "kind", t.Kind.String(), "account", t.Account, "err", err)
		return err
	case err != nil:
		h.Log.Warn("task outcome unknown; will retry", "kind", t.Kind.String(), "account", t.Account, "err", err)
		return err
	}
	if err := h.Ledger.AppendOutcome(ctx, t, out); err != nil {
		// The action happened but is not recorded: retrying repeats it under
		// the same idempotency key, which the platform answers as the first
		// time, and then records it.
		return err
	}
	return MarkHandedBack(at, out) // a late task: the scheduler may replace it
}

// NewServer returns the asynq server of a worker.
func NewServer(opt asynq.RedisConnOpt, concurrency int, log *slog.Logger) *asynq.Server {
	return NewHealthServer(opt, concurrency, log, nil)
}

// NewHealthServer returns the asynq server of a worker whose deliveries
// health watches (nil: none), for the retry policy (retry.go).
func NewHealthServer(opt asynq.RedisConnOpt, concurrency int, log *slog.Logger, health *worker.Health) *asynq.Server {
	return asynq.NewServer(opt, asynq.Config{
		RetryDelayFunc:           retryDelay(health),
		IsFailure:                isFailure,
		Concurrency:              concurrency,
		DelayedTaskCheckInterval: time.Second,
		Logger:                   Logger(log.With("component", "asynq")),
		LogLevel:                 asynq.WarnLevel,
		ShutdownTimeout:          20 * time.Second,
	})
}

// MarkHandedBack writes wire.HandedBack as the asynq result of a task the
// worker handed back late (pacing.DenyHours), after its outcome is in the
// ledger: the scheduler's leader may then replace it under the same key. An error
// makes asynq run the task again, which hands it back again.
func MarkHandedBack(at *asynq.Task, o wire.Outcome) error {
	if o.Kind != wire.Denied || !pacing.HandedBack(o.Denial) {
		return nil
	}
	rw := at.ResultWriter()
	if rw == nil {
		return nil // not run by an asynq server (tests)
	}
	if _, err := rw.Write([]byte(wire.HandedBack)); err != nil {
		return fmt.Errorf("marking the task handed back: %w", err)
	}
	return nil
}
