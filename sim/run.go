package sim

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/internal/minheap"
	"github.com/outreach-scheduler/outreach/lifecycle"
	"github.com/outreach-scheduler/outreach/pacing"
	"github.com/outreach-scheduler/outreach/platform/sandbox"
	"github.com/outreach-scheduler/outreach/scheduler"
	"github.com/outreach-scheduler/outreach/wire"
	"github.com/outreach-scheduler/outreach/worker"
)

// Tick is how often the simulated scheduler plans, as the daemon's cron
// job does; the simulator skips ticks at which nothing can happen.
const Tick = time.Minute

// runShard simulates a set of campaigns that shares no account and no
// person with any other (see shards): one engine, one limiter, one platform
// model. onEvent receives its lifecycle events in time order.
func runShard(ctx context.Context, opt Options, camps []*campaigns.Campaign, sources map[string]scheduler.Source, onEvent func(Event)) (*Result, error) {
	cfg := opt.Config
	sub := opt
	sub.Campaigns = camps
	sub.OnEvent = onEvent
	r := &run{opt: sub, res: &Result{Start: opt.Start, End: opt.Start.AddDate(0, 0, opt.Days)}}
	r.init(cfg)
	model, err := newModel(cfg, opt.Seed, opt.lightRecord, r.onRestrict, opt.model)
	if err != nil {
		return nil, err
	}
	r.res.models = []*sandbox.Model{model}
	eng, err := scheduler.New(scheduler.Options{
		Config:    cfg,
		Campaigns: camps,
		Sources:   sources,
		Seed:      uint64(opt.Seed),
		OnEvent:   r.onEvent,
		OnPace:    r.onPace,
		// The model's answers come as fast as the config's sandbox says.
		ResponseCurve: sandbox.ResponseCurve(cfg),
	})
	if err != nil {
		return nil, err
	}
	// paused: in the files holds the campaign or the account for the
	// whole forecast, as the daemons would once the files are applied.
	eng.SetHolds(fileHolds(cfg, camps), opt.Start)
	lim := pacing.NewMemLimiter()
	d := &worker.Deliverer{
		Limiter:          lim,
		Platform:         model,
		Rules:            worker.ConfigRules(cfg),
		RestrictionPause: cfg.Defaults.RestrictionPause,
	}

	q := minheap.Heap[wire.Task]{Less: taskLess}
	// cancelled are the keys of queued tasks a reply cancelled: the
	// daemon deletes them from its queue; the simulator drops them when
	// they come up.
	cancelled := map[string]bool{}
	now := opt.Start
	end := r.res.End
	nextPlan := now
	for steps := 0; ; steps++ {
		if steps&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		// The next thing to happen: a planning tick, a task, a platform answer.
		t := nextPlan
		if q.Len() > 0 && q.Peek().At.Before(t) {
			t = q.Peek().At
		}
		if at, ok := model.NextEventAt(); ok && at.Before(t) {
			t = at
		}
		if !t.Before(end) {
			break
		}
		now = t
		if evs := model.Advance(now); len(evs) > 0 {
			for _, ev := range evs {
				r.res.Events = append(r.res.Events, ev)
				if err := eng.Observe(ev); err != nil {
					return nil, err
				}
				for _, k := range eng.Cancelled() {
					cancelled[k] = true
				}
				if opt.onEntry != nil {
					ev := ev
					opt.onEntry(wire.Entry{Event: &ev})
				}
			}
			continue
		}
		if q.Len() > 0 && !q.Peek().At.After(now) {
			task := q.Pop()
			if cancelled[task.Key] {
				delete(cancelled, task.Key)
				continue
			}
			out, err := d.Do(ctx, task, task.At)
			if err != nil {
				return nil, fmt.Errorf("sim: %s %s: %w", task.Kind, task.Key, err)
			}
			if err := eng.Done(task, out); err != nil {
				return nil, err
			}
			if opt.onEntry != nil && out.Kind != wire.Unknown {
				opt.onEntry(wire.Entry{Task: &task, Outcome: &out})
			}
			nextPlan = now // outcomes change what can be planned
			continue
		}
		for _, task := range eng.Plan(now) {
			q.Push(task)
		}
		// Skip the ticks at which nothing is due.
		nextPlan = now.Add(Tick)
		if w, ok := eng.NextWake(); ok {
			if w = w.Add(-scheduler.DefaultHorizon / 2); w.After(nextPlan) {
				nextPlan = w
			}
		} else {
			nextPlan = end
		}
	}
	r.finish(eng)
	return r.res, nil
}

func newModel(cfg *config.Config, seed int64, light bool, onRestrict func(sandbox.Restriction), adjust func(*sandbox.Options)) (*sandbox.Model, error) {
	opt, err := sandbox.OptionsFromConfig(cfg, seed)
	if err != nil {
		return nil, fmt.Errorf("sim: %w", err)
	}
	opt.ViolationsOnly = light
	opt.OnRestrict = onRestrict
	if adjust != nil {
		adjust(&opt)
	}
	return sandbox.New(opt), nil
}

