package daemon

import (
	"context"
	"log/slog"

	"github.com/outreach-scheduler/outreach/ledger"
	"github.com/outreach-scheduler/outreach/scheduler"
)

// backfillSent puts the pending invitations of the leader's state into
// the index of sent invitations where they are missing (sent before the
// index existed, or an entry lost), so that their answers are taken.
func backfillSent(ctx context.Context, eng *scheduler.Engine, led *ledger.Ledger, log *slog.Logger) {
	pend := eng.PendingInvitations()
	sent := make([]ledger.SentInvitation, len(pend))
	for i, p := range pend {
		sent[i] = ledger.SentInvitation{Key: p.Key, Account: p.Account, Person: p.Person, At: p.At}
	}
	n, err := led.BackfillSent(ctx, sent)
	switch {
	case err != nil:
		log.Warn("backfilling the index of sent invitations; their answers may be refused until the next leader start", "err", err)
	case n > 0:
		log.Info("pending invitations added to the index of sent invitations", "added", n, "pending", len(pend))
	}
}

// countSkipped counts what a rebuild skipped.
func (p *Leader) countSkipped(rb Rebuilt) {
	for reason, n := range rb.Ignored {
		p.opt.Refusals.Skipped(reason, n)
	}
	p.opt.Refusals.Skipped("bad_entry", rb.Skipped)
}
