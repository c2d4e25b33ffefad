package worker

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/platform/sandbox/server"
	"github.com/outreach-scheduler/outreach/platform/webhook"
	"github.com/outreach-scheduler/outreach/wire"
)

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// logLines counts the lines of a text log at each level.
func logLines(b *bytes.Buffer) map[string]int {
	n := map[string]int{}
	for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		for _, lvl := range []string{"DEBUG", "INFO", "WARN", "ERROR"} {
			if strings.Contains(l, "level="+lvl) {
				n[lvl]++
			}
		}
	}
	return n
}

func newHealth(c *fakeClock, logs *bytes.Buffer, changes *[]bool) *Health {
	return NewHealth(HealthOptions{Now: c.now, Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		MaxBackoff: 8 * time.Second, OnChange: func(up bool) { *changes = append(*changes, up) }})
}

var (
	authFault   = &platform.Error{Code: platform.CodeUnauthorized, Retryable: true, NotPerformed: true, Fault: platform.FaultAuth, Msg: "HTTP 401: bad signature"}
	serverFault = &platform.Error{Code: platform.CodeUnavailable, Retryable: true, Fault: platform.FaultServer, Msg: "HTTP 500 Internal Server Error"}
	unknown     = wire.Outcome{Kind: wire.Unknown}
	delivered   = wire.Outcome{Kind: wire.Delivered}
)

func admit(t *testing.T, h *Health) Pass {
	t.Helper()
	p, err := h.Admit()
	if err != nil {
		t.Fatalf("Admit: %v, want a pass", err)
	}
	return p
}

func paused(t *testing.T, h *Health, retryIn time.Duration) {
	t.Helper()
	_, err := h.Admit()
	var pe *PausedError
	if !errors.As(err, &pe) || !errors.Is(err, ErrPaused) || pe.RetryIn != retryIn {
		t.Fatalf("Admit: %v, want paused, retry in %v", err, retryIn)
	}
}

// TestHealthBackoff: the first fault pauses deliveries for 1s and logs one
// ERROR; the faults of tasks already in flight change nothing; when the
// pause ends one probe goes through (the others wait); each failed probe
// doubles the pause up to the maximum, logging only when the reason
// changes; the first answer ends the outage (one WARN), and the next
// outage starts again from 1s.
func TestHealthBackoff(t *testing.T) {
	c := &fakeClock{t: t0}
	var logs bytes.Buffer
	var changes []bool
	h := newHealth(c, &logs, &changes)
	inflight := []Pass{admit(t, h), admit(t, h), admit(t, h)}
	inflight[0].Done(unknown, authFault)
	if h.Up() || len(changes) != 1 || changes[0] {
		t.Fatalf("after a fault: up %v, changes %v", h.Up(), changes)
	}
	inflight[1].Done(unknown, authFault) // in flight before the outage: no doubling
	inflight[2].Done(delivered, nil)     // an older success does not end it
	paused(t, h, time.Second)
	if n := logLines(&logs); n["ERROR"] != 1 || n["WARN"] != 0 {
		t.Fatalf("log after the outage began: %v\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), "reason=auth") || !strings.Contains(logs.String(), "bad signature") {
		t.Errorf("the ERROR line does not say why: %s", logs.String())
	}
	for i, want := range []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second} {
		c.add(h.RetryIn())
		probe := admit(t, h)
		paused(t, h, min(h.backoff, probeWait)) // one probe at a time
		f := error(authFault)
		if i == 2 {
			f = serverFault // the reason changes: logged
		}
		probe.Done(unknown, f)
		paused(t, h, want)
	}
	if n := logLines(&logs); n["ERROR"] != 3 || n["WARN"] != 0 {
		t.Errorf("log after four failed probes: %v, want 3 ERROR (down, another reason, the first again)\n%s", n, logs.String())
	}
	// A probe that tells nothing (the limiter denied it) frees the way for
	// the next one at once.
	c.add(h.RetryIn())
	admit(t, h).Done(wire.Outcome{Kind: wire.Denied}, nil)
	probe := admit(t, h)
	probe.Done(wire.Outcome{Kind: wire.Refused, Code: platform.CodeDuplicate}, nil) // an answer: it works
	if !h.Up() || len(changes) != 2 || !changes[1] || h.RetryIn() != 0 {
		t.Fatalf("after an answer: up %v, changes %v", h.Up(), changes)
	}
	if n := logLines(&logs); n["ERROR"] != 3 || n["WARN"] != 1 {
		t.Errorf("log after the recovery: %v, want one WARN more\n%s", n, logs.String())
	}
	admit(t, h).Done(unknown, serverFault)
	paused(t, h, time.Second) // reset
	if n := logLines(&logs); n["ERROR"] != 4 {
		t.Errorf("a second outage: %v ERROR lines, want 4", n["ERROR"])
	}
	// A probe never settled does not block deliveries for good.
	c.add(time.Second)
	admit(t, h)
	paused(t, h, 2*time.Second/2) // min(backoff 1s, probeWait)
	c.add(probeTimeout)
	admit(t, h)
}

