package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/internal/redisconn"
	"github.com/outreach-scheduler/outreach/ledger"
	"github.com/outreach-scheduler/outreach/platform/sandbox"
	"github.com/outreach-scheduler/outreach/scheduler"
	schedulerdaemon "github.com/outreach-scheduler/outreach/scheduler/daemon"
	"github.com/outreach-scheduler/outreach/wire"
)

// `outreach retry --reason CODE [CAMPAIGN]`: the operator fixed what made
// prospects fail (an integration that refused everything, profiles that
// came back) and puts them back in the queue. The command is a ledger
// entry (wire.Command), not a change to Redis state: the leading scheduler
// applies it when it reads the ledger that far, like any entry, and every
// rebuild replays it at the same place, once (a snapshot taken after it
// holds its effect). It applies to the prospects failed with CODE before
// it; those failing later stay failed until another retry.

// RetryCampaign is one campaign's share of a retry.
type RetryCampaign struct {
	Name   string
	Failed int // failed prospects with the reason: what the retry requeues
}

// RetryPlan is what a retry would do, from the state rebuilt now.
type RetryPlan struct {
	Code      string
	Campaigns []RetryCampaign // the campaigns named (all by default), in config order
	Total     int
	// Reasons counts the failed prospects of those campaigns by reason,
	// for the operator who mistyped the reason.
	Reasons map[string]int
	Ledger  int // ledger entries replayed
}

// PlanRetry rebuilds the state from the ledger, as `outreach status`
// does, and counts the prospects of campaign (every campaign when "")
// that a retry of code would put back in the queue.
func PlanRetry(ctx context.Context, cfg *config.Config, camps []*campaigns.Campaign, code, campaign string) (*RetryPlan, error) {
	c, err := redisconn.Shared(cfg.Redis)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	eng, err := scheduler.New(scheduler.Options{Config: cfg, Campaigns: camps, Seed: 1, ResponseCurve: sandbox.ResponseCurve(cfg)})
	if err != nil {
		return nil, err
	}
	rb, err := schedulerdaemon.RebuildWith(ctx, eng, ledger.New(c.Client, ""), schedulerdaemon.RebuildOptions{})
	if err != nil {
		return nil, fmt.Errorf("rebuilding the state from the ledger: %w", err)
	}
	plan := &RetryPlan{Code: code, Reasons: map[string]int{}, Ledger: rb.Entries}
	for _, cp := range camps {
		if campaign != "" && cp.Name != campaign {
			continue
		}
		failed := eng.Failed(cp.Name)
		for r, n := range failed {
			plan.Reasons[r] += n
		}
		plan.Campaigns = append(plan.Campaigns, RetryCampaign{Name: cp.Name, Failed: failed[code]})
		plan.Total += failed[code]
	}
	return plan, nil
}

// KnownReasons lists the failure reasons outreach itself gives: the
// platform's definite refusal codes that fail a prospect, unknown_outcome
// (a task the queue gave up on), and the reasons of the leader's table.
// An integration may answer other codes; those appear in `outreach status`.
var KnownReasons = []string{
	"note_too_long", "invalid_profile", "not_connected", "not_pending", "unknown_account", "invalid", "key_conflict",
	string(scheduler.CodeUnknownOutcome), scheduler.ReasonUnrecorded, scheduler.ReasonOther,
}

// Retry records a retry command in the ledger and returns its stream ID.
func Retry(ctx context.Context, cfg *config.Config, cmd wire.Command) (string, error) {
	if cmd.Kind != wire.CommandRetry || cmd.Code == "" {
		return "", errors.New("retry: a retry command with a reason code is needed")
	}
	c, err := redisconn.Shared(cfg.Redis)
	if err != nil {
		return "", err
	}
	defer c.Close()
	return ledger.New(c.Client, "").AppendCommand(ctx, cmd)
}
