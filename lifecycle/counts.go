package lifecycle

// Counts are lifecycle totals.
type Counts struct {
	Followed  int `json:"followed"`
	Invited   int `json:"invited"`
	Accepted  int `json:"accepted"`
	Declined  int `json:"declined"`
	Pending   int `json:"pending"` // invited, not answered, withdrawn nor expired (at the end)
	Withdrawn int `json:"withdrawn"`
	Expired   int `json:"expired"`
	Messaged  int `json:"messaged"`
	Replied   int `json:"replied"` // answered a message (or wrote after accepting): no message followed
	Skipped   int `json:"skipped"`
}

// AcceptanceRate is accepted / invited (0 when nothing was invited).
func (c Counts) AcceptanceRate() float64 {
	if c.Invited == 0 {
		return 0
	}
	return float64(c.Accepted) / float64(c.Invited)
}

// Plus returns the sum of c and o, field by field.
func (c Counts) Plus(o Counts) Counts {
	c.Followed += o.Followed
	c.Invited += o.Invited
	c.Accepted += o.Accepted
	c.Declined += o.Declined
	c.Pending += o.Pending
	c.Withdrawn += o.Withdrawn
	c.Expired += o.Expired
	c.Messaged += o.Messaged
	c.Replied += o.Replied
	c.Skipped += o.Skipped
	return c
}

// Add counts one lifecycle event.
func (c *Counts) Add(ev Event) {
	switch ev {
	case EvFollowed:
		c.Followed++
	case EvInvited:
		c.Invited++
		c.Pending++
	case EvAccepted:
		c.Accepted++
		c.Pending--
	case EvDeclined:
		c.Declined++
		c.Pending--
	case EvWithdrawn:
		c.Withdrawn++
		c.Pending--
	case EvExpired:
		c.Expired++
		c.Pending--
	case EvMessaged:
		c.Messaged++
	case EvReplied:
		c.Replied++
	case EvSkipped:
		c.Skipped++
	}
}
