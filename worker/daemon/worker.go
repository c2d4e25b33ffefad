package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/hibiken/asynq"

	"github.com/outreach-scheduler/outreach/worker"
)

// WorkerOptions configure a Worker. Redis and Handler are required.
type WorkerOptions struct {
	// Redis is where the queue is.
	Redis asynq.RedisConnOpt
	// Handler runs each task.
	Handler *Handler
	// Concurrency is the number of tasks run at once. Default 8.
	Concurrency int
	// Health, if set, watches the deliveries: the retry policy backs off
	// while the integration fails (retry.go). Default nil.
	Health *worker.Health
	// Logger logs the worker's operation. Default: discard.
	Logger *slog.Logger
}

// Worker runs the handler on the queue's tasks: the asynq server of the
// worker daemon and of `outreach run`.
type Worker struct {
	opt WorkerOptions
	srv *asynq.Server
}

// NewWorker returns a Worker; nothing runs until Start.
func NewWorker(opt WorkerOptions) (*Worker, error) {
	switch {
	case opt.Redis == nil:
		return nil, errors.New("worker: Redis is required")
	case opt.Handler == nil:
		return nil, errors.New("worker: Handler is required")
	}
	if opt.Concurrency <= 0 {
		opt.Concurrency = 8
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	return &Worker{opt: opt}, nil
}

// Start starts taking tasks. ctx is not kept: Stop stops the worker.
func (w *Worker) Start(context.Context) error {
	if w.srv != nil {
		return errors.New("worker: started twice")
	}
	w.srv = NewHealthServer(w.opt.Redis, w.opt.Concurrency, w.opt.Logger, w.opt.Health)
	if err := w.srv.Start(w.opt.Handler); err != nil {
		return fmt.Errorf("starting the worker: %w", err)
	}
	return nil
}

// Stop stops taking tasks and waits for those in flight to finish and
// record their outcomes (asynq's graceful shutdown, 20s at most). It may
// be called more than once.
func (w *Worker) Stop() {
	if w.srv != nil {
		w.srv.Shutdown()
	}
}
