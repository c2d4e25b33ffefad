package scheduler

import (
	"container/heap"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/outreach-scheduler/outreach/abtest"
	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/internal/minheap"
	"github.com/outreach-scheduler/outreach/lifecycle"
	"github.com/outreach-scheduler/outreach/pacing"
	"github.com/outreach-scheduler/outreach/platform/responsedelay"
	"github.com/outreach-scheduler/outreach/templates"
	"github.com/outreach-scheduler/outreach/wire"
)

// Options configure an Engine.
type Options struct {
	Config    *config.Config        // accounts and defaults; required, valid
	Campaigns []*campaigns.Campaign // loaded and valid
	// Sources are the prospects of each campaign, by campaign name.
	// Default: LoadSource of the campaign's CSV.
	Sources map[string]Source
	// Rand draws gaps and jitter. Default: a PCG seeded with Seed.
	Rand *rand.Rand
	Seed uint64
	// Horizon is how far ahead Plan plans. Default 2m (a one-minute tick
	// plus a margin), so a gap shorter than the tick is not throttled by it.
	Horizon time.Duration
	// Recheck is how long an account that has nothing to send waits before
	// it is looked at again. Default 10m.
	Recheck time.Duration
	// RestrictionPause is how long an account pauses after the platform
	// refused for a limit or a restriction. Default: the config's
	// defaults.restriction_pause.
	RestrictionPause time.Duration
	// OnEvent, if set, receives every lifecycle event.
	OnEvent func(Event)
	// OnPace, if set, is called when the safety governor changes an
	// account's pace factor (governor.go), with the account's ID and the
	// governor's look (Health.Pace the new factor, Health.Signal why).
	OnPace func(account string, h Health)
	// ResponseCurve is how long the platform's people take to answer an
	// invitation: the note experiments weigh a young invitation by the
	// share of answers due by its age. Default nil: the real platform's
	// (responsedelay.Default). A sped-up sandbox passes its own
	// (sandbox.ResponseCurve).
	ResponseCurve responsedelay.Curve
}

// Event is a lifecycle event of one prospect.
type Event struct {
	T        time.Time
	Type     lifecycle.Event
	Campaign string
	Account  string
	Person   string
	Variant  string // the note variant ("blank" for none) of invited, and of accepted, declined, withdrawn and expired
	Chars    int
	Reason   string
	// Invited is when the invitation was sent, on accepted, declined,
	// withdrawn and expired (time to accept = T - Invited); zero otherwise.
	Invited time.Time
}

// planned is a task the engine handed out and has no outcome for yet.
type planned struct {
	task wire.Task
	ref  Ref
}

// issue records a task handed out for the prospect ref, and returns it.
func (e *Engine) issue(ref Ref, t wire.Task) wire.Task {
	e.out[t.Key] = planned{task: t, ref: ref}
	return t
}

// DefaultHorizon is the default planning horizon.
const DefaultHorizon = 2 * time.Minute

func (o *Options) setDefaults() {
	if o.Horizon <= 0 {
		o.Horizon = DefaultHorizon
	}
	if o.Recheck <= 0 {
		o.Recheck = 10 * time.Minute
	}
	if o.RestrictionPause <= 0 {
		o.RestrictionPause = config.DefaultRestrictionPause
	}
	if o.Rand == nil {
		o.Rand = rand.New(rand.NewPCG(o.Seed, 0x6f7574726561636b))
	}
}

// Engine plans the work of every account. It is not safe for concurrent use:
// one goroutine owns it.
type Engine struct {
	opt      Options
	accounts []*account
	byID     map[string]*account
	camps    []*campaign
	people   people
	ready    accountHeap         // accounts by next slot
	timers   minheap.Heap[timer] // messages and other dated work
	parked   []timer             // due timers a pause without an end holds (hold.go)
	seq      uint64              // orders timers due at the same time
	buf      []wire.Task         // Plan's result, reused
	out      map[string]planned  // tasks returned by Plan and not yet reported, by key
	events   func(Event)
	abRand   *rand.Rand // the A/B choices' randomness (apart from the pacing's, seeded alike)
	pbRand   *rand.Rand // Variants' P(best) draws (apart, so reading does not change choices)
	cands    []int      // choose's candidate arms, reused

	reasons reasonTable // failure and skip reasons, by prospect.reason (retry.go)

	govCurve  responsedelay.Curve // the platform's answer delays, for the governor's weights (governor.go)
	cancelled []string            // keys of queued tasks a reply cancelled, for Cancelled (reply.go)
	replied   int                 // prospects in state replied (the snapshot's version depends on it)
}

