package scheduler

import (
	"iter"
	"time"

	"github.com/outreach-scheduler/outreach/lifecycle"
)

// ProspectState is one prospect as the engine knows it: what States
// yields, for `outreach export`.
type ProspectState struct {
	Ref   Ref    // the prospect's place in the engine (Ref.Index: in its campaign's source)
	Key   string // the person's normalized key
	State lifecycle.State
	// Account is the sender the prospect is assigned to, or the pinned
	// one before that; "" neither.
	Account string
	// Variant is the invitation's note variant ("blank" for none), from
	// the invitation on; "" before.
	Variant string
	// Invited is when the invitation was sent; zero before (and for a
	// failed prospect: failures happen before an invitation).
	Invited time.Time
	// Answered is when the invitation was accepted, declined, withdrawn or
	// expired, while no message step has come since (the engine keeps one
	// time for both); zero otherwise.
	Answered time.Time
	// MessageSteps is the number of message steps done (sent, or skipped
	// because they did not render).
	MessageSteps int
	// Reason is why a failed prospect failed (the platform's code, or
	// ReasonUnrecorded) or why a skipped one was skipped (a lifecycle.Skip*
	// name; "" when a snapshot written before skip reasons were kept
	// restored it).
	Reason string
}

// States yields the state of every prospect of campaign name, in the
// order of its source, without building a list: a million prospects cost
// nothing beyond the engine. Nothing for an unknown campaign. Like Plan,
// it must be called from the goroutine that owns the engine, and the
// engine must not change while the sequence runs.
func (e *Engine) States(name string) iter.Seq[ProspectState] {
	return func(yield func(ProspectState) bool) {
		var c *campaign
		for _, cp := range e.camps {
			if cp.c.Name == name {
				c = cp
			}
		}
		if c == nil {
			return
		}
		for i := range c.ps {
			p := &c.ps[i]
			s := ProspectState{Ref: Ref{Campaign: c.idx, Index: int32(i)}, Key: c.src.Key(i), State: p.state, MessageSteps: int(p.msgStep)}
			switch {
			case p.acct >= 0:
				s.Account = e.accounts[p.acct].cfg.ID
			case p.pin >= 0:
				s.Account = c.senders[p.pin].cfg.ID
			}
			if invited(p.state) {
				s.Variant = c.variants[p.variant]
				if p.at > 0 {
					s.Invited = time.Unix(0, p.at).UTC()
				}
				if p.state != lifecycle.StateInvited && p.msgStep == 0 && p.end > 0 {
					s.Answered = time.Unix(0, p.end).UTC()
				}
			}
			if p.state == lifecycle.StateFailed || p.state == lifecycle.StateSkipped {
				if p.reason > 0 || p.state == lifecycle.StateFailed {
					s.Reason = e.reasonName(p.reason)
				}
			}
			if !yield(s) {
				return
			}
		}
	}
}

// invited reports whether a prospect in state s was invited.
func invited(s lifecycle.State) bool {
	switch s {
	case lifecycle.StateInvited, lifecycle.StateAccepted, lifecycle.StateMessaged,
		lifecycle.StateDeclined, lifecycle.StateWithdrawn, lifecycle.StateExpired, lifecycle.StateReplied:
		return true
	}
	return false
}

// Lookup finds a campaign's prospect by the person's normalized key (as a
// replayed outcome names it): false when the campaign or the person is not
// the engine's. Like Plan, it must be called from the goroutine that owns
// the engine (an OnEvent callback is on it).
func (e *Engine) Lookup(campaign, person string) (Ref, bool) {
	return e.lookup(campaign, person)
}
