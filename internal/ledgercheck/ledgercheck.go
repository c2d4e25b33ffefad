// Package ledgercheck derives invitation counts from the ledger alone,
// independently of the scheduler, as a referee for the tests of the
// durable statistics and the metrics.
package ledgercheck

import (
	"context"

	"github.com/outreach-scheduler/outreach/ledger"
	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/wire"
)

// Key groups the counts.
type Key struct{ Campaign, Account, Variant string }

// Counts are the invitations sent and accepted by Key: an invitation is a
// delivered invite outcome (once per idempotency key), an acceptance an
// accepted event for the account and person of an invitation still
// pending (a decline, expiry or withdrawal ends it).
func Counts(ctx context.Context, led *ledger.Ledger) (sent, accepted map[Key]int, err error) {
	sent, accepted = map[Key]int{}, map[Key]int{}
	pending := map[string]Key{} // account|person
	seen := map[string]bool{}
	last := "0"
	for {
		es, err := led.Read(ctx, last, 1000, 0)
		if err != nil {
			return nil, nil, err
		}
		if len(es) == 0 {
			return sent, accepted, nil
		}
		for _, e := range es {
			last = e.ID
			switch {
			case e.Task != nil && e.Outcome != nil:
				tk := e.Task
				ap := tk.Account + "|" + tk.Person
				switch {
				case tk.Kind == wire.KindInvite && e.Outcome.Kind == wire.Delivered && !seen[tk.Key]:
					seen[tk.Key] = true
					k := Key{tk.Campaign, tk.Account, tk.Variant}
					sent[k]++
					pending[ap] = k
				case tk.Kind == wire.KindWithdraw && e.Outcome.Kind == wire.Delivered:
					delete(pending, ap)
				}
			case e.Event != nil:
				ap := e.Event.Account + "|" + e.Event.Person
				k, ok := pending[ap]
				if !ok {
					continue
				}
				delete(pending, ap)
				if e.Event.Type == platform.EventAccepted {
					accepted[k]++
				}
			}
		}
	}
}
