package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"

	"github.com/outreach-scheduler/outreach/app"
	"github.com/outreach-scheduler/outreach/install"
)

func newInitCmd(g *globals) *cobra.Command {
	var recoverFile string
	cmd := &cobra.Command{
		Use:   "init [--recover FILE]",
		Short: "Create the install marker in the shared Redis (optionally rebuilding the state from an export)",
		Long: `init writes the install marker (the key outreach:{install}) to the configured
Redis, which must not have one. The daemons need it when they start on a
Redis without a marker and the platform cannot list the invitations it
sent (a webhook integration without the optional "sent invitations"
request): they cannot tell a new Redis from one that lost its data, so
they refuse to start until you say which.

  outreach init                  the Redis is new (or holds outreach's state from
                                 before install markers, which is kept): start here
  outreach init --recover FILE   the Redis lost its data: first rebuild the ledger
                                 and the limiter from FILE, an export of the sent
                                 invitations

FILE is CSV with a header row, or JSONL (one object per line), with the
fields account, person, campaign, at (RFC 3339) and optionally key,
variant, note (true/false), answer (accepted, declined, withdrawn,
expired; empty while pending) and answered (RFC 3339). Every bad row is
printed as FILE:LINE: message and nothing is applied (exit 1).

A Redis whose maxmemory-policy is not noeviction is refused (exit 2).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			l, err := loadValid(g)
			if err != nil {
				return err
			}
			opt := app.InitOptions{Config: l.cfg, Now: g.now, Logger: serviceLogger(g, false)}
			if cmd.Flags().Changed("recover") {
				accounts := map[string]bool{}
				for _, a := range l.cfg.Accounts {
					accounts[a.ID] = true
				}
				camps := map[string]bool{}
				for _, c := range l.campaigns {
					camps[c.Name] = true
				}
				sent, fs, err := install.ReadExport(recoverFile, install.ExportOptions{Accounts: accounts, Campaigns: camps, Now: g.now()})
				if err != nil {
					return &exitError{code: ExitError, err: err}
				}
				printFindings(g.stdout, fs)
				if fs.HasErrors() {
					fmt.Fprintln(g.stdout, "nothing applied: fix the errors above first")
					return errInvalid
				}
				opt.Recover = sent
			}
			res, err := app.Init(cmd.Context(), opt)
			if errors.Is(err, install.ErrExists) {
				return &exitError{code: ExitError, err: fmt.Errorf("Redis at %s already has an install marker: %w", res.Addr, err)}
			}
			if err != nil {
				return &exitError{code: ExitError, err: err}
			}
			if opt.Recover != nil {
				fmt.Fprintf(g.stdout, "recovered from %s: %s\n", recoverFile, res.Summary)
			}
			fmt.Fprintf(g.stdout, "install %s created on Redis at %s (origin %s)", res.Marker.ID, res.Addr, res.Marker.Origin)
			if res.Ledger > 0 {
				fmt.Fprintf(g.stdout, "; the %d ledger entries already there are kept", res.Ledger)
			}
			fmt.Fprintln(g.stdout)
			return nil
		},
	}
	cmd.Flags().StringVar(&recoverFile, "recover", "", "rebuild the state from `FILE`, an export of the sent invitations (CSV or JSONL)")
	return cmd
}

// checkEviction refuses a Redis that may evict keys (exit 2), and warns on
// stderr when its policy cannot be read (managed Redis).
func checkEviction(ctx context.Context, g *globals, rdb redis.UniversalClient) error {
	err := install.CheckEviction(ctx, rdb)
	switch {
	case errors.Is(err, install.ErrConfigRefused):
		fmt.Fprintf(g.stderr, "outreach: warning: %v\n", err)
		return nil
	case err != nil:
		return &exitError{code: ExitError, err: err}
	}
	return nil
}
