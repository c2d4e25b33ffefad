package scheduler

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/pacing"
	"github.com/outreach-scheduler/outreach/platform/sandbox"
	"github.com/outreach-scheduler/outreach/wire"
	"github.com/outreach-scheduler/outreach/worker"
)

// driveOptions vary the world driveRun plays.
type driveOptions struct {
	// down, if set, says when the workers are down: the tasks due
	// meanwhile wait in the queue and are performed when the workers are
	// back, at that time, one a second, the way asynq hands a backlog to
	// workers that come back.
	down func(time.Time) bool
	// pauses, if set, is the operator's pause schedule: the deliverer
	// checks it just before each action (as the worker does), and the
	// engine learns it holdLag later (SetHolds; the daemon reads the
	// pauses on its ticks), so that what was planned before the engine
	// knew is handed back.
	pauses schedulePauses
}

// driveRun drives an engine against the sandbox model through the real
// deliverer and limiter, minute by minute on a virtual clock, as the
// simulator does, and returns what happened: the ledger the daemons would
// have written (each task with a known outcome, each platform event), the
// model (its record is the referee), the tasks handed back late or held.
// The one driver of the scheduler's tests that need the platform.
func driveRun(t testing.TB, cfg *config.Config, cs []*campaigns.Campaign, srcs map[string]Source, start time.Time, days int, o driveOptions) LateRun {
	t.Helper()
	sbOpt, err := sandbox.OptionsFromConfig(cfg, 3)
	if err != nil {
		t.Fatal(err)
	}
	var run LateRun
	run.Model = sandbox.New(sbOpt)
	eng, err := New(Options{Config: cfg, Campaigns: cs, Sources: srcs, Seed: 11, OnEvent: func(ev Event) { run.Lifecyc = append(run.Lifecyc, ev) }})
	if err != nil {
		t.Fatal(err)
	}
	d := &worker.Deliverer{Limiter: pacing.NewMemLimiter(), Platform: run.Model, Rules: worker.ConfigRules(cfg), RestrictionPause: time.Hour}
	if o.pauses != nil {
		d.Pauses = o.pauses
	}
	var queue []wire.Task
	end := start.AddDate(0, 0, days)
	for now := start; now.Before(end); now = now.Add(time.Minute) {
		for _, ev := range run.Model.Advance(now) {
			if err := eng.Observe(ev); err != nil {
				t.Fatal(err)
			}
			run.Events = append(run.Events, ev)
			run.Ledger = append(run.Ledger, wire.Entry{Event: &ev})
		}
		if o.pauses != nil {
			eng.SetHolds(o.pauses(now.Add(-holdLag)), now)
		}
		queue = append(queue, eng.Plan(now)...)
		if o.down != nil && o.down(now) {
			continue
		}
		slices.SortStableFunc(queue, func(a, b wire.Task) int { return a.At.Compare(b.At) })
		for i := 0; len(queue) > 0 && !queue[0].At.After(now); i++ {
			tk := queue[0]
			queue = queue[1:]
			if stripNotAfter {
				tk.NotAfter = time.Time{}
			}
			at := tk.At
			if now.Sub(at) >= time.Minute {
				// A backlog: performed when the workers are back, one
				// after the other.
				at = now.Add(time.Duration(i) * time.Second)
			}
			out, err := d.Do(context.Background(), tk, at)
			if err != nil {
				t.Fatal(err)
			}
			if out.Kind == wire.Denied {
				switch out.Denial {
				case pacing.DenyHours:
					run.Late = append(run.Late, tk)
				case pacing.DenyHeld:
					run.Held = append(run.Held, tk)
				}
			}
			if err := eng.Done(tk, out); err != nil {
				t.Fatal(err)
			}
			run.Ledger = append(run.Ledger, wire.Entry{Task: &tk, Outcome: &out})
		}
	}
	return run
}
