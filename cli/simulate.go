package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/diag"
	"github.com/outreach-scheduler/outreach/internal/atomicfile"
	"github.com/outreach-scheduler/outreach/sim"
	"github.com/outreach-scheduler/outreach/sim/chart"
)

// maxSimDays bounds --days: ten years of virtual time.
const maxSimDays = 3660

type simulateOptions struct {
	days  int
	seed  int64
	start string
	json  bool
	chart string // --chart FILE.svg|FILE.png
}

// runSim is the simulator; tests replace it to check the output without
// a simulation.
var runSim = sim.Run

func newSimulateCmd(g *globals) *cobra.Command {
	var opt simulateOptions
	cmd := &cobra.Command{
		Use:   "simulate [CAMPAIGN.yaml ...] --days N [--seed S] [--start DATE|RFC3339] [--json] [--chart FILE.svg|FILE.png]",
		Short: "Forecast campaigns on a virtual clock against the sandbox platform model",
		Long: `simulate runs the real planner, pacing and lifecycle on a virtual clock
against the sandbox platform model (platform.sandbox in the config: accept
and decline rates, per-variant rates) and prints a forecast: per account and
per campaign, invitations sent, accepted, declined, pending and withdrawn;
when each campaign's last invitation goes out and when 95% of its answers
are in; each campaign week by week; fallbacks and skips by reason. Months
run in seconds.

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
replied (the prospect answered: no message follows) message_skipped
(reason missing_field: the message did not render, the next one follows)
skipped; and the account event
{"t","event":"restricted","account","reason","until"} when the platform
model restricts an account (platform.sandbox.restrict; reason
low_acceptance or max_pending), and {"t","event":"paced","account","pace","reason"}
when the safety governor changes an account's pace factor (reason
acceptance, declines or pending; none when back to full pace). Then a last line {"event":"summary","start","end","seed",
"accounts":[...],"campaigns":[...]}; each account and campaign there has
its "weeks", the rows of the text forecast's weekly tables, and each
account its "restrictions" and "min_pace" (the lowest pace factor) when
there were any.

--chart FILE.svg or FILE.png also draws the cumulative invited, accepted
and pending curves per campaign and per account, with each account's
weekly cap, into FILE (the extension picks the format).`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSimulate(cmd.Context(), g, opt, cmd.Flags().Changed("days"), args)
		},
	}
	cmd.Flags().IntVar(&opt.days, "days", 0, "simulate `N` days (required)")
	cmd.Flags().Int64Var(&opt.seed, "seed", 1, "seed `S` of the simulation's randomness")
	cmd.Flags().StringVar(&opt.start, "start", "", "virtual start `time`: YYYY-MM-DD (midnight UTC) or RFC 3339 (default now, to the minute)")
	cmd.Flags().BoolVar(&opt.json, "json", false, "one JSON event per line, then a summary line")
	cmd.Flags().StringVar(&opt.chart, "chart", "", "also draw the forecast into `FILE`.svg or FILE.png")
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
	var format chart.Format
	if opt.chart != "" {
		f, err := chart.FormatOf(opt.chart)
		if err != nil {
			return usageError("--chart %v", err)
		}
		format = f
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
				ev.T, ev.Until = wholeSecond(ev.T), wholeSecond(ev.Until)
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
		err = printForecast(g.stdout, forecastInput{res: res, opt: opt, loc: start.Location(), cfg: l.cfg, camps: l.campaigns})
	}
	if err == nil && opt.chart != "" {
		err = writeChart(g.stderr, opt.chart, format, res, start.Location())
	}
	if err != nil {
		return &exitError{code: ExitError, err: err}
	}
	return nil
}

// writeChart draws the forecast into path and says so on w (stderr: the
// forecast itself, text or JSON, has stdout).
func writeChart(w io.Writer, path string, format chart.Format, res *sim.Result, loc *time.Location) error {
	var buf bytes.Buffer
	sum, err := chart.Write(&buf, res, chart.Options{Format: format, Location: loc})
	if err != nil {
		return fmt.Errorf("simulate --chart %s: %w", path, err)
	}
	f, err := atomicfile.Create(path, 0o644) // never a half-written chart in place of the last one
	if err != nil {
		return fmt.Errorf("simulate --chart: %w", err)
	}
	if _, err := f.Write(buf.Bytes()); err != nil {
		f.Abort()
		return fmt.Errorf("simulate --chart: %w", err)
	}
	if err := f.Commit(); err != nil {
		return fmt.Errorf("simulate --chart: %w", err)
	}
	fmt.Fprintf(w, "chart: %s (%d campaigns, %d accounts that sent", terminalSafe(path, ""), sum.Campaigns, sum.Accounts)
	if len(sum.Omitted) > 0 {
		fmt.Fprintf(w, "; left out past %d panels: %s", chart.MaxPanels, strings.Join(sum.Omitted, ", "))
	}
	fmt.Fprintln(w, ")")
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
		Accounts: make([]sim.AccountResult, len(res.Accounts)), Campaigns: make([]sim.CampaignResult, len(res.Campaigns))}
	for i, a := range res.Accounts {
		a.Weeks = wholeSecondWeeks(a.Weeks)
		s.Accounts[i] = a
	}
	for i, c := range res.Campaigns {
		c.Completed = wholeSecond(c.Completed)
		c.LastInvited = wholeSecond(c.LastInvited)
		c.AnswersBy = wholeSecond(c.AnswersBy)
		c.Weeks = wholeSecondWeeks(c.Weeks)
		s.Campaigns[i] = c
	}
	return s
}

// wholeSecondWeeks is a copy of ws with wholeSecond week starts.
func wholeSecondWeeks(ws []sim.Week) []sim.Week {
	if ws == nil {
		return nil
	}
	out := slices.Clone(ws)
	for i := range out {
		out[i].Start = wholeSecond(out[i].Start)
	}
	return out
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
