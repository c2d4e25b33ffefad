package scheduler

import (
	"fmt"
	"math"
	"time"

	"github.com/outreach-scheduler/outreach/lifecycle"
	"github.com/outreach-scheduler/outreach/pacing"
)

// The safety governor slows an account before the platform restricts it.
//
// The platform restricts accounts whose invitations are mostly ignored or
// declined, and whose pending invitations pile up. The governor measures
// the same things from the account's own outcomes, as the engine knows
// them (config.Safety, the `safety` section):
//
//   - acceptance and declines over the account's latest invitations, by
//     send time, each weighted by how much of its answer could have come
//     by now: the platform's share of answers within its age (package
//     responsedelay; the sandbox's delay_scale applies), 1 from `min_age`
//     on (unanswered then, it counts as ignored) and for a withdrawn or
//     expired one. The window reaches back until the weights add up to
//     `window`; neither ratio is judged below `min_sample`. Weighting by
//     age makes the ratios honest early: counting only answered and old
//     invitations, a young account's few quick answers would read as a
//     high acceptance (answers come within days, ignoring takes min_age),
//     and a bad list would be seen only two weeks in, when the platform
//     sees it too;
//   - the invitations pending for `min_age` or more (piled up, never
//     answered) as a share of the account's max_pending.
//
// Each signal gives a health in [0, 1] (1 healthy); the account's health is
// the weakest, and that signal is the reason shown. The pace factor follows
// it, from `floor` (health 0) to 1 (health 1), and multiplies the account's
// weekly and daily caps (after warm-up; at least one invitation each): it
// never raises anything above the configured caps. It falls at once and
// rises by at most `recovery_step` a day (hysteresis), so an account that
// recovers does not go straight back to the pace that hurt it.
//
// The governor looks again every four hours of the engine's clock (a
// look scans the account's window: looking hourly took half the time of a
// year's forecast of 100 accounts, and answers move over days), when the
// account plans (planAccount): the daemons and `outreach simulate` run
// the same code. Its state is the pace factor and when it last changed:
// the snapshot keeps both (snapshotAccount); everything else (the
// invitations and their outcomes) is derived from the prospects the
// engine restores or replays.

// Signal names what lowered an account's health.
type Signal string

// The signals.
const (
	SignalNone       Signal = ""           // healthy
	SignalAcceptance Signal = "acceptance" // too few aged invitations accepted
	SignalDeclines   Signal = "declines"   // too many declined
	SignalPending    Signal = "pending"    // too many invitations pending for min_age or more
)

// Health is the governor's view of an account.
type Health struct {
	// Score is the account's health in [0, 1]: the weakest signal's.
	Score float64
	// Pace is the factor applied to the weekly and daily caps, in
	// [safety.floor, 1]; 1 when the governor is disabled.
	Pace float64
	// Signal is the weakest signal when Score < 1; SignalNone otherwise.
	Signal Signal
	// Sent is how many invitations the window holds, Accepted and
	// Declined how many of them were, and Trials their weight (each
	// invitation's share of answers due by its age; at most about
	// safety.window): acceptance is Accepted / Trials.
	Sent, Accepted, Declined int
	Trials                   float64
	// Stale is the invitations pending for safety.min_age or more.
	Stale int
	// Enabled: the governor may lower the caps (safety.enabled).
	Enabled bool
	// At is when the governor last looked (the engine's clock); zero when
	// it never did.
	At time.Time
}

// Acceptance is Accepted / Trials; 0 before any trial.
func (h Health) Acceptance() float64 { return ratio(h.Accepted, h.Trials) }

// Declines is Declined / Trials; 0 before any trial.
func (h Health) Declines() float64 { return ratio(h.Declined, h.Trials) }

func ratio(n int, d float64) float64 {
	if d <= 0 {
		return 0
	}
	return min(1, float64(n)/d)
}

// governor is an account's governor state.
type governor struct {
	pace  float64   // the pace factor; 0 before the first look (full pace)
	since time.Time // when pace last fell, or last rose, or was last wanted no higher
	next  time.Time // the next look
	last  Health    // the last look
	sent  []Ref     // the account's invitations by send time (trimmed: see look)
}

// governEvery is how often the governor looks at an account.
const governEvery = 4 * time.Hour

// factor returns the pace factor in force (1 before the first look).
func (g *governor) factor() float64 {
	if g.pace <= 0 || g.pace > 1 {
		return 1
	}
	return g.pace
}

// govern looks at the account when a look is due at now.
func (e *Engine) govern(a *account, now time.Time) {
	if now.Before(a.gov.next) {
		return
	}
	a.gov.next = now.Truncate(governEvery).Add(governEvery)
	h := e.health(a, now)
	s := &a.cfg.Safety
	g := &a.gov
	target := 1.0
	if s.Enabled {
		target = s.Floor + (1-s.Floor)*h.Score
	}
	cur := g.factor()
	switch {
	case !s.Enabled:
		g.pace, g.since = 1, now // turned off: at once
	case target < cur:
		g.pace, g.since = target, now
	case target > cur:
		if days := int(now.Sub(g.since) / (24 * time.Hour)); days >= 1 {
			g.pace = min(target, cur+s.RecoveryStep*float64(days))
			g.since = g.since.Add(time.Duration(days) * 24 * time.Hour)
		}
	default:
		g.since = now
	}
	if g.pace > 1-1e-9 {
		g.pace = 1
	}
	h.Pace = g.factor()
	g.last = h
	if h.Pace != cur && e.opt.OnPace != nil {
		e.opt.OnPace(a.cfg.ID, h)
	}
}

