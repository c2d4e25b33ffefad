package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/spf13/cobra"

	"github.com/outreach-scheduler/outreach/app"
	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/diag"
	"github.com/outreach-scheduler/outreach/internal/redisconn"
	"github.com/outreach-scheduler/outreach/prospects"
)

type forgetOptions struct {
	persons []string
	csv     string
	key     string
	verbose bool
}

func newForgetCmd(g *globals) *cobra.Command {
	var opt forgetOptions
	cmd := &cobra.Command{
		Use:   "forget (--person KEY ... | --csv FILE [--key COLUMN])",
		Short: "Erase people's data, keeping only a salted hash so that they are never contacted again",
		Long: `forget erases people from everything outreach keeps in the configured Redis:
their rows in every applied campaign (profile key and fields), the ledger
entries and the queued actions naming them (with their note texts). Only a
salted hash of each key is kept, so that a campaign CSV still listing them
is recognized: apply leaves them out ("N skipped: forgotten"), run skips
them with reason forgotten, and no action is ever performed for them.

Name the people with --person KEY (repeatable), or with --csv FILE: the
keys of the column --key (default profile_url), as in a campaign's
prospects. Keys are normalized like the campaign CSV's. Any problem in the
file is printed as FILE:LINE: message, nobody is forgotten, exit 1.

It prints what it removed, counts only (never the keys).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runForget(cmd, g, opt)
		},
	}
	cmd.Flags().StringArrayVar(&opt.persons, "person", nil, "the person's `KEY` (profile URL, ...) as in a campaign CSV; repeatable")
	cmd.Flags().StringVar(&opt.csv, "csv", "", "a CSV `FILE` of the people to forget")
	cmd.Flags().StringVar(&opt.key, "key", prospects.DefaultKey, "the key `COLUMN` of --csv")
	cmd.Flags().BoolVarP(&opt.verbose, "verbose", "v", false, "log at info level")
	return cmd
}

func runForget(cmd *cobra.Command, g *globals, opt forgetOptions) error {
	switch {
	case len(opt.persons) > 0 && opt.csv != "":
		return usageError("forget: give --person or --csv, not both")
	case len(opt.persons) == 0 && opt.csv == "":
		return usageError("forget: name the people with --person KEY or --csv FILE")
	case opt.csv == "" && cmd.Flags().Changed("key"):
		return usageError("forget: --key is the key column of --csv")
	}
	var keys []string
	for _, p := range opt.persons {
		if prospects.NormalizeKey(p) == "" {
			return usageError("forget: --person %q is empty", p)
		}
		keys = append(keys, p)
	}
	if opt.csv != "" {
		set, fs, err := prospects.LoadKeySet(opt.csv, prospects.Options{Key: opt.key})
		if err != nil {
			fs = diag.List{{File: opt.csv, Message: err.Error()}}
		} else if len(set) == 0 && !fs.HasErrors() {
			fs.Errorf(opt.csv, 0, "no key in column %q: nobody to forget", opt.key)
		}
		printFindings(g.stdout, fs)
		if err != nil || fs.HasErrors() {
			fmt.Fprintln(g.stdout, "nothing forgotten: fix the errors above first")
			return errInvalid
		}
		for k := range set {
			keys = append(keys, k)
		}
		slices.Sort(keys)
	}
	return forgetKeys(cmd.Context(), g, keys, opt.verbose)
}

func forgetKeys(ctx context.Context, g *globals, keys []string, verbose bool) error {
	cfg, fs, err := config.Load(g.configPath)
	if err != nil {
		return &exitError{code: ExitError, err: err}
	}
	if fs.HasErrors() {
		printFindings(g.stderr, fs)
		return &exitError{code: ExitError, err: errConfigInvalid}
	}
	conn, err := redisconn.Shared(cfg.Redis)
	if errors.Is(err, redisconn.ErrEmbedded) {
		fmt.Fprintln(g.stdout, "nothing to forget: redis.addr is empty, and the embedded Redis of `outreach run` keeps nothing after the process exits")
		return nil
	}
	if err != nil {
		return &exitError{code: ExitError, err: fmt.Errorf("forget: %w", err)}
	}
	defer conn.Close()
	if err := conn.Client.Ping(ctx).Err(); err != nil {
		return &exitError{code: ExitError, err: fmt.Errorf("forget: connecting to Redis: %w", err)}
	}
	res, err := app.Forget(ctx, keys, app.ForgetOptions{Redis: conn.Client, Asynq: conn.Asynq, Logger: serviceLogger(g, verbose)})
	if err != nil {
		return &exitError{code: ExitError, err: fmt.Errorf("%w (run forget again: it is idempotent)", err)}
	}
	fmt.Fprintf(g.stdout, "forgot %s (%d new): removed %s, %s, %s\n",
		count(res.People, "person", "people"), res.New,
		count(res.StoreRows+res.StaleRows, "store row", "store rows"),
		count(res.LedgerEntries, "ledger entry", "ledger entries"),
		count(res.QueuedTasks, "queued task", "queued tasks"))
	if res.InFlight > 0 {
		return &exitError{code: ExitError, err: fmt.Errorf("forget: %s naming them still in flight; their traces may remain: run forget again in a minute",
			count(res.InFlight, "action", "actions"))}
	}
	return nil
}

func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
