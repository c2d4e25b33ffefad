package cli

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/outreach-scheduler/outreach/app"
	"github.com/outreach-scheduler/outreach/internal/redisconn"
	"github.com/outreach-scheduler/outreach/wire"
)

type retryOptions struct {
	addr    string
	reason  string
	comment string
	dryRun  bool
}

func newRetryCmd(g *globals) *cobra.Command {
	var opt retryOptions
	cmd := &cobra.Command{
		Use:   "retry --reason CODE [CAMPAIGN]",
		Short: "Put the prospects that failed with a reason back in the queue",
		Long: `retry puts the prospects that failed with reason CODE (in CAMPAIGN, or in
every campaign) back in the queue, once what made them fail is fixed: an
integration that refused or failed every request before this version told
them apart, profiles that were unavailable and came back, a note fixed in
the campaign file. ` + "`outreach status`" + ` lists the failed prospects by reason.

It rebuilds the state from the ledger (as status does), prints how many
prospects it will requeue, by campaign, then records the command in the
ledger with who ran it and --comment. The leading scheduler applies it when
it reads the ledger (within seconds): each prospect goes back to the queue
it came from and is invited under a new idempotency key. Recorded once, the
command is replayed by every rebuild at its place, never twice; prospects
that fail after it need another retry.

A reason no failed prospect has and outreach never gives (a typo), or an
unknown campaign, is invalid input (exit 1); a known reason with nothing to
retry records nothing (exit 0).`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRetry(cmd, g, opt, args)
		},
	}
	cmd.Flags().StringVar(&opt.reason, "reason", "", "the failure reason `CODE` of the prospects to retry (as `outreach status` shows it)")
	cmd.Flags().StringVar(&opt.comment, "comment", "", "why, for the ledger's audit trail (`TEXT`)")
	cmd.Flags().BoolVar(&opt.dryRun, "dry-run", false, "print what it would do, record nothing")
	addAddrFlag(cmd, &opt.addr)
	return cmd
}

func runRetry(cmd *cobra.Command, g *globals, opt retryOptions, args []string) error {
	code := strings.TrimSpace(opt.reason)
	if code == "" {
		return usageError("retry: name the failure reason with --reason CODE (outreach status lists them)")
	}
	l, err := loadValid(g)
	if err != nil {
		return err
	}
	if err := useRunning(cmd.Context(), g, l.cfg, opt.addr); err != nil {
		return err
	}
	campaign := ""
	if len(args) == 1 {
		campaign = args[0]
		var names []string
		for _, c := range l.campaigns {
			names = append(names, c.Name)
		}
		if !slices.Contains(names, campaign) {
			fmt.Fprintf(g.stdout, "unknown campaign %q (campaigns: %s): nothing retried\n", campaign, strings.Join(names, ", "))
			return errInvalid
		}
	}
	plan, err := app.PlanRetry(cmd.Context(), l.cfg, l.campaigns, code, campaign)
	if errors.Is(err, redisconn.ErrEmbedded) {
		return &exitError{code: ExitError, err: errors.New("retry: redis.addr is empty: the embedded Redis of `outreach run` keeps nothing after the process exits; retry works on the shared Redis of the daemons")}
	}
	if err != nil {
		return &exitError{code: ExitError, err: fmt.Errorf("retry: %w", err)}
	}
	where := "in every campaign"
	if campaign != "" {
		where = "in campaign " + campaign
	}
	if plan.Total == 0 {
		if !slices.Contains(app.KnownReasons, code) && plan.Reasons[code] == 0 {
			fmt.Fprintf(g.stdout, "unknown failure reason %q; %s: nothing retried\n", code, describeReasons(plan.Reasons))
			return errInvalid
		}
		fmt.Fprintf(g.stdout, "no prospect failed with reason %s %s (%s): nothing to retry\n", code, where, describeReasons(plan.Reasons))
		return nil
	}
	var parts []string
	for _, c := range plan.Campaigns {
		if c.Failed > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", c.Name, c.Failed))
		}
	}
	fmt.Fprintf(g.stdout, "retry %s: %s %s back to the queue (%s)\n", code, count(plan.Total, "failed prospect", "failed prospects"), where, strings.Join(parts, ", "))
	if opt.dryRun {
		fmt.Fprintln(g.stdout, "dry run: nothing recorded")
		return nil
	}
	c := wire.Command{Kind: wire.CommandRetry, At: g.now().UTC(), Campaign: campaign, Code: code, Reason: opt.comment, By: app.Operator()}
	id, err := app.Retry(cmd.Context(), l.cfg, c)
	if err != nil {
		return &exitError{code: ExitError, err: fmt.Errorf("retry: %w (nothing recorded; run it again)", err)}
	}
	fmt.Fprintf(g.stdout, "recorded as ledger entry %s: the leading scheduler puts them back in the queue when it reads it, each under a new idempotency key\n", id)
	return nil
}

// describeReasons says which failure reasons the failed prospects have.
func describeReasons(m map[string]int) string {
	if len(m) == 0 {
		return "no prospect has failed"
	}
	var parts []string
	for _, r := range sortedKeys(m) {
		parts = append(parts, fmt.Sprintf("%s %d", r, m[r]))
	}
	return "failed prospects by reason: " + strings.Join(parts, ", ")
}

func sortedKeys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func failedTotal(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// printFailed prints the failed prospects of each campaign by reason, and
// how to retry them; nothing when none failed.
func printFailed(out io.Writer, cs []app.CampaignStatus) {
	any := false
	for _, c := range cs {
		any = any || len(c.Failed) > 0
	}
	if !any {
		return
	}
	fmt.Fprintln(out)
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "CAMPAIGN\tFAILED BECAUSE\tPROSPECTS")
	for _, c := range cs {
		for _, r := range sortedKeys(c.Failed) {
			fmt.Fprintf(w, "%s\t%s\t%d\n", c.Name, r, c.Failed[r])
		}
	}
	w.Flush()
	fmt.Fprintln(out, "(outreach retry --reason CODE [CAMPAIGN] puts them back in the queue once the cause is fixed)")
}
