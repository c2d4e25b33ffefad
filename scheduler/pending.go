package scheduler

import (
	"time"

	"github.com/outreach-scheduler/outreach/lifecycle"
)

// HasAccount reports whether the engine plans for the account (it is in
// the configuration the engine was built with).
func (e *Engine) HasAccount(id string) bool { return e.byID[id] != nil }

// PendingInvitation is an invitation the engine holds as pending.
type PendingInvitation struct {
	Key      string // its idempotency key
	Account  string
	Campaign string
	Person   string // the person's key
	At       time.Time
}

// PendingInvitations returns every invitation pending in the engine's
// state, with the key it was sent under: what the events endpoint's index
// of sent invitations must hold (see ledger.BackfillSent). Like Plan, it
// must be called from the goroutine that owns the engine.
func (e *Engine) PendingInvitations() []PendingInvitation {
	var out []PendingInvitation
	for _, c := range e.camps {
		for i := range c.ps {
			p := &c.ps[i]
			if p.state != lifecycle.StateInvited || p.acct < 0 || int(p.acct) >= len(e.accounts) {
				continue
			}
			person := c.src.Key(i)
			out = append(out, PendingInvitation{
				Key: e.key(c, person, "connect", p.attempt), Account: e.accounts[p.acct].cfg.ID,
				Campaign: c.c.Name, Person: person, At: time.Unix(0, p.at).UTC(),
			})
		}
	}
	return out
}
