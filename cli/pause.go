package cli

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/outreach-scheduler/outreach/app"
	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/internal/redisconn"
	"github.com/outreach-scheduler/outreach/ledger"
	"github.com/outreach-scheduler/outreach/wire"
)

type pauseOptions struct {
	addr   string
	reason string
	until  string
	dur    string
	all    bool
}

func newPauseCmd(g *globals) *cobra.Command {
	var opt pauseOptions
	cmd := &cobra.Command{
		Use:   "pause campaign NAME | pause account ID [--until TIME|--for DURATION] [--all] [--reason TEXT]",
		Short: "Pause a campaign or an account now, on every worker, until resumed",
		Long: `pause stops a campaign or an account at once, on every worker: an action
already queued is not performed (the worker checks the pauses just before
it acts and hands the action back to the planner), and the planner plans
nothing more for it. Nothing is lost or skipped: on resume the planner
continues where it stopped, within the caps, at the account's usual pace
(no burst to catch up).

While paused, withdrawals of stale invitations and the recording of the
platform's events go on; --all holds an account's withdrawals too (the
platform's events are always recorded: they are facts, not actions).

An account's pause may end by itself: --until TIME (a date YYYY-MM-DD,
midnight UTC, or an RFC 3339 time) or --for DURATION (2h, 3d); so may a
campaign's. Every pause and resume is recorded in the ledger with who ran
it, from which host, and --reason.

An unknown campaign or account is invalid input (exit 1, with the known
names); pausing what is already paused says so and changes nothing (exit
0); a --until in the past is a usage error (exit 2). It works on the
shared Redis of the daemons, or, with redis.addr empty, on the embedded
Redis of the outreach run running beside the config (for as long as it
runs: it keeps nothing after it exits; paused: in the files lasts).`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPause(cmd, g, opt, args[0], args[1], true)
		},
	}
	cmd.Flags().StringVar(&opt.reason, "reason", "", "why, for the ledger's audit trail and `outreach status` (`TEXT`)")
	cmd.Flags().StringVar(&opt.until, "until", "", "end the pause at `TIME` (YYYY-MM-DD, midnight UTC, or RFC 3339)")
	cmd.Flags().StringVar(&opt.dur, "for", "", "end the pause after `DURATION` (e.g. 2h, 3d)")
	cmd.Flags().BoolVar(&opt.all, "all", false, "accounts: hold the withdrawals of stale invitations too")
	addAddrFlag(cmd, &opt.addr)
	return cmd
}

func newResumeCmd(g *globals) *cobra.Command {
	var opt pauseOptions
	cmd := &cobra.Command{
		Use:   "resume campaign NAME | resume account ID",
		Short: "End the pause of a campaign or an account",
		Long: `resume ends a pause, whoever set it (outreach pause, or paused: in a file):
the planner plans again at once, within the caps and the account's usual
pace. Resuming what is not paused says so and changes nothing (exit 0).`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPause(cmd, g, opt, args[0], args[1], false)
		},
	}
	cmd.Flags().StringVar(&opt.reason, "reason", "", "why, for the ledger's audit trail (`TEXT`)")
	addAddrFlag(cmd, &opt.addr)
	return cmd
}

