package daemon

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/wire"
	"github.com/outreach-scheduler/outreach/worker"
)

// TestRetryPolicy: a task held back while the integration is down, or
// refused unperformed (401), comes back when the pause ends, spread a
// little, and does not use up its retries; an unknown outcome of a fault
// keeps asynq's backoff, never before the pause ends.
func TestRetryPolicy(t *testing.T) {
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	h := worker.NewHealth(worker.HealthOptions{Now: func() time.Time { return now }, MinBackoff: 4 * time.Second})
	pass, _ := h.Admit()
	auth := &platform.Error{Code: platform.CodeUnauthorized, Retryable: true, NotPerformed: true, Fault: platform.FaultAuth}
	pass.Done(wire.Outcome{Kind: wire.Unknown}, auth)
	_, paused := h.Admit()
	server := &platform.Error{Code: platform.CodeUnavailable, Retryable: true, Fault: platform.FaultServer}
	for _, c := range []struct {
		err     error
		failure bool
		lo, hi  time.Duration
	}{
		{paused, false, 4 * time.Second, 5 * time.Second},
		{fmt.Errorf("inviting: %w", auth), false, 4 * time.Second, 5 * time.Second},
		{server, true, 15 * time.Second, 46 * time.Second}, // asynq's first retry: 15s + up to 30s
		{errors.New("redis down"), true, 15 * time.Second, 46 * time.Second},
	} {
		if got := isFailure(c.err); got != c.failure {
			t.Errorf("isFailure(%v) = %v", c.err, got)
		}
		for _, payload := range []string{"a", "b", "c"} {
			d := retryDelay(h)(0, c.err, asynq.NewTask(wire.TaskType, []byte(payload)))
			if d < c.lo || d > c.hi {
				t.Errorf("retry delay of %v: %v, want in [%v, %v]", c.err, d, c.lo, c.hi)
			}
		}
	}
	if d := retryDelay(h)(0, paused, asynq.NewTask(wire.TaskType, []byte("x"))); d == retryDelay(h)(0, paused, asynq.NewTask(wire.TaskType, []byte("y"))) {
		t.Errorf("two tasks come back at the same instant (%v): no spread", d)
	}
	// A long outage: the fault's unknown outcome waits for the pause.
	h2 := worker.NewHealth(worker.HealthOptions{Now: func() time.Time { return now }, MinBackoff: time.Hour})
	p2, _ := h2.Admit()
	p2.Done(wire.Outcome{Kind: wire.Unknown}, server)
	if d := retryDelay(h2)(0, server, nil); d < time.Hour {
		t.Errorf("an unknown outcome retried after %v, before the pause of 1h ends", d)
	}
	if d := retryDelay(nil)(0, auth, nil); d < time.Second || d > 2*time.Second {
		t.Errorf("a 401 without a Health: %v, want about a second", d)
	}
}
