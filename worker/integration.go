package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/wire"
)

// Health defaults.
const (
	DefaultMinBackoff = time.Second
	DefaultMaxBackoff = 5 * time.Minute
	// probeWait bounds how long tasks wait while a probe is out, and
	// probeTimeout how long a probe may stay out before another is let
	// through (a probe is normally settled within the driver's attempts).
	probeWait    = 15 * time.Second
	probeTimeout = 2 * time.Minute
)

// ErrPaused is in the chain of the error Deliverer.Do returns for a task it
// did not attempt because deliveries to the integration are paused (see
// Health): the task is as it was, nothing was reserved, and it is to be
// tried again later (PausedError.RetryIn).
var ErrPaused = errors.New("worker: deliveries to the platform integration are paused")

// PausedError is the error of a task held back while the integration is
// down.
type PausedError struct {
	Fault   platform.Fault // the fault that paused deliveries
	RetryIn time.Duration  // when the task is worth trying again
}

func (e *PausedError) Error() string {
	return fmt.Sprintf("%v after an integration fault (%s); try again in %v", ErrPaused, e.Fault, e.RetryIn)
}

// Is makes errors.Is(err, ErrPaused) hold.
func (e *PausedError) Is(target error) bool { return target == ErrPaused }

// HealthOptions configure a Health.
type HealthOptions struct {
	// Now is the clock. Required.
	Now func() time.Time
	// Logger receives one line per change of state: ERROR when the
	// integration goes down (or fails otherwise while down), WARN when it
	// is back. Default: discard.
	Logger *slog.Logger
	// MinBackoff is the first pause after a fault (DefaultMinBackoff, 1s),
	// doubled after each failed probe up to MaxBackoff
	// (DefaultMaxBackoff, 5m); a success resets it.
	MinBackoff, MaxBackoff time.Duration
	// OnChange, if set, is called with the new state on each change
	// (outside the tracker's lock); up is true at start.
	OnChange func(up bool)
}

// Health tracks the platform integration as one worker process sees it.
// After a fault of the integration (platform.Fault: refused
// authentication, TLS, connection, timeout, server error) deliveries
// pause: Admit refuses every task until the pause ends, then lets one
// through as a probe. A probe that fails again doubles the pause (up to
// MaxBackoff); any answer of the integration (done, or a refusal about the
// request) ends the outage. It is safe for concurrent use; a nil Health
// admits everything.
type Health struct {
	opt HealthOptions

	mu      sync.Mutex
	up      bool
	epoch   uint64         // outages so far; a pass remembers the one it was taken in
	fault   platform.Fault // the last fault while down
	since   time.Time      // when the outage began
	backoff time.Duration  // the current pause
	until   time.Time      // no task before this while down
	probe   time.Time      // when the probe out was let through; zero none
	faults  int            // faults during the outage
}

// NewHealth returns a tracker that starts up.
func NewHealth(opt HealthOptions) *Health {
	if opt.Now == nil {
		panic("worker: HealthOptions.Now is required")
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.MinBackoff <= 0 {
		opt.MinBackoff = DefaultMinBackoff
	}
	if opt.MaxBackoff < opt.MinBackoff {
		opt.MaxBackoff = max(DefaultMaxBackoff, opt.MinBackoff)
	}
	return &Health{opt: opt, up: true}
}

// Pass is Admit's leave to attempt one task. Settle it with Done.
type Pass struct {
	h     *Health
	epoch uint64
	probe bool
}

// Admit lets a task through, or returns a *PausedError while deliveries
// are paused.
func (h *Health) Admit() (Pass, error) {
	if h == nil {
		return Pass{}, nil
	}
	now := h.opt.Now()
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case h.up:
		return Pass{h: h, epoch: h.epoch}, nil
	case now.Before(h.until):
		return Pass{}, &PausedError{Fault: h.fault, RetryIn: h.until.Sub(now)}
	case !h.probe.IsZero() && now.Sub(h.probe) < probeTimeout:
		return Pass{}, &PausedError{Fault: h.fault, RetryIn: min(h.backoff, probeWait)}
	}
	h.probe = now
	return Pass{h: h, epoch: h.epoch, probe: true}, nil
}

