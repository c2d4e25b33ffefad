package lifecycle

import "fmt"

// State is where one prospect of one campaign stands. Every prospect of an
// applied campaign is in exactly one state.
type State uint8

// States of the invitation lifecycle (docs/domain.md). Terminal states
// end the campaign's work on the prospect.
const (
	StateQueued    State = iota + 1 // waiting for its first step
	StateFollowed                   // followed; waiting out the follow step's wait
	StateInvited                    // invitation pending
	StateAccepted                   // connected; messages may follow
	StateMessaged                   // every message step sent (terminal)
	StateDeclined                   // declined the invitation (terminal; never invited again)
	StateWithdrawn                  // withdrawn by us (terminal for this campaign; the person cools down)
	StateExpired                    // cancelled by the platform after ~6 months (terminal; cools down)
	StateSkipped                    // never invited; the reason is one of the Skip* names (terminal)
	StateFailed                     // the platform refused for good; see the reason (terminal)
	// StateReplied: the person answered a message (or wrote after
	// accepting): no automated message follows (terminal). Added after
	// StateFailed, so the numbers of the older states, which snapshots
	// store, are unchanged.
	StateReplied
)

var stateNames = [...]string{
	StateQueued: "queued", StateFollowed: "followed", StateInvited: "invited",
	StateAccepted: "accepted", StateMessaged: "messaged", StateDeclined: "declined",
	StateWithdrawn: "withdrawn", StateExpired: "expired", StateSkipped: "skipped", StateFailed: "failed",
	StateReplied: "replied",
}

func (s State) String() string {
	if int(s) < len(stateNames) && stateNames[s] != "" {
		return stateNames[s]
	}
	return fmt.Sprintf("state(%d)", uint8(s))
}

// ParseState is the inverse of State.String.
func ParseState(name string) (State, bool) {
	for s, n := range stateNames {
		if n == name && n != "" {
			return State(s), true
		}
	}
	return 0, false
}

// Terminal reports whether nothing more happens to the prospect in its campaign.
func (s State) Terminal() bool {
	switch s {
	case StateMessaged, StateDeclined, StateWithdrawn, StateExpired, StateSkipped, StateFailed, StateReplied:
		return true
	}
	return false
}

// Skip reasons: why a prospect was never invited.
const (
	SkipExcluded       = "excluded"        // on the campaign's exclusion list
	SkipDuplicate      = "duplicate"       // the same key appears earlier in the CSV
	SkipAlreadyInvited = "already_invited" // invited or connected by this or (dedupe workspace) another account
	SkipDeclinedBefore = "declined_before" // declined an earlier invitation: never asked again
	SkipCooldown       = "cooldown"        // withdrawn or expired recently and the campaign was stopped before the cooldown ended
	SkipInvalid        = "invalid"         // a bad row, a bad pinned account, or no note fits
	SkipRemoved        = "removed"         // the prospect was removed from the campaign's CSV
	SkipForgotten      = "forgotten"       // the person was erased with `outreach forget`: never contacted again
)

// Why a replied event changes nothing (the scheduler's ReplySkip): it stays
// in the ledger, and is counted as a skipped entry with this reason.
const (
	// ReplyUnknownProspect: no prospect of a campaign is in conversation
	// with the person through the account (not a prospect, not invited by
	// that account, or not connected yet).
	ReplyUnknownProspect = "reply_unknown_prospect"
	// ReplyFinal: the prospect's campaign is over for it already (it
	// replied before, or declined, was withdrawn, expired, skipped or
	// failed).
	ReplyFinal = "reply_final"
)

// ReplySkipReasons are the reasons a reply is not applied, in a fixed
// order (label values of the skipped-entries metric).
var ReplySkipReasons = []string{ReplyUnknownProspect, ReplyFinal}

// Event is something that happens to a prospect.
type Event uint8

// Lifecycle events.
const (
	EvFollowed       Event = iota + 1 // the follow step was done
	EvInvited                         // the platform took the invitation
	EvAccepted                        // the person accepted
	EvDeclined                        // the person declined
	EvWithdrawn                       // we withdrew the pending invitation
	EvExpired                         // the platform cancelled the pending invitation
	EvMessaged                        // a message step was sent (not the last one)
	EvDone                            // the last message step was sent
	EvSkipped                         // the planner decided never to invite
	EvFailed                          // the platform refused for good
	EvRetried                         // an operator put a failed prospect back in the queue (`outreach retry`)
	EvMessageSkipped                  // a message step did not render (campaigns.MessageSkipReason): skipped, the next one follows
	EvReplied                         // the person replied: the message sequence ends
)

var eventNames = [...]string{
	EvFollowed: "followed", EvInvited: "invited", EvAccepted: "accepted", EvDeclined: "declined",
	EvWithdrawn: "withdrawn", EvExpired: "expired", EvMessaged: "messaged", EvDone: "messaged",
	EvSkipped: "skipped", EvFailed: "failed", EvRetried: "retried", EvMessageSkipped: "message_skipped",
	EvReplied: "replied",
}

func (e Event) String() string {
	if int(e) < len(eventNames) && eventNames[e] != "" {
		return eventNames[e]
	}
	return fmt.Sprintf("event(%d)", uint8(e))
}

// transitions is the whole state machine: from -> event -> to.
var transitions = map[State]map[Event]State{
	StateQueued: {
		EvFollowed: StateFollowed, EvInvited: StateInvited,
		EvSkipped: StateSkipped, EvFailed: StateFailed,
	},
	StateFollowed: {
		EvInvited: StateInvited, EvSkipped: StateSkipped, EvFailed: StateFailed,
	},
	StateInvited: {
		EvAccepted: StateAccepted, EvDeclined: StateDeclined,
		EvWithdrawn: StateWithdrawn, EvExpired: StateExpired,
	},
	StateAccepted: {
		EvMessaged: StateAccepted, EvMessageSkipped: StateAccepted, EvDone: StateMessaged, EvFailed: StateFailed,
		EvReplied: StateReplied,
	},
	// A reply after the last message step is a reply all the same: the
	// conversation the sequence wanted (and the reply rate counts it).
	StateMessaged: {
		EvReplied: StateReplied,
	},
	// Failed is terminal for the planner; only an operator's retry
	// command reopens it.
	StateFailed: {
		EvRetried: StateQueued,
	},
}

// ErrTransition is returned for an event that cannot happen in a state.
type ErrTransition struct {
	From  State
	Event Event
}

func (e *ErrTransition) Error() string {
	return fmt.Sprintf("lifecycle: %s cannot happen to a prospect in state %s", e.Event, e.From)
}

// Next returns the state after event happens in state from. Events that
// cannot happen there are errors, so a bug or a replayed platform event never
// moves a prospect backwards (an acceptance after a withdrawal, say).
func Next(from State, ev Event) (State, error) {
	if to, ok := transitions[from][ev]; ok {
		return to, nil
	}
	return from, &ErrTransition{From: from, Event: ev}
}
