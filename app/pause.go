package app

import (
	"context"
	"errors"
	"os"
	"os/user"
	"time"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/internal/redisconn"
	"github.com/outreach-scheduler/outreach/ledger"
	schedulerdaemon "github.com/outreach-scheduler/outreach/scheduler/daemon"
	"github.com/outreach-scheduler/outreach/store"
	"github.com/outreach-scheduler/outreach/wire"
)

// Operator pauses (outreach pause|resume, paused: in the files).
//
// The pauses in force live in Redis beside the ledger (ledger/pause.go),
// every change recorded in the ledger too. Workers check them just before
// they act (worker.Deliverer.Pauses) and hand a held task back; the
// leading scheduler reads them before every plan (refreshHolds), so that
// the engine plans nothing for what is paused, and ends the pauses whose
// time is up (scheduler/daemon). The files' paused: settings are applied
// when the leader starts and by `outreach apply` (SyncFilePauses).

// Operator names who runs this process, user@host, for the audit trail.
func Operator() string {
	name := "unknown"
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown"
	}
	return name + "@" + host
}

// SyncFilePauses applies the paused: settings of the files
// (schedulerdaemon.SyncFilePauses) on the shared Redis of cfg, for
// `outreach apply`.
func SyncFilePauses(ctx context.Context, cfg *config.Config, camps []*campaigns.Campaign, now time.Time) ([]wire.Command, error) {
	c, err := redisconn.Shared(cfg.Redis)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return schedulerdaemon.SyncFilePauses(ctx, ledger.New(c.Client, ""), cfg, camps, now, Operator())
}

// ErrNotPaused is returned by Resume when nothing is paused.
var ErrNotPaused = errors.New("not paused")

// PauseResult is what Pause and Resume did.
type PauseResult struct {
	// Prev is the pause in force before: for Pause, the one already in
	// force (nothing changed); for Resume, the one it ended.
	Prev *wire.Command
}

// Pause records cmd (kind pause) on the shared Redis of cfg. When the same
// is paused already, nothing changes and Prev says by what.
func Pause(ctx context.Context, cfg *config.Config, cmd wire.Command) (PauseResult, error) {
	c, err := redisconn.Shared(cfg.Redis)
	if err != nil {
		return PauseResult{}, err
	}
	defer c.Close()
	prev, err := ledger.New(c.Client, "").Pause(ctx, cmd)
	return PauseResult{Prev: prev}, err
}

// Resume ends the pause cmd names on the shared Redis of cfg; ErrNotPaused
// when there is none.
func Resume(ctx context.Context, cfg *config.Config, cmd wire.Command) (PauseResult, error) {
	c, err := redisconn.Shared(cfg.Redis)
	if err != nil {
		return PauseResult{}, err
	}
	defer c.Close()
	prev, err := ledger.New(c.Client, "").Resume(ctx, cmd)
	if err == nil && prev == nil {
		return PauseResult{}, ErrNotPaused
	}
	return PauseResult{Prev: prev}, err
}

// AppliedCampaigns returns the names of the campaigns applied to the
// shared Redis of cfg.
func AppliedCampaigns(ctx context.Context, cfg *config.Config) ([]string, error) {
	c, err := redisconn.Shared(cfg.Redis)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return store.New(c.Client, "").Campaigns(ctx)
}