func runPause(cmd *cobra.Command, g *globals, opt pauseOptions, scope, name string, pause bool) error {
	verb := "pause"
	if !pause {
		verb = "resume"
	}
	if scope != ledger.ScopeCampaign && scope != ledger.ScopeAccount {
		return usageError("%s: want `%s campaign NAME` or `%s account ID`, got %q", verb, verb, verb, scope)
	}
	now := g.now().UTC()
	c := wire.Command{At: now, Reason: opt.reason, By: app.Operator(), Source: ledger.SourceCommand, All: opt.all}
	if pause {
		until, err := pauseUntil(opt, now)
		if err != nil {
			return err
		}
		c.Until = until
		if opt.all && scope == ledger.ScopeCampaign {
			return usageError("pause: --all is for accounts (a campaign's pause never holds withdrawals)")
		}
	}
	cfg, _, err := config.Load(g.configPath)
	if err != nil {
		return &exitError{code: ExitError, err: err}
	}
	if err := useRunning(cmd.Context(), g, cfg, opt.addr); err != nil {
		return err
	}
	known, err := knownNames(cmd, g, cfg, scope)
	if err != nil {
		return err
	}
	if !slices.Contains(known, name) {
		fmt.Fprintf(g.stdout, "unknown %s %q (%ss: %s): nothing changed\n", scope, name, scope, strings.Join(known, ", "))
		return errInvalid
	}
	if scope == ledger.ScopeCampaign {
		c.Campaign = name
	} else {
		c.Account = name
	}
	what := scope + " " + name
	var res app.PauseResult
	if pause {
		res, err = app.Pause(cmd.Context(), cfg, c)
	} else {
		res, err = app.Resume(cmd.Context(), cfg, c)
	}
	switch {
	case errors.Is(err, app.ErrNotPaused):
		fmt.Fprintf(g.stdout, "%s is not paused: nothing changed\n", what)
		return nil
	case err != nil:
		return &exitError{code: ExitError, err: fmt.Errorf("%s: %w (nothing changed; run it again)", verb, err)}
	case pause && res.Prev != nil:
		fmt.Fprintf(g.stdout, "%s is already paused (%s): nothing changed\n", what, describePause(*res.Prev))
		return nil
	case pause:
		fmt.Fprintf(g.stdout, "paused %s (%s): workers hold its actions from now on\n", what, describePause(c))
	default:
		fmt.Fprintf(g.stdout, "resumed %s (paused %s): the planner continues where it stopped\n", what, describePause(*res.Prev))
	}
	return nil
}

// pauseUntil reads --until or --for.
func pauseUntil(opt pauseOptions, now time.Time) (time.Time, error) {
	switch {
	case opt.until != "" && opt.dur != "":
		return time.Time{}, usageError("pause: --until and --for both say when the pause ends: give one")
	case opt.dur != "":
		d, err := config.ParseDuration(opt.dur)
		if err != nil || d <= 0 {
			return time.Time{}, usageError("pause: --for %q: want a positive duration such as 30m, 2h or 3d", opt.dur)
		}
		return now.Add(d), nil
	case opt.until != "":
		t, err := parseTime(opt.until)
		if err != nil {
			return time.Time{}, usageError("pause: --until %q: want a date YYYY-MM-DD (midnight UTC) or an RFC 3339 time such as 2026-12-01T09:00:00Z", opt.until)
		}
		if !t.After(now) {
			return time.Time{}, usageError("pause: --until %s is not in the future (now %s)", t.Format(time.RFC3339), now.Format(time.RFC3339))
		}
		return t, nil
	}
	return time.Time{}, nil
}

// parseTime reads a date (midnight UTC) or an RFC 3339 time.
func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Parse(time.RFC3339, s)
}

// knownNames are the accounts of the config, or the campaigns of the
// config's files and those applied to the shared Redis.
func knownNames(cmd *cobra.Command, g *globals, cfg *config.Config, scope string) ([]string, error) {
	if scope == ledger.ScopeAccount {
		return cfg.AccountIDs(), nil
	}
	var names []string
	l, err := loadAll(g.configPath, nil)
	if err == nil {
		for _, c := range l.campaigns {
			names = append(names, c.Name)
		}
	}
	applied, err := app.AppliedCampaigns(cmd.Context(), cfg)
	if err != nil && !errors.Is(err, redisconn.ErrEmbedded) {
		return nil, &exitError{code: ExitError, err: fmt.Errorf("reading the applied campaigns: %w", err)}
	}
	for _, n := range applied {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names, nil
}

// describePause says since when, until when, why and by what.
func describePause(c wire.Command) string {
	s := "since " + c.At.UTC().Format("2006-01-02 15:04 MST")
	if !c.Until.IsZero() {
		s += ", until " + c.Until.UTC().Format("2006-01-02 15:04 MST")
	}
	if c.All {
		s += ", withdrawals too"
	}
	by := c.Source
	if c.By != "" {
		by += " by " + c.By
	}
	if by != "" {
		s += ", " + by
	}
	if c.Reason != "" {
		s += ": " + fmt.Sprintf("%q", c.Reason)
	}
	return s
}
