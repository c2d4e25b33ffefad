package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/outreach-scheduler/outreach/app"
	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/internal/redisconn"
	"github.com/outreach-scheduler/outreach/ledger"
	"github.com/outreach-scheduler/outreach/store"
)

func newApplyCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "apply [CAMPAIGN.yaml ...]",
		Short: "Validate campaigns and store them in the shared Redis for the daemons",
		Long: `apply loads and validates the campaigns (by default the config's campaigns
globs) like validate, and when none has an error stores each one, with its
prospects, in the configured Redis, where the scheduler and worker daemons
read them. It prints "campaign NAME: N added, M kept, K removed" (or
"unchanged") per campaign. Applying a campaign again adds its new
prospects, keeps the others (their progress is untouched) and marks the
ones no longer in the CSV as removed. Each campaign is switched atomically:
a failure leaves its previous version in place.

Any error in any file: findings are printed, nothing is applied, exit 1.
It needs a shared Redis (redis.addr, cluster_addrs or sentinel): the
embedded one lives only inside 'outreach run'.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runApply(cmd.Context(), g, args)
		},
	}
}

func runApply(ctx context.Context, g *globals, files []string) error {
	l, err := loadAll(g.configPath, files)
	if err != nil {
		return err
	}
	all := l.findings
	hints := make(map[*campaigns.Campaign]int, len(l.campaigns))
	for _, c := range l.campaigns {
		if l.broken[c] {
			continue // its errors are in l.findings
		}
		sum, fs, err := campaigns.Check(c, l.cfg, campaigns.CheckOptions{}, nil)
		if err != nil {
			return &exitError{code: ExitError, err: err}
		}
		all.Add(fs...)
		hints[c] = sum.Prospects
	}
	printFindings(g.stdout, all)
	if all.HasErrors() {
		fmt.Fprintln(g.stdout, "nothing applied: fix the errors above first")
		return errInvalid
	}
	if len(l.campaigns) == 0 {
		return &exitError{code: ExitError, err: errors.New("apply: no campaign files (name them, or set campaigns in the config)")}
	}

	conn, err := redisconn.Shared(l.cfg.Redis)
	if err != nil {
		return &exitError{code: ExitError, err: fmt.Errorf("apply: %w", err)}
	}
	defer conn.Close()
	rdb := conn.Client
	if err := rdb.Ping(ctx).Err(); err != nil {
		return &exitError{code: ExitError, err: fmt.Errorf("apply: connecting to Redis: %w", err)}
	}
	if err := checkEviction(ctx, g, rdb); err != nil {
		return err
	}
	st := store.New(rdb, "")
	changed := false
	defer func() {
		// The leading scheduler rebuilds its state on the new rows.
		if changed {
			if _, err := ledger.New(rdb, "").BumpEpoch(context.WithoutCancel(ctx)); err != nil {
				fmt.Fprintf(g.stderr, "apply: %v (the scheduler picks the change up at its next restart)\n", err)
			}
		}
	}()
	for _, c := range l.campaigns {
		rows, estimate, err := store.CSVRows(c)
		if err != nil {
			return &exitError{code: ExitError, err: err}
		}
		hint := hints[c]
		if hint == 0 {
			hint = estimate
		}
		res, err := st.Apply(ctx, c, rows, store.ApplyOptions{SizeHint: hint})
		if err != nil {
			// Campaigns before this one are applied; this one is as it was.
			return &exitError{code: ExitError, err: err}
		}
		changed = changed || !res.Unchanged
		fmt.Fprintf(g.stdout, "campaign %s: %s\n", c.Name, res)
	}
	// paused: in the files, where it changed since last applied (the later
	// of a file and the command line wins).
	synced, err := app.SyncFilePauses(ctx, l.cfg, l.campaigns, g.now().UTC())
	for _, c := range synced {
		what := "campaign " + c.Campaign
		if c.Account != "" {
			what = "account " + c.Account
		}
		fmt.Fprintf(g.stdout, "%s: %sd (paused: in %s)\n", what, c.Kind, c.Source)
	}
	if err != nil {
		return &exitError{code: ExitError, err: fmt.Errorf("apply: %w (the campaigns are applied; run it again to apply paused:)", err)}
	}
	return nil
}