// Up reports whether the integration is taken to work.
func (h *Health) Up() bool {
	if h == nil {
		return true
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.up
}

// RetryIn is how long a task held back now should wait: the rest of the
// pause (at least MinBackoff) while down, 0 while up.
func (h *Health) RetryIn() time.Duration {
	if h == nil {
		return 0
	}
	now := h.opt.Now()
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.up {
		return 0
	}
	return max(h.until.Sub(now), h.opt.MinBackoff)
}

// Done settles a pass with what came of the task: a fault of the
// integration pauses deliveries (or, from a probe, doubles the pause); an
// answer of the integration (delivered, refused, or a platform error that
// is not a fault) ends an outage; anything else (the limiter denied, the
// caller gave up) tells nothing and only frees the probe. A pass taken
// before the current outage began neither starts nor ends one.
func (p Pass) Done(o wire.Outcome, err error) {
	h := p.h
	if h == nil {
		return
	}
	fault := platform.FaultOf(err)
	var pe *platform.Error
	answered := fault == "" && (err == nil && (o.Kind == wire.Delivered || o.Kind == wire.Refused) || errors.As(err, &pe))
	now := h.opt.Now()
	h.mu.Lock()
	if p.probe {
		h.probe = time.Time{}
	}
	var changed func()
	switch {
	case p.epoch != h.epoch:
		// Taken before this outage (or the last one) began: stale news.
	case fault != "" && h.up:
		h.up, h.epoch, h.fault, h.since, h.faults = false, h.epoch+1, fault, now, 1
		h.backoff = h.opt.MinBackoff
		h.until = now.Add(h.backoff)
		h.opt.Logger.Error("the platform integration is failing: deliveries paused, tasks kept as they are and retried with their keys",
			"reason", string(fault), "err", errText(err), "retry_in", h.backoff.String())
		changed = func() { h.notify(false) }
	case fault != "" && p.probe:
		h.faults++
		h.backoff = min(2*h.backoff, h.opt.MaxBackoff)
		h.until = now.Add(h.backoff)
		if fault != h.fault {
			h.opt.Logger.Error("the platform integration is still failing, for another reason: deliveries stay paused",
				"reason", string(fault), "was", string(h.fault), "err", errText(err), "retry_in", h.backoff.String())
			h.fault = fault
		} else {
			h.opt.Logger.Debug("probe failed; deliveries stay paused", "reason", string(fault), "retry_in", h.backoff.String())
		}
	case answered && !h.up:
		h.up = true
		h.opt.Logger.Warn("the platform integration answers again: deliveries resume",
			"was", string(h.fault), "down_for", now.Sub(h.since).Round(time.Millisecond).String(), "faults", h.faults)
		h.backoff, h.until, h.fault, h.faults = 0, time.Time{}, "", 0
		changed = func() { h.notify(true) }
	}
	h.mu.Unlock()
	if changed != nil {
		changed()
	}
}

func (h *Health) notify(up bool) {
	if h.opt.OnChange != nil {
		h.opt.OnChange(up)
	}
}

// errText is an error's message for the log: the driver's messages name
// the operation, the HTTP status and the idempotency key (which carries a
// hash of the person, not the person), never a note or a person's key.
func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// Do performs t at now. The outcome says what happened; a non-nil error
// means the outcome is unknown (Outcome.Kind Unknown) and the task must be
// retried with the same key: its reservation stays counted meanwhile,
// unless the integration refused it before acting (platform.IsNotPerformed:
// the slot was freed). While the integration is down (Deliverer.Health),
// the task is not attempted: the error wraps ErrPaused.
func (d *Deliverer) Do(ctx context.Context, t wire.Task, now time.Time) (wire.Outcome, error) {
	if d.Health == nil || t.Kind == wire.KindExpire { // an expiry calls nothing
		return d.do(ctx, t, now)
	}
	pass, err := d.Health.Admit()
	if err != nil {
		return wire.Outcome{Kind: wire.Unknown, At: now}, err
	}
	o, err := d.do(ctx, t, now)
	pass.Done(o, err)
	return o, err
}
