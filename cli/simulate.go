package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/diag"
	"github.com/outreach-scheduler/outreach/sim"
)

// maxSimDays bounds --days: ten years of virtual time.
const maxSimDays = 3660

type simulateOptions struct {
	days  int
	seed  int64
	start string
	json  bool
}

// runSim is the simulator; tests replace it to check the output without
// a simulation.
var runSim = sim.Run

func newSimulateCmd(g *globals) *cobra.Command {
	var opt simulateOptions
	cmd := &cobra.Command{
		Use:   "simulate [CAMPAIGN.yaml ...] --days N [--seed S] [--start DATE|RFC3339] [--json]",
		Short: "Forecast campaigns on a virtual clock against the sandbox platform model",
		Long: `simulate runs the real planner, pacing and lifecycle on a virtual clock
against the sandbox platform model (platform.sandbox in the config: accept
and decline rates, per-variant rates) and prints a forecast: per account and
per campaign, invitations sent, accepted, declined, pending and withdrawn,
and when each campaign runs out of prospects. Months run in seconds.

The campaigns are the files named, or the config's campaigns globs. They
are checked as validate checks them: on any error the findings are printed
to stderr and simulate exits 1 without running. Warnings go to stderr.

--start is the virtual start: a date YYYY-MM-DD (midnight UTC) or an RFC
3339 time (default: now, to the minute); --seed
seeds the planner's randomness and the platform model, so a run is
reproducible. --json prints one event per line instead (times in whole
seconds, UTC):
{"t","event","campaign","account","prospect","variant","chars","reason"},
event one of followed invited accepted declined withdrawn expired messaged
message_skipped (reason missing_field: the message did not render, the
next one follows) skipped, then a last line {"event":"summary","start","end","seed",
"accounts":[...],"campaigns":[...]}.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSimulate(cmd.Context(), g, opt, cmd.Flags().Changed("days"), args)
		},
	}
	cmd.Flags().IntVar(&opt.days, "days", 0, "simulate `N` days (required)")
	cmd.Flags().Int64Var(&opt.seed, "seed", 1, "seed `S` of the simulation's randomness")
	cmd.Flags().StringVar(&opt.start, "start", "", "virtual start `time`: YYYY-MM-DD (midnight UTC) or RFC 3339 (default now, to the minute)")
	cmd.Flags().BoolVar(&opt.json, "json", false, "one JSON event per line, then a summary line")
	return cmd
}

func runSimulate(ctx context.Context, g *globals, opt simulateOptions, daysSet bool, files []string) error {
	switch {
	case !daysSet:
		return usageError("--days N is required: how many days to simulate")
	case opt.days < 1 || opt.days > maxSimDays:
		return usageError("--days must be 1 to %d, got %d", maxSimDays, opt.days)
	}
	start := g.now().Truncate(time.Minute)
	if opt.start != "" {
		t, err := parseStart(opt.start)
		if err != nil {
			return usageError("--start %q: want a date YYYY-MM-DD (midnight UTC) or an RFC 3339 time such as 2026-11-23T09:00:00Z", opt.start)
		}
		start = t
	}

	l, err := loadAll(g.configPath, files)
	if err != nil {
		return err
	}
	all := l.findings
	for _, c := range l.campaigns {
		if l.broken[c] {
			continue
		}
		_, fs, err := campaigns.Check(c, l.cfg, campaigns.CheckOptions{}, nil)
		if err != nil {
			return &exitError{code: ExitError, err: err}
		}
		all.Add(fs...)
	}
	printFindings(g.stderr, all) // warnings only, unless there are errors
	if all.HasErrors() {
		fmt.Fprintf(g.stderr, "%d errors: fix them before simulating (outreach validate lists them too)\n", all.Count(diag.Error))
		return errInvalid
	}
	if len(l.campaigns) == 0 {
		return usageError("no campaigns to simulate: name campaign files, or list them under campaigns in %s", g.configPath)
	}

	o := sim.Options{Config: l.cfg, Campaigns: l.campaigns, Start: start, Days: opt.days, Seed: opt.seed}
	var enc *json.Encoder
	var encErr error
	if opt.json {
		enc = json.NewEncoder(g.stdout)
		enc.SetEscapeHTML(false)
		o.OnEvent = func(ev sim.Event) {
			if encErr == nil {
				ev.T = wholeSecond(ev.T)
				encErr = enc.Encode(ev)
			}
		}
	}
	res, err := runSim(ctx, o)
	if err == nil {
		err = encErr
	}
	if err != nil {
		return &exitError{code: ExitError, err: fmt.Errorf("simulate: %w", err)}
	}
	if opt.json {
		err = enc.Encode(newSimSummary(res, opt.seed))
	} else {
		err = printForecast(g.stdout, res, opt, start.Location())
		printPaused(g.stdout, l.cfg, l.campaigns)
	}
	if err != nil {
		return &exitError{code: ExitError, err: err}
	}
	return nil
}

// simSummary is the last line of simulate --json.
type simSummary struct {
	Event     string               `json:"event"` // "summary"
	Start     time.Time            `json:"start"`
	End       time.Time            `json:"end"`
	Seed      int64                `json:"seed"`
	Accounts  []sim.AccountResult  `json:"accounts"`
	Campaigns []sim.CampaignResult `json:"campaigns"`
}

// Its times are whole seconds in UTC, as are the events'.
func newSimSummary(res *sim.Result, seed int64) simSummary {
	s := simSummary{Event: "summary", Start: wholeSecond(res.Start), End: wholeSecond(res.End), Seed: seed,
		Accounts: res.Accounts, Campaigns: make([]sim.CampaignResult, len(res.Campaigns))}
	if s.Accounts == nil {
		s.Accounts = []sim.AccountResult{}
	}
	for i, c := range res.Campaigns {
		c.Completed = wholeSecond(c.Completed)
		s.Campaigns[i] = c
	}
	return s
}

// wholeSecond is t in UTC, cut to the second: every time simulate --json
// prints (the zero time stays zero).
func wholeSecond(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Second)
}

// parseStart parses --start: a date YYYY-MM-DD is midnight UTC; otherwise
// an RFC 3339 time, cut to the second (the --json times are whole
// seconds).
func parseStart(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, err
	}
	return t.Truncate(time.Second), nil
}

// printForecast writes the forecast as two tables, dates in loc (the
// start's zone).
func printForecast(w io.Writer, res *sim.Result, opt simulateOptions, loc *time.Location) error {
	const stamp = "Mon 2006-01-02 15:04 MST"
	start, end := res.Start.In(loc), res.End.In(loc)
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintf(tw, "Forecast %s to %s (%d days), seed %d\n\n", start.Format(stamp), end.Format(stamp), opt.days, opt.seed)
	fmt.Fprintln(tw, "ACCOUNT\tINVITED\tACCEPTED\tACCEPT%\tDECLINED\tPENDING\tWITHDRAWN")
	var total sim.Counts
	for _, a := range res.Accounts {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%d\t%d\t%d\n", a.ID, a.Invited, a.Accepted, percent(a.Counts), a.Declined, a.Pending, a.Withdrawn)
		addCounts(&total, a.Counts)
	}
	if len(res.Accounts) > 1 {
		fmt.Fprintf(tw, "total\t%d\t%d\t%s\t%d\t%d\t%d\n", total.Invited, total.Accepted, percent(total), total.Declined, total.Pending, total.Withdrawn)
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "CAMPAIGN\tPROSPECTS\tINVITED\tACCEPTED\tACCEPT%\tPENDING\tWITHDRAWN\tSKIPPED\tCOMPLETED")
	for _, c := range res.Campaigns {
		done := "after " + end.Format(time.DateOnly)
		if !c.Completed.IsZero() {
			done = c.Completed.In(loc).Format(time.DateOnly)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%d\t%d\t%d\t%s\n", c.Name, c.Prospects, c.Invited, c.Accepted, percent(c.Counts),
			c.Pending, c.Withdrawn, c.Skipped, done)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if err := printFallbacks(w, res.Campaigns); err != nil {
		return err
	}
	var names []string
	var vs [][]sim.VariantResult
	for _, c := range res.Campaigns {
		names, vs = append(names, c.Name), append(vs, c.Variants)
	}
	return printVariants(w, names, vs)
}

// printFallbacks writes, per campaign and reason, the invitations sent
// without the campaign's first note variant (nothing when there were
// none).
func printFallbacks(w io.Writer, cs []sim.CampaignResult) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	header := false
	for _, c := range cs {
		for _, reason := range slices.Sorted(maps.Keys(c.Fallbacks)) {
			if !header {
				fmt.Fprintln(tw, "\nCAMPAIGN\tFALLBACK\tINVITATIONS")
				header = true
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\n", c.Name, reason, c.Fallbacks[reason])
		}
	}
	if header {
		fmt.Fprintln(tw, "\n(FALLBACK: why the campaign's first note variant was not sent: too_long, missing_field, or note_allowance when the account's monthly notes were spent)")
	}
	return tw.Flush()
}

// percent is the acceptance rate as "33.3%", "-" when nothing was invited.
func percent(c sim.Counts) string {
	if c.Invited == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*c.AcceptanceRate())
}

func addCounts(t *sim.Counts, c sim.Counts) {
	t.Invited += c.Invited
	t.Accepted += c.Accepted
	t.Declined += c.Declined
	t.Pending += c.Pending
	t.Withdrawn += c.Withdrawn
}

// printPaused names what paused: true in the files holds for the whole
// forecast (the daemons would send nothing for it until resumed).
func printPaused(w io.Writer, cfg *config.Config, camps []*campaigns.Campaign) {
	var held []string
	for _, c := range camps {
		if c.Paused {
			held = append(held, "campaign "+c.Name)
		}
	}
	for _, a := range cfg.Accounts {
		if a.Paused {
			held = append(held, "account "+a.ID)
		}
	}
	if len(held) > 0 {
		fmt.Fprintf(w, "\nPaused (paused: true in its file), nothing forecast for it: %s\n", strings.Join(held, ", "))
	}
}
