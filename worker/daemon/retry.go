package daemon

import (
	"errors"
	"hash/fnv"
	"time"

	"github.com/hibiken/asynq"

	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/worker"
)

// The worker's retry policy when the platform integration fails
// (worker.Health pauses the deliveries):
//
//   - A task held back while deliveries are paused (worker.ErrPaused), or
//     refused before anything happened (401/403,
//     platform.IsNotPerformed), is retried when the pause ends, spread
//     over a quarter of the pause so that they do not all come back in
//     the same second. It is not a failure of the task: asynq does not
//     count it against the task's retries (MaxRetry), so an outage of any
//     length never archives a task, whose prospect would then fail.
//   - A fault with an unknown outcome (5xx, timeout, TLS, connection) is
//     a failure of the task as before (counted, asynq's backoff), but not
//     retried before the pause ends.
//   - Anything else: asynq's default backoff.

// retryDelay is the asynq RetryDelayFunc of a worker watched by health
// (nil: none).
func retryDelay(health *worker.Health) asynq.RetryDelayFunc {
	return func(n int, err error, t *asynq.Task) time.Duration {
		var pe *worker.PausedError
		switch {
		case errors.As(err, &pe):
			return spread(pe.RetryIn, t)
		case platform.IsNotPerformed(err):
			return spread(health.RetryIn(), t)
		}
		d := asynq.DefaultRetryDelayFunc(n, err, t)
		if platform.FaultOf(err) != "" {
			d = max(d, health.RetryIn())
		}
		return d
	}
}

// isFailure is asynq's IsFailure: a task the integration's fault held back
// unattempted, or refused unperformed, does not use up its retries.
func isFailure(err error) bool {
	return !errors.Is(err, worker.ErrPaused) && !platform.IsNotPerformed(err)
}

// spread returns d (at least a second) plus up to a quarter of it, by a
// hash of the task's payload: deterministic, and different across tasks.
func spread(d time.Duration, t *asynq.Task) time.Duration {
	d = max(d, time.Second)
	h := fnv.New64a()
	if t != nil {
		h.Write(t.Payload())
	}
	return d + time.Duration(h.Sum64()%1024)*(d/4)/1024
}
