package sandbox

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// IgnoredAfter is when an unanswered invitation counts, for the acceptance
// rule of RestrictionRules, as not accepted: 14 days after it was sent.
const IgnoredAfter = 14 * day

// Defaults of RestrictionRules, from the platform's public guidance:
// acceptance under 15-20% over a few hundred invitations, or 500 and more
// pending invitations, get an account restricted, usually for a week.
const (
	DefaultMinAcceptance       = 0.15
	DefaultRestrictionWindow   = 200
	DefaultMaxPending          = 500
	DefaultRestrictionDuration = 7 * day
)

// RestrictionRules are the grounds on which the platform restricts an
// account by itself (Options.Restrictions), as the real platform does with
// accounts whose invitations are mostly ignored or declined, or whose
// pending invitations pile up.
//
// Every invitation the platform accepted counts once for the acceptance
// rule, when it resolves: at its acceptance or decline, at its withdrawal
// or expiry (not accepted), or IgnoredAfter it was sent if it is still
// unanswered then (not accepted; a later acceptance does not change that).
// The rules are checked at each first invitation of an account that is not
// restricted, on its record as of the invitation's time; when one is
// broken, that invitation is refused with platform.CodeRestricted and the
// account is restricted from then for Duration (as by Model.Restrict:
// withdrawing does not lift it). The window then starts empty: the account
// is judged again on the next Window invitations that resolve. Pending
// invitations are not forgotten: an account still above MaxPending when
// its restriction ends is restricted again at its next invitation.
//
// The zero value of a field selects its default.
type RestrictionRules struct {
	// MinAcceptance: an account whose last Window resolved invitations
	// hold fewer than MinAcceptance x Window acceptances is restricted;
	// the rule waits until Window invitations have resolved. Default
	// DefaultMinAcceptance (0.15); negative: no acceptance rule.
	MinAcceptance float64
	// Window is the number of resolved invitations the acceptance rule
	// looks at. Default DefaultRestrictionWindow (200).
	Window int
	// MaxPending: an account with more pending invitations than this is
	// restricted. Default DefaultMaxPending (500); negative: no pending
	// rule.
	MaxPending int
	// Duration is how long a restriction lasts. Default
	// DefaultRestrictionDuration (7 days).
	Duration time.Duration
}

// DefaultRestrictionRules returns the default rules, every field set.
func DefaultRestrictionRules() RestrictionRules {
	return RestrictionRules{MinAcceptance: DefaultMinAcceptance, Window: DefaultRestrictionWindow,
		MaxPending: DefaultMaxPending, Duration: DefaultRestrictionDuration}
}

// resolved returns the rules with their defaults filled in.
func (r RestrictionRules) resolved() RestrictionRules {
	d := DefaultRestrictionRules()
	if r.MinAcceptance == 0 {
		r.MinAcceptance = d.MinAcceptance
	}
	if r.Window == 0 {
		r.Window = d.Window
	}
	if r.MaxPending == 0 {
		r.MaxPending = d.MaxPending
	}
	if r.Duration == 0 {
		r.Duration = d.Duration
	}
	return r
}

// maxRestrictionWindow bounds Window: the model keeps Window outcomes an
// account.
const maxRestrictionWindow = 100000

func (r RestrictionRules) validate() error {
	var errs []error
	if math.IsNaN(r.MinAcceptance) || r.MinAcceptance > 1 {
		errs = append(errs, fmt.Errorf("restrictions: min acceptance %v: want a share between 0 and 1", r.MinAcceptance))
	}
	if r.Window < 0 || r.Window > maxRestrictionWindow {
		errs = append(errs, fmt.Errorf("restrictions: window %d: want 1 to %d invitations", r.Window, maxRestrictionWindow))
	}
	if r.Duration < 0 {
		errs = append(errs, fmt.Errorf("restrictions: duration %v: want a positive duration", r.Duration))
	}
	return errors.Join(errs...)
}

