package daemon

import (
	"log/slog"

	"github.com/outreach-scheduler/outreach/ledger"
	"github.com/outreach-scheduler/outreach/wire"
)

// logCommand logs an operator's command the leading scheduler applied: the
// audit trail, with the ledger entry's ID.
func logCommand(log *slog.Logger, e ledger.Entry) {
	cmd := e.Command
	campaign := cmd.Campaign
	if campaign == "" {
		campaign = "(all)"
	}
	args := []any{"id", e.ID, "kind", string(cmd.Kind), "campaign", campaign, "at", cmd.At, "by", cmd.By, "reason", cmd.Reason}
	switch cmd.Kind {
	case wire.CommandRetry:
		args = append(args, "code", cmd.Code)
	case wire.CommandPause, wire.CommandResume:
		args = append(args, "account", cmd.Account, "source", cmd.Source)
		if !cmd.Until.IsZero() {
			args = append(args, "until", cmd.Until)
		}
	}
	log.Info("operator command applied", args...)
}