// health measures the account at now from the engine's state. It drops
// the invitations no later window needs from the account's list.
func (e *Engine) health(a *account, now time.Time) Health {
	s := &a.cfg.Safety
	h := Health{Score: 1, Enabled: s.Enabled, At: now}
	nowNS := now.UnixNano()
	cut := now.Add(-s.MinAge).UnixNano()
	keep := 0 // entries before this index are not needed any more
	window := float64(s.Window)
	for i := len(a.gov.sent) - 1; i >= 0 && h.Trials < window; i-- {
		ref := a.gov.sent[i]
		p := &e.camps[ref.Campaign].ps[ref.Index]
		w := 1.0
		if p.at > cut {
			w = e.govCurve.Share(time.Duration(nowNS - p.at))
		}
		switch p.state {
		case lifecycle.StateInvited:
		case lifecycle.StateAccepted, lifecycle.StateMessaged, lifecycle.StateReplied:
			h.Accepted++
		case lifecycle.StateDeclined:
			h.Declined++
		case lifecycle.StateWithdrawn, lifecycle.StateExpired:
			w = 1 // over: never accepted
		default:
			continue
		}
		h.Sent++
		h.Trials += w
		keep = i
	}
	if h.Trials >= window && keep > len(a.gov.sent)/2 {
		// Weights only grow with time and new invitations come after: the
		// entries before the window's oldest never enter a window again.
		a.gov.sent = append(a.gov.sent[:0], a.gov.sent[keep:]...)
	}
	for _, ref := range a.pendQ { // by send time
		p := &e.camps[ref.Campaign].ps[ref.Index]
		if p.at > cut {
			break
		}
		if p.state == lifecycle.StateInvited && p.acct == int16(a.idx) {
			h.Stale++
		}
	}
	consider := func(score float64, sig Signal) {
		score = math.Max(0, math.Min(1, score))
		if score < h.Score {
			h.Score, h.Signal = score, sig
		}
	}
	if h.Trials >= float64(s.MinSample) {
		// Judged on their confidence bounds: a healthy account's small
		// sample must not read as a bad list by chance (see wilson).
		acc, _ := wilson(h.Acceptance(), h.Trials)
		_, dec := wilson(h.Declines(), h.Trials)
		consider((acc-s.DangerAcceptance)/(s.TargetAcceptance-s.DangerAcceptance), SignalAcceptance)
		consider((s.MaxDecline-dec)/(s.MaxDecline/2), SignalDeclines)
	}
	if mp := a.cfg.Limits.MaxPending; mp > 0 {
		consider((1-float64(h.Stale)/float64(mp))/(1-s.PendingStart), SignalPending)
	}
	if h.Score >= 1 {
		h.Signal = SignalNone
	}
	return h
}

// boundZ is the one-sided normal quantile of the governor's confidence
// bounds: 90%.
const boundZ = 1.2816

// wilson returns the upper and lower one-sided 90% Wilson score bounds of
// a share p observed over n (weighted) trials. The governor takes an
// account's acceptance at its upper bound and its declines at their lower
// one: it slows an account only when its own outcomes say, with 90%
// confidence, that the list is worse than the thresholds. Measured on the
// raw ratios (with the earlier thresholds 0.12 and 0.18), 23 of 200
// healthy accounts (30% acceptance, 26 weeks) were slowed at some point by
// the noise of their first days, 6 of them under a quarter of their caps;
// TestGovernorSparesHealthyAccounts (sim/safety_test.go) fails on the raw
// ratios.
func wilson(p, n float64) (upper, lower float64) {
	if n <= 0 {
		return 1, 0
	}
	z2 := boundZ * boundZ
	center := (p + z2/(2*n)) / (1 + z2/n)
	half := boundZ * math.Sqrt(p*(1-p)/n+z2/(4*n*n)) / (1 + z2/n)
	return min(1, center+half), max(0, center-half)
}

// paced returns the rules with the weekly and daily caps multiplied by
// the pace factor (at least one invitation each): never above the rules.
func paced(r pacing.Rules, f float64) pacing.Rules {
	if f >= 1 {
		return r
	}
	if r.Weekly > 0 {
		r.Weekly = max(1, int(float64(r.Weekly)*f))
	}
	if r.Daily != pacing.Unlimited && r.Daily > 0 {
		r.Daily = max(1, int(float64(r.Daily)*f))
	}
	return r
}

// LookHealth makes the governor look at the account at now, as planning
// does (the pace factor may change), and returns what it saw: for an
// engine rebuilt to report (outreach status), which never plans. Like
// Plan, it must be called from the goroutine that owns the engine.
func (e *Engine) LookHealth(id string, now time.Time) (Health, error) {
	a := e.byID[id]
	if a == nil {
		return Health{}, fmt.Errorf("scheduler: unknown account %q", id)
	}
	a.gov.next = time.Time{}
	e.govern(a, now)
	return e.Health(id)
}

// Health returns the governor's last look at the account (Pace 1 and
// Score 1 before its first). Like Plan, it must be called from the
// goroutine that owns the engine; it changes nothing.
func (e *Engine) Health(id string) (Health, error) {
	a := e.byID[id]
	if a == nil {
		return Health{}, fmt.Errorf("scheduler: unknown account %q", id)
	}
	h := a.gov.last
	if h.At.IsZero() {
		h = Health{Score: 1, Enabled: a.cfg.Safety.Enabled}
	}
	h.Pace = a.gov.factor()
	return h, nil
}
