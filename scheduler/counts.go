package scheduler

import "github.com/outreach-scheduler/outreach/lifecycle"

// Counts returns what happened to the prospects of a campaign, from their
// states (so it holds after a Restore, which replays no events), and the
// same by sender account. Followed counts prospects followed and then
// invited too; Messaged counts message steps done (a step skipped because
// it did not render counts: the state does not tell the two apart).
func (e *Engine) Counts(campaign string) (lifecycle.Counts, map[string]lifecycle.Counts) {
	byAcct := map[string]lifecycle.Counts{}
	var total lifecycle.Counts
	for _, c := range e.camps {
		if c.c.Name != campaign {
			continue
		}
		for i := range c.ps {
			p := &c.ps[i]
			var n lifecycle.Counts
			switch p.state {
			case lifecycle.StateSkipped:
				n.Skipped = 1
			case lifecycle.StateFollowed:
				n.Followed = 1
			case lifecycle.StateInvited:
				n.Invited, n.Pending = 1, 1
			case lifecycle.StateAccepted, lifecycle.StateMessaged:
				n.Invited, n.Accepted = 1, 1
			case lifecycle.StateReplied:
				n.Invited, n.Accepted, n.Replied = 1, 1, 1
			case lifecycle.StateDeclined:
				n.Invited, n.Declined = 1, 1
			case lifecycle.StateWithdrawn:
				n.Invited, n.Withdrawn = 1, 1
			case lifecycle.StateExpired:
				n.Invited, n.Expired = 1, 1
			}
			n.Messaged = int(p.msgStep)
			if c.follow != nil && n.Invited == 1 {
				n.Followed = 1
			}
			if n == (lifecycle.Counts{}) {
				continue
			}
			total = total.Plus(n)
			if p.acct >= 0 {
				id := e.accounts[p.acct].cfg.ID
				byAcct[id] = byAcct[id].Plus(n)
			}
		}
	}
	return total, byAcct
}
