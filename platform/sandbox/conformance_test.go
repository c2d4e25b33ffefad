package sandbox_test

import (
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/platform/platformtest"
	"github.com/outreach-scheduler/outreach/platform/sandbox"
)

// TestConformance runs the platform conformance suite on the model in
// process: its clock is the time passed to Advance, its events what
// Advance returns.
func TestConformance(t *testing.T) {
	platformtest.Run(t, func(t *testing.T, opt platformtest.Options) platformtest.Harness {
		return &harness{t: t, m: sandbox.New(platformtest.SandboxOptions(opt)), now: opt.Now}
	})
}

type harness struct {
	t   *testing.T
	m   *sandbox.Model
	now time.Time
	evs []platform.Event
}

func (h *harness) Platform() platform.Platform { return h.m }

func (h *harness) Advance(now time.Time) {
	if now.Before(h.now) {
		h.t.Fatalf("harness: the clock moved back from %v to %v", h.now, now)
	}
	h.now = now
	for _, e := range h.m.Advance(now) {
		h.evs = append(h.evs, platform.Event{Type: e.Type, Account: e.Account, Person: e.Person, Key: e.Key, At: e.At})
	}
}

func (h *harness) Events() []platform.Event { return h.evs }

func (h *harness) Record() []platformtest.Request {
	var out []platformtest.Request
	for _, e := range h.m.Record() {
		out = append(out, platformtest.RequestOf(e))
	}
	return out
}