// Why the model restricted an account (Restriction.Reason).
const (
	ReasonLowAcceptance = "low_acceptance"
	ReasonMaxPending    = "max_pending"
)

// Restriction is one restriction the model imposed by its
// RestrictionRules (not those of Model.Restrict or Options.Refusals).
type Restriction struct {
	Account string
	// At is the time of the invitation that found a rule broken (and was
	// refused); the account is restricted from At until Until.
	At, Until time.Time
	// Reason is ReasonLowAcceptance or ReasonMaxPending.
	Reason string
	// Accepted of Window resolved invitations, and Pending, as the
	// invitation found them.
	Accepted, Window, Pending int
}

// judge is the account's record for the acceptance rule: the invitations
// not yet resolved, in arrival order, and the outcomes of the last Window
// resolved ones.
type judge struct {
	open []openInv // unresolved, from head on
	head int
	ring []bool // outcomes (accepted), a ring of Window; nil until the first
	pos  int    // next write in ring
	n    int    // outcomes held, up to Window
	acc  int    // accepted among them
}

// openInv is an invitation not yet resolved: pending in slab slot slot of
// generation gen (a different generation: answered, withdrawn or expired,
// and resolved then).
type openInv struct {
	sent int64
	slot int32
	gen  uint32
}

// opened adds an invitation the platform accepted (rules on).
func (m *Model) opened(a *acct, sent int64, slot int32) {
	a.judge.open = append(a.judge.open, openInv{sent: sent, slot: slot, gen: m.pend(slot).gen})
}

// age resolves, as not accepted, the account's invitations unanswered
// IgnoredAfter before now. Amortized O(1): each invitation leaves the
// queue once.
func (m *Model) age(a *acct, now int64) {
	j := &a.judge
	for j.head < len(j.open) && j.open[j.head].sent <= now-int64(IgnoredAfter) {
		o := j.open[j.head]
		j.head++
		if p := m.pend(o.slot); p.gen == o.gen && !p.resolved {
			p.resolved = true
			m.resolve(a, false)
		}
	}
	if j.head > 1024 && j.head > len(j.open)/2 {
		j.open = j.open[:copy(j.open, j.open[j.head:])]
		j.head = 0
	}
}

// settle resolves the invitation in slot p at time at (answered,
// withdrawn or expired), unless it was resolved as ignored before.
func (m *Model) settle(a *acct, p *pend, at int64, accepted bool) {
	m.age(a, at)
	if !p.resolved {
		p.resolved = true
		m.resolve(a, accepted)
	}
}

// resolve records one outcome in the account's window.
func (m *Model) resolve(a *acct, accepted bool) {
	j := &a.judge
	w := m.rules.Window
	if j.ring == nil {
		j.ring = make([]bool, w)
	}
	if j.n == w {
		if j.ring[j.pos] {
			j.acc--
		}
	} else {
		j.n++
	}
	j.ring[j.pos] = accepted
	if accepted {
		j.acc++
	}
	j.pos = (j.pos + 1) % w
}

// check applies the rules to an invitation at time at from an account not
// restricted then, and restricts it when one is broken. It reports whether
// it did.
func (m *Model) check(a *acct, at int64) bool {
	m.age(a, at)
	r, j := &m.rules, &a.judge
	var reason string
	switch {
	case r.MaxPending >= 0 && a.st.Pending > r.MaxPending:
		reason = ReasonMaxPending
	case r.MinAcceptance > 0 && j.n == r.Window && float64(j.acc) < r.MinAcceptance*float64(r.Window):
		reason = ReasonLowAcceptance
	default:
		return false
	}
	x := Restriction{Account: a.id, At: toTime(at), Reason: reason, Accepted: j.acc, Window: j.n, Pending: a.st.Pending}
	a.restricted = at + min(int64(r.Duration), math.MaxInt64-at)
	x.Until = toTime(a.restricted)
	a.st.Restrictions++
	j.n, j.acc, j.pos = 0, 0, 0
	if m.onRestrict != nil {
		m.onRestrict(x)
	}
	return true
}
