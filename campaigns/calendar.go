package campaigns

import (
	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/pacing"
)

// Calendar returns the working time that applies to invitations of
// account a sent for a campaign with schedule s: the schedule's days, hours
// and time zone where it sets them, the account's otherwise (s may be nil).
// Hours set by the schedule without a time zone are read in the account's
// zone; a schedule's time zone without hours moves the account's hours into
// that zone.
func Calendar(a *config.Account, s *Schedule) pacing.Calendar {
	c := pacing.Calendar{Location: a.Location, Days: a.Days, Start: a.Hours.Start, End: a.Hours.End}
	if s == nil {
		return c
	}
	if s.Location != nil {
		c.Location = s.Location
	}
	if s.Days != 0 {
		c.Days = s.Days
	}
	if !s.Hours.IsZero() {
		c.Start, c.End = s.Hours.Start, s.Hours.End
	}
	return c
}