// New builds an engine over the config and campaigns, with every prospect
// queued (or skipped when excluded or repeated).
func New(opt Options) (*Engine, error) {
	if opt.Config == nil {
		return nil, errors.New("scheduler: Options.Config is required")
	}
	if opt.RestrictionPause <= 0 {
		opt.RestrictionPause = opt.Config.Defaults.RestrictionPause
	}
	opt.setDefaults()
	e := &Engine{opt: opt, byID: map[string]*account{}, people: newPeople(opt.Seed ^ 0x70656f706c65), events: opt.OnEvent}
	e.abRand = rand.New(rand.NewPCG(opt.Seed, 0x61622d74657374))
	e.pbRand = rand.New(rand.NewPCG(opt.Seed, 0x702862657374))
	e.timers.Less = timerLess
	e.out = map[string]planned{}
	e.govCurve = opt.ResponseCurve // as the campaigns' experiments see it
	if e.govCurve == nil {
		e.govCurve = responsedelay.Default()
	}
	if e.events == nil {
		e.events = func(Event) {}
	}
	for i := range opt.Config.Accounts {
		a := newAccount(&opt.Config.Accounts[i], len(e.accounts), opt.Config.Defaults)
		e.accounts = append(e.accounts, a)
		e.byID[a.cfg.ID] = a
	}
	total := 0
	for _, c := range opt.Campaigns {
		if src := opt.Sources[c.Name]; src != nil {
			total += src.Len()
		}
	}
	e.people.index = make(map[uint64]int32, total) // no rehashing as people come
	for i, c := range opt.Campaigns {
		src := opt.Sources[c.Name]
		if src == nil {
			ms, err := LoadSource(c)
			if err != nil {
				return nil, err
			}
			src = ms
		}
		cp, err := e.addCampaign(int32(i), c, src)
		if err != nil {
			return nil, err
		}
		e.camps = append(e.camps, cp)
	}
	for _, a := range e.accounts {
		if len(a.camps) > 0 {
			e.wake(a, time.Time{})
			e.armFollow(a, time.Time{})
		}
	}
	return e, nil
}

// Plan returns every task due before now+Horizon that was not returned
// before, in no particular order. Call it on every tick. The slice is
// reused by the next call: consume it first.
func (e *Engine) Plan(now time.Time) []wire.Task {
	end := now.Add(e.opt.Horizon)
	tasks := e.buf[:0]
	defer func() { e.buf = tasks[:0] }()
	for e.timers.Len() > 0 && e.timers.Peek().at < end.UnixNano() {
		tasks = e.fire(e.timers.Pop(), now, tasks)
	}
	for e.ready.Len() > 0 && e.ready[0].next.Before(end) {
		a := e.ready[0]
		prev := a.next
		t, ok := e.planAccount(a, now, end, &tasks)
		if !ok {
			heap.Remove(&e.ready, a.heapIdx)
			a.heapIdx = -1
			continue
		}
		if !t.After(prev) && t.Before(end) {
			t = end // no progress: look again on the next tick
		}
		a.next = t
		heap.Fix(&e.ready, a.heapIdx)
	}
	return tasks
}

// NextWake is the earliest time at which Plan may have something to do, for
// a virtual clock to jump to (the daemon simply ticks).
func (e *Engine) NextWake() (time.Time, bool) {
	var t time.Time
	if e.ready.Len() > 0 {
		t = e.ready[0].next
	}
	if e.timers.Len() > 0 {
		if at := time.Unix(0, e.timers.Peek().at); t.IsZero() || at.Before(t) {
			t = at
		}
	}
	return t, !t.IsZero()
}

// wake puts an account back among those that plan, no earlier than at.
func (e *Engine) wake(a *account, at time.Time) {
	if a.heapIdx >= 0 {
		if at.After(a.next) {
			return
		}
		a.next = at
		heap.Fix(&e.ready, a.heapIdx)
		return
	}
	if at.Before(a.earliest) {
		at = a.earliest
	}
	a.next = at
	heap.Push(&e.ready, a)
}

// key is a task's idempotency key: campaign/person-token/step[.attempt].
// The person token is a stable FNV-1a hash of the person's key, so that
// keys carry no personal data.
func (e *Engine) key(c *campaign, person string, step string, attempt uint8) string {
	h := uint64(14695981039346656037)
	for i := 0; i < len(person); i++ {
		h ^= uint64(person[i])
		h *= 1099511628211
	}
	b := make([]byte, 0, len(c.c.Name)+len(step)+20)
	b = append(b, c.c.Name...)
	b = append(b, '/')
	b = strconv.AppendUint(b, h, 36)
	b = append(b, '/')
	b = append(b, step...)
	if attempt > 0 {
		b = append(b, '.')
		b = strconv.AppendUint(b, uint64(attempt), 10)
	}
	return string(b)
}