// taskLess orders tasks by time, then key (deterministic).
func taskLess(a, b wire.Task) bool {
	if !a.At.Equal(b.At) {
		return a.At.Before(b.At)
	}
	return a.Key < b.Key
}

// run aggregates lifecycle events into the forecast.
type run struct {
	opt      Options
	res      *Result
	accounts map[string]*AccountResult
	camps    map[string]*CampaignResult
	clock    dayClock
}

func (r *run) init(cfg *config.Config) {
	r.clock = newDayClock(r.res.Start, r.opt.Days)
	r.accounts = map[string]*AccountResult{}
	r.camps = map[string]*CampaignResult{}
	r.res.Accounts = make([]AccountResult, len(cfg.Accounts))
	for i, a := range cfg.Accounts {
		r.res.Accounts[i].ID = a.ID
	}
	for i := range r.res.Accounts {
		r.accounts[r.res.Accounts[i].ID] = &r.res.Accounts[i]
	}
	r.res.Campaigns = make([]CampaignResult, len(r.opt.Campaigns))
	for i, c := range r.opt.Campaigns {
		r.res.Campaigns[i].Name = c.Name
	}
	for i := range r.res.Campaigns {
		r.camps[r.res.Campaigns[i].Name] = &r.res.Campaigns[i]
	}
}

func (r *run) onEvent(ev scheduler.Event) {
	t := ev.T.UTC()
	if ev.T.IsZero() {
		t = r.opt.Start.UTC()
	}
	name := ev.Type.String()
	c := r.camps[ev.Campaign]
	a := r.accounts[ev.Account]
	d := r.clock.day(t)
	if c != nil {
		c.Counts.Add(ev.Type)
		c.Days = countDay(c.Days, r.opt.Days, d, ev.Type)
		switch ev.Type {
		case lifecycle.EvInvited:
			c.LastInvited = t
			if ev.Reason != "" {
				c.Fallbacks = countReason(c.Fallbacks, ev.Reason)
			}
		case lifecycle.EvSkipped:
			c.Skips = countReason(c.Skips, ev.Reason)
		case lifecycle.EvMessageSkipped:
			c.MessageSkips = countReason(c.MessageSkips, ev.Reason)
		}
	}
	if a != nil {
		a.Counts.Add(ev.Type)
		a.Days = countDay(a.Days, r.opt.Days, d, ev.Type)
	}
	if r.opt.OnEvent != nil {
		r.opt.OnEvent(Event{T: t, Event: name, Campaign: ev.Campaign, Account: ev.Account, Prospect: ev.Person,
			Variant: ev.Variant, Chars: ev.Chars, Reason: ev.Reason})
	}
}

// onPace receives the safety governor's changes of an account's pace
// factor: it emits EventPaced and keeps the lowest (MinPace).
func (r *run) onPace(id string, h scheduler.Health) {
	a := r.accounts[id]
	if a == nil {
		return
	}
	if h.Pace < 1 && (a.MinPace == 0 || h.Pace < a.MinPace) {
		a.MinPace = h.Pace
	}
	if r.opt.OnEvent != nil {
		r.opt.OnEvent(Event{T: h.At.UTC(), Event: EventPaced, Account: id, Reason: string(h.Signal), Pace: math.Round(h.Pace*1000) / 1000})
	}
}

// onRestrict counts a restriction the platform model imposed and emits
// its account event. The model calls it with its lock held, during the
// invitation it refuses: it must not call the model.
func (r *run) onRestrict(x sandbox.Restriction) {
	if a := r.accounts[x.Account]; a != nil {
		a.Restrictions++
	}
	if r.opt.OnEvent != nil {
		r.opt.OnEvent(Event{T: x.At.UTC(), Event: EventRestricted, Account: x.Account, Reason: x.Reason, Until: x.Until.UTC()})
	}
}

// countReason counts one more of reason in m (allocated on first use).
func countReason(m map[string]int, reason string) map[string]int {
	if m == nil {
		m = map[string]int{}
	}
	m[reason]++
	return m
}

func (r *run) finish(eng *scheduler.Engine) {
	for i := range r.res.Campaigns {
		c := &r.res.Campaigns[i]
		c.Prospects = eng.Prospects(c.Name)
		c.Completed = eng.Completed(c.Name)
		if vs := eng.Variants(c.Name, r.res.End); vs != nil {
			c.Variants = VariantResults(vs)
		}
	}
}

// fileHolds are the pauses the files set (paused: true).
func fileHolds(cfg *config.Config, camps []*campaigns.Campaign) scheduler.Holds {
	h := scheduler.Holds{Campaigns: map[string]scheduler.Hold{}, Accounts: map[string]scheduler.Hold{}}
	for _, c := range camps {
		if c.Paused {
			h.Campaigns[c.Name] = scheduler.Hold{}
		}
	}
	for _, a := range cfg.Accounts {
		if a.Paused {
			h.Accounts[a.ID] = scheduler.Hold{}
		}
	}
	return h
}
