package scheduler

import "github.com/outreach-scheduler/outreach/campaigns"

// Counts returns what happened to the prospects of a campaign, from their
// states (so it holds after a Restore, which replays no events), and the
// same by sender account. Followed counts prospects followed and then
// invited too; Messaged counts message steps done (a step skipped because
// it did not render counts: the state does not tell the two apart).
func (e *Engine) Counts(campaign string) (campaigns.Counts, map[string]campaigns.Counts) {
	byAcct := map[string]campaigns.Counts{}
	var total campaigns.Counts
	for _, c := range e.camps {
		if c.c.Name != campaign {
			continue
		}
		for i := range c.ps {
			p := &c.ps[i]
			var n campaigns.Counts
			switch p.state {
			case campaigns.StateSkipped:
				n.Skipped = 1
			case campaigns.StateFollowed:
				n.Followed = 1
			case campaigns.StateInvited:
				n.Invited, n.Pending = 1, 1
			case campaigns.StateAccepted, campaigns.StateMessaged:
				n.Invited, n.Accepted = 1, 1
			case campaigns.StateDeclined:
				n.Invited, n.Declined = 1, 1
			case campaigns.StateWithdrawn:
				n.Invited, n.Withdrawn = 1, 1
			case campaigns.StateExpired:
				n.Invited, n.Expired = 1, 1
			}
			n.Messaged = int(p.msgStep)
			if c.follow != nil && n.Invited == 1 {
				n.Followed = 1
			}
			if n == (campaigns.Counts{}) {
				continue
			}
			total = AddCounts(total, n)
			if p.acct >= 0 {
				id := e.accounts[p.acct].cfg.ID
				byAcct[id] = AddCounts(byAcct[id], n)
			}
		}
	}
	return total, byAcct
}

// AddCounts returns the sum of two counts.
func AddCounts(a, b campaigns.Counts) campaigns.Counts {
	a.Followed += b.Followed
	a.Invited += b.Invited
	a.Accepted += b.Accepted
	a.Declined += b.Declined
	a.Pending += b.Pending
	a.Withdrawn += b.Withdrawn
	a.Expired += b.Expired
	a.Messaged += b.Messaged
	a.Skipped += b.Skipped
	return a
}