func (e *Engine) emit(t time.Time, typ lifecycle.Event, c *campaign, a *account, person string, note *templates.Note, reason string) {
	ev := Event{T: t, Type: typ, Campaign: c.c.Name, Person: person, Reason: reason}
	if a != nil {
		ev.Account = a.cfg.ID
	}
	if note != nil {
		ev.Variant, ev.Chars = note.Variant, note.Chars
	}
	e.events(ev)
}

// Variants returns the evidence of each note variant of the campaign at
// now: sent, accepted, pending, the acceptance rate with pending
// invitations weighted by age and its Wilson 95% interval, and the
// probability of being the best (package abtest). Blank is listed when it
// is an arm of the experiment or was sent. Nil for an unknown campaign.
// Like Plan, it must be called from the goroutine that owns the engine.
func (e *Engine) Variants(campaign string, now time.Time) []abtest.ArmSummary {
	for _, c := range e.camps {
		if c.c.Name != campaign {
			continue
		}
		all := c.exp.Summary(now, e.pbRand, 4000)
		out := make([]abtest.ArmSummary, 0, len(all))
		for i, v := range all {
			if i == 0 && v.Sent == 0 && !c.c.ABTest.IncludeBlank {
				continue
			}
			out = append(out, v)
		}
		return out
	}
	return nil
}

// OldestPending returns when the account's oldest pending invitation was
// sent; false when none is pending. Like Plan, it must be called from the
// goroutine that owns the engine (it drops resolved invitations from the
// account's pending queue as it goes).
func (e *Engine) OldestPending(id string) (time.Time, bool) {
	a := e.byID[id]
	if a == nil {
		return time.Time{}, false
	}
	for len(a.pendQ) > 0 {
		ref := a.pendQ[0]
		p := &e.camps[ref.Campaign].ps[ref.Index]
		if p.state == lifecycle.StateInvited && p.acct == int16(a.idx) {
			return time.Unix(0, p.at).UTC(), true
		}
		a.pendQ = a.pendQ[1:] // resolved: drop it, as withdrawOldest does
	}
	return time.Time{}, false
}

// Account returns the planning view of an account, for status and tests.
func (e *Engine) Account(id string) (AccountStatus, error) {
	a := e.byID[id]
	if a == nil {
		return AccountStatus{}, fmt.Errorf("scheduler: unknown account %q", id)
	}
	return a.status(), nil
}

// AccountStatus is what the engine knows of an account.
type AccountStatus struct {
	Pending     int
	Connections int
	PausedUntil time.Time
	NotesMonth  int
}

// rulesAt returns the account's planning rules at t: its limiter rules
// with the weekly and daily caps multiplied by the governor's pace factor
// (governor.go). The limiter rules only change at day boundaries and,
// warming up, at week boundaries, so the last day's are kept (a.rules,
// before the pace factor).
func (e *Engine) rulesAt(a *account, t time.Time) pacing.Rules {
	r := &a.rules
	if r.DayEnd.IsZero() || t.Before(r.DayStart) || !t.Before(r.DayEnd) ||
		(!a.cfg.WarmupStart.IsZero() && pacing.Warmup(a.cfg.WarmupStart, a.cfg.Limits.Weekly, t) != r.Weekly) {
		*r = pacing.RulesFor(a.cfg.Limits, a.cfg.WarmupStart, a.cfg.Location, t)
	}
	return paced(*r, a.gov.factor())
}

// Outstanding returns the tasks planned to run before t whose outcome was
// not reported: after a crash, or when the queue gave up on them, they are
// stuck, and the caller reconciles them (see Abandon).
func (e *Engine) Outstanding(before time.Time) []wire.Task {
	var ts []wire.Task
	for _, pl := range e.out {
		if pl.task.At.Before(before) {
			ts = append(ts, pl.task)
		}
	}
	return ts
}

// Abandon ends a task whose outcome will never be known (the queue dropped
// it): the prospect fails with reason unknown_outcome rather than being
// acted on again, since the action may have happened.
func (e *Engine) Abandon(t wire.Task, at time.Time) error {
	return e.Done(t, wire.Outcome{Kind: wire.Refused, At: at, Code: CodeUnknownOutcome})
}
