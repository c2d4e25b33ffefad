package daemon

import (
	"context"
	"fmt"
	"time"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/ledger"
	"github.com/outreach-scheduler/outreach/scheduler"
	"github.com/outreach-scheduler/outreach/wire"
)

// Operator pauses, as the leader sees them.
//
// The pauses in force live in Redis beside the ledger (ledger/pause.go),
// every change recorded in the ledger too. Workers check them just before
// they act and hand a held task back; the leader reads them before every
// plan (refreshHolds), so that the engine plans nothing for what is
// paused, and ends the pauses whose time is up. The files' paused:
// settings are applied when the leader starts (SyncFilePauses).

// holdsOf turns the recorded pauses into the engine's view of them.
func holdsOf(ps []wire.Command) scheduler.Holds {
	h := scheduler.Holds{Campaigns: map[string]scheduler.Hold{}, Accounts: map[string]scheduler.Hold{}}
	for _, p := range ps {
		switch {
		case p.Campaign != "":
			h.Campaigns[p.Campaign] = scheduler.Hold{Until: p.Until}
		case p.Account != "":
			h.Accounts[p.Account] = scheduler.Hold{Until: p.Until, All: p.All}
		}
	}
	return h
}

// refreshHolds ends the pauses whose time is up, then hands the engine the
// pauses in force. On an error the engine keeps what it knew (the workers
// check the pauses themselves before acting).
func (p *Leader) refreshHolds(ctx context.Context) {
	now := p.opt.Now()
	ended, err := p.opt.Ledger.ExpirePauses(ctx, now)
	for _, c := range ended {
		p.opt.Logger.Info("pause ended", "campaign", c.Campaign, "account", c.Account, "until", c.Until)
	}
	if err != nil {
		p.opt.Logger.Warn("ending the pauses whose time is up", "err", err)
	}
	ps, err := p.opt.Ledger.Pauses(ctx)
	if err != nil {
		p.opt.Logger.Warn("reading the pauses; planning with the last ones read", "err", err)
		return
	}
	p.eng.SetHolds(holdsOf(ps), now)
}

// SyncFilePauses applies the paused: settings of the campaign files and of
// config.yaml's accounts (ledger.SyncFilePause: only a change of a file's
// setting since it was last applied counts).
func SyncFilePauses(ctx context.Context, led *ledger.Ledger, cfg *config.Config, camps []*campaigns.Campaign, now time.Time, by string) ([]wire.Command, error) {
	var changed []wire.Command
	sync := func(c wire.Command, paused bool) error {
		ok, err := led.SyncFilePause(ctx, c, paused)
		if ok {
			if paused {
				c.Kind = wire.CommandPause
			} else {
				c.Kind = wire.CommandResume
			}
			changed = append(changed, c)
		}
		return err
	}
	for _, c := range camps {
		if err := sync(wire.Command{At: now, Campaign: c.Name, By: by, Source: ledger.SourceFile, Reason: "paused: in " + c.Path}, c.Paused); err != nil {
			return changed, fmt.Errorf("applying paused: of campaign %s: %w", c.Name, err)
		}
	}
	if cfg != nil {
		for _, a := range cfg.Accounts {
			if err := sync(wire.Command{At: now, Account: a.ID, By: by, Source: ledger.SourceConfig, Reason: "paused: in config.yaml"}, a.Paused); err != nil {
				return changed, fmt.Errorf("applying paused: of account %s: %w", a.ID, err)
			}
		}
	}
	return changed, nil
}
