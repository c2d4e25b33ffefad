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