// TestNilHealthAdmits: a Deliverer without Health attempts every task.
func TestNilHealthAdmits(t *testing.T) {
	var h *Health
	p, err := h.Admit()
	if err != nil || !h.Up() || h.RetryIn() != 0 {
		t.Fatalf("nil Health: %v", err)
	}
	p.Done(unknown, authFault)
}

// switchable serves the handler it holds now, and counts action requests.
type switchable struct {
	h    atomic.Pointer[http.Handler]
	hits atomic.Int64
}

func (s *switchable) set(h http.Handler) { s.h.Store(&h) }

func (s *switchable) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, webhook.ActionsPath) {
		s.hits.Add(1)
	}
	(*s.h.Load()).ServeHTTP(w, r)
}

// httpRig is a Deliverer with a Health, the webhook driver and the
// sandbox server over real HTTP, behind a switchable handler.
type httpRig struct {
	*rig
	sw    *switchable
	clock *fakeClock
	logs  bytes.Buffer
	ups   []bool
	good  http.Handler // the sandbox server with the right secret
}

var rigSecret = []byte("right")

func newHTTPRig(t *testing.T) *httpRig {
	t.Helper()
	r := &httpRig{rig: newRig(time.Hour), sw: &switchable{}, clock: &fakeClock{t: t0}}
	r.good = server.New(r.model, server.Options{Keys: webhook.StandardKeys(rigSecret), Now: r.clock.now})
	r.sw.set(r.good)
	srv := httptest.NewServer(r.sw)
	t.Cleanup(srv.Close)
	drv, err := webhook.New(webhook.Options{URL: srv.URL, Keys: webhook.StandardKeys(rigSecret), Now: r.clock.now, Retries: 1, Backoff: time.Millisecond,
		Rand: func() float64 { return 0.5 }})
	if err != nil {
		t.Fatal(err)
	}
	r.d.Platform = drv
	r.d.Health = newHealth(r.clock, &r.logs, &r.ups)
	return r
}

// deliverAll runs each task once at the rig's clock and returns those to
// try again (an error: unknown outcome, not performed, or paused; or the
// limiter's gap, as the tasks come at one instant).
func (r *httpRig) deliverAll(t *testing.T, ts []wire.Task) (again []wire.Task, errs []error) {
	t.Helper()
	for _, tk := range ts {
		o, err := r.d.Do(context.Background(), tk, r.clock.now())
		switch {
		case err != nil:
			if o.Kind != wire.Unknown {
				t.Fatalf("%s: outcome %v with error %v", tk.Key, o.Kind, err)
			}
			again, errs = append(again, tk), append(errs, err)
		case o.Kind == wire.Denied:
			again = append(again, tk)
		case o.Kind != wire.Delivered:
			t.Fatalf("%s: %+v, want delivered (no prospect fails for the integration's fault)", tk.Key, o)
		}
	}
	return again, errs
}

func tasks(people ...string) []wire.Task {
	var ts []wire.Task
	for _, p := range people {
		ts = append(ts, task(p))
	}
	return ts
}

