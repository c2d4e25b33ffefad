package scheduler

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/outreach-scheduler/outreach/lifecycle"
	"github.com/outreach-scheduler/outreach/wire"
)

// Failure reasons. A failed prospect keeps why it failed: the platform's
// refusal code (invalid_profile, note_too_long, ...) or unknown_outcome (a
// task abandoned by the reconciler), so that `outreach status` counts the
// failed by reason and `outreach retry --reason CODE` puts those of one
// reason back in the queue once its cause is fixed.
const (
	// ReasonUnrecorded is the reason of a prospect that failed before the
	// reasons were kept (restored from a version-1 snapshot).
	ReasonUnrecorded = "unrecorded"
	// ReasonOther stands for every reason beyond the table's 255.
	ReasonOther = "other"
)

// reasonTable is an engine's table of failure reasons (and of skip
// reasons, the lifecycle.Skip* names, for `outreach export`), indexed by the
// prospect's uint8 (0: none), so that a prospect carries its reason in a
// byte. Reasons come from the platform (an integration may invent codes):
// beyond 255 distinct ones, the rest share ReasonOther.
type reasonTable struct {
	names []string // names[0] is "" (none)
	index map[string]uint8
}

// reason returns the index of a failure reason, adding it.
func (e *Engine) reason(name string) uint8 {
	t := &e.reasons
	if t.index == nil {
		t.names, t.index = []string{""}, map[string]uint8{"": 0}
	}
	if name == "" {
		name = ReasonUnrecorded
	}
	if i, ok := t.index[name]; ok {
		return i
	}
	if len(t.names) >= math.MaxUint8 {
		if i, ok := t.index[ReasonOther]; ok || len(t.names) > math.MaxUint8 {
			return i
		}
		name = ReasonOther
	}
	i := uint8(len(t.names))
	t.names = append(t.names, name)
	t.index[name] = i
	return i
}

// reasonName is the name of a prospect's failure reason.
func (e *Engine) reasonName(i uint8) string {
	if int(i) < len(e.reasons.names) && i > 0 {
		return e.reasons.names[i]
	}
	return ReasonUnrecorded
}

// Failed returns the campaign's failed prospects by reason, from their
// states (so it holds after a Restore). Empty for a campaign without
// failures or unknown.
func (e *Engine) Failed(campaign string) map[string]int {
	out := map[string]int{}
	for _, c := range e.camps {
		if c.c.Name != campaign {
			continue
		}
		for i := range c.ps {
			if p := &c.ps[i]; p.state == lifecycle.StateFailed {
				out[e.reasonName(p.reason)]++
			}
		}
	}
	return out
}

// FailureReasons lists the failure reasons of every campaign's failed
// prospects, sorted.
func (e *Engine) FailureReasons() []string {
	seen := map[string]bool{}
	for _, c := range e.camps {
		for i := range c.ps {
			if p := &c.ps[i]; p.state == lifecycle.StateFailed {
				seen[e.reasonName(p.reason)] = true
			}
		}
	}
	out := make([]string, 0, len(seen))
	for r := range seen {
		out = append(out, r)
	}
	slices.Sort(out)
	return out
}

// Command applies an operator's command recorded in the ledger, at its
// place in the history: the leading scheduler applies it as it reads the
// ledger, and every rebuild replays it once, where it stands (a snapshot
// taken after it holds its effect), so it is never applied twice. It
// returns how many prospects it changed.
//
// CommandRetry puts every prospect that failed with reason Code (in
// Campaign, or every campaign when empty; of Account's, when set) back in
// the queue it came from (its pinned sender's, the shared one, or, followed
// in a follow-first campaign, its sender's followed queue: it is not
// followed again), at the head (in their order), as a refused invitation
// is put back, under a new attempt: its next invitation
// has a new idempotency key (the old key's refusal is kept by the
// platform). A prospect removed from its campaign's file stays failed, as
// does one out of attempts (255).
func (e *Engine) Command(cmd wire.Command) (int, error) {
	switch cmd.Kind {
	case wire.CommandRetry:
		if cmd.Code == "" {
			return 0, fmt.Errorf("scheduler: retry command without a reason code")
		}
		n := 0
		for _, c := range e.camps {
			if cmd.Campaign == "" || c.c.Name == cmd.Campaign {
				n += e.retryFailed(c, cmd)
			}
		}
		return n, nil
	case wire.CommandPause, wire.CommandResume:
		// The audit trail of a pause: the engine learns the pauses in
		// force from SetHolds (they outlive the ledger's retention), not
		// by replaying their history.
		return 0, nil
	}
	return 0, fmt.Errorf("scheduler: unknown command %q", cmd.Kind)
}

func (e *Engine) retryFailed(c *campaign, cmd wire.Command) int {
	n := 0
	woken := map[*account]bool{}
	heads := map[*fifo][]int32{} // what goes back at the head of each queue
	for i := range c.ps {
		p := &c.ps[i]
		if p.state != lifecycle.StateFailed || e.reasonName(p.reason) != cmd.Code ||
			(cmd.Account != "" && (p.acct < 0 || e.accounts[p.acct].cfg.ID != cmd.Account)) ||
			p.attempt == math.MaxUint8 || c.src.Skip(i) != "" {
			continue
		}
		idx := int32(i)
		ref := Ref{Campaign: c.idx, Index: idx}
		e.transition(c, ref, lifecycle.EvRetried)
		p.reason, p.out = 0, false
		p.attempt++ // the refused key keeps its answer: the retry needs a new one
		c.left++
		c.done = time.Time{}
		n++
		k := -1
		if p.acct >= 0 {
			k = c.senderPos(e.accounts[p.acct])
		}
		switch {
		case c.follow != nil && p.at > 0 && k >= 0:
			// Followed before it failed: wait to be invited by the same
			// sender, as a refused invitation of a followed prospect does.
			e.transition(c, ref, lifecycle.EvFollowed)
			heads[&c.followed[k]] = append(heads[&c.followed[k]], idx)
			c.backlog[k]++
			woken[c.senders[k]] = true
		case p.pin >= 0:
			heads[&c.pinned[p.pin]] = append(heads[&c.pinned[p.pin]], idx)
			woken[c.senders[p.pin]] = true
		default:
			heads[&c.shared] = append(heads[&c.shared], idx)
			for _, a := range c.senders {
				woken[a] = true
			}
		}
	}
	for q, idxs := range heads {
		q.items = append(idxs, q.items[q.head:]...)
		q.head = 0
	}
	for _, a := range c.senders {
		if woken[a] {
			e.wake(a, cmd.At)
			if c.follow != nil {
				e.armFollow(a, cmd.At)
			}
		}
	}
	return n
}

// restoredReason is the engine's index of a restored failed prospect's
// reason: ri is 1 + an index in the snapshot's reasons, 0 none (a
// version-1 snapshot: ReasonUnrecorded).
func (e *Engine) restoredReason(reasons []string, ri int) uint8 {
	if ri <= 0 || ri > len(reasons) {
		return e.reason(ReasonUnrecorded)
	}
	return e.reason(reasons[ri-1])
}