// TestUnauthorizedIntegration: the integration refuses the signatures (a
// wrong secret, then clocks apart). The task that met the refusal is not
// performed: its slot is freed and it stays to be retried with its key;
// the tasks after it are held back without reaching the integration or the
// limiter. Once the secret is right and the pause over, every task goes
// through under its own key, each person invited once, and the limiter
// counts exactly what the platform took. One ERROR and one WARN line.
func TestUnauthorizedIntegration(t *testing.T) {
	for _, tc := range []struct {
		name string
		bad  func(r *httpRig) http.Handler
	}{
		{"wrong secret", func(r *httpRig) http.Handler {
			return server.New(r.model, server.Options{Keys: webhook.StandardKeys([]byte("wrong")), Now: r.clock.now})
		}},
		{"clocks apart", func(r *httpRig) http.Handler {
			return server.New(r.model, server.Options{Keys: webhook.StandardKeys(rigSecret), Now: func() time.Time { return r.clock.now().Add(6 * time.Minute) }})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newHTTPRig(t)
			r.sw.set(tc.bad(r))
			pending := tasks("ann", "bo", "cy", "dee")
			pending, errs := r.deliverAll(t, pending)
			if len(pending) != 4 || !platform.IsNotPerformed(errs[0]) || platform.FaultOf(errs[0]) != platform.FaultAuth {
				t.Fatalf("first attempt: %v", errs)
			}
			for _, err := range errs[1:] {
				if !errors.Is(err, ErrPaused) {
					t.Fatalf("while down: %v, want paused", err)
				}
			}
			if n := r.sw.hits.Load(); n != 1 {
				t.Errorf("%d requests reached the integration, want 1 (the others held back)", n)
			}
			if u := r.usage(t, r.clock.now()); u.Week != 0 {
				t.Errorf("limiter after the refusal: %+v, want the slot freed", u)
			}
			if len(r.ups) != 1 || r.ups[0] {
				t.Errorf("health changes %v, want down", r.ups)
			}
			// Still refused after the first pause: the backoff grows.
			r.clock.add(r.d.Health.RetryIn())
			pending, _ = r.deliverAll(t, pending)
			if len(pending) != 4 || r.d.Health.RetryIn() != 2*time.Second {
				t.Fatalf("a failed probe: %d left, retry in %v", len(pending), r.d.Health.RetryIn())
			}
			// Fixed.
			r.sw.set(r.good)
			for range 10 {
				if len(pending) == 0 {
					break
				}
				r.clock.add(max(r.d.Health.RetryIn(), limits.MinGap))
				pending, _ = r.deliverAll(t, pending)
			}
			if len(pending) > 0 {
				t.Fatalf("%d tasks never delivered", len(pending))
			}
			sent := r.sent()
			for _, tk := range tasks("ann", "bo", "cy", "dee") {
				if sent[tk.Key] != 1 {
					t.Errorf("%s taken %d times, want once", tk.Key, sent[tk.Key])
				}
			}
			if u := r.usage(t, r.clock.now()); u.Week != len(sent) {
				t.Errorf("the limiter counts %d, the platform took %d", u.Week, len(sent))
			}
			if len(r.ups) != 2 || !r.ups[1] {
				t.Errorf("health changes %v, want down then up", r.ups)
			}
			if n := logLines(&r.logs); n["ERROR"] != 1 || n["WARN"] != 1 {
				t.Errorf("log: %v, want one ERROR and one WARN\n%s", n, r.logs.String())
			}
		})
	}
}

// TestFailingIntegration: the integration answers 500, then drops the
// connections. The outcome is unknown: the slot stays counted (once)
// across the retries with the same key, and the person is invited once.
func TestFailingIntegration(t *testing.T) {
	r := newHTTPRig(t)
	var mode atomic.Int32 // 0: 500, 1: hang up, 2: fine
	r.sw.set(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		switch mode.Load() {
		case 0:
			http.Error(w, "boom", http.StatusInternalServerError)
		case 1:
			if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
				conn.Close()
			}
		default:
			r.good.ServeHTTP(w, req)
		}
	}))
	pending, errs := r.deliverAll(t, tasks("ann", "bo"))
	if len(pending) != 2 || platform.FaultOf(errs[0]) != platform.FaultServer || platform.IsNotPerformed(errs[0]) || !errors.Is(errs[1], ErrPaused) {
		t.Fatalf("first attempts: %v", errs)
	}
	if u := r.usage(t, r.clock.now()); u.Week != 1 {
		t.Errorf("limiter after an unknown outcome: %+v, want the slot kept counted", u)
	}
	mode.Store(1)
	r.clock.add(r.d.Health.RetryIn())
	pending, errs = r.deliverAll(t, pending)
	if len(pending) != 2 || platform.FaultOf(errs[0]) != platform.FaultConnection {
		t.Fatalf("probe on a dropped connection: %v", errs)
	}
	if u := r.usage(t, r.clock.now()); u.Week != 1 {
		t.Errorf("limiter after a retry with the same key: %+v, want still 1", u)
	}
	mode.Store(2)
	for range 10 {
		if len(pending) == 0 {
			break
		}
		r.clock.add(max(r.d.Health.RetryIn(), limits.MinGap))
		pending, _ = r.deliverAll(t, pending)
	}
	sent := r.sent()
	if len(pending) != 0 || sent["c/ann/0"] != 1 || sent["c/bo/0"] != 1 {
		t.Fatalf("left %d, taken %v; want both once", len(pending), sent)
	}
	if u := r.usage(t, r.clock.now()); u.Week != 2 {
		t.Errorf("the limiter counts %d, the platform took 2", u.Week)
	}
	if n := logLines(&r.logs); n["ERROR"] != 2 || n["WARN"] != 1 {
		t.Errorf("log: %v, want ERROR down, ERROR another reason, WARN back\n%s", n, r.logs.String())
	}
}
