package cli

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/outreach-scheduler/outreach/app"
	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/pacing"
	"github.com/outreach-scheduler/outreach/scheduler"
	"github.com/outreach-scheduler/outreach/sim"
)

func newStatusCmd(g *globals) *cobra.Command {
	var addr string
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show campaigns, accounts, quota used and remaining, and pending invitations",
		Long: `status reads the shared Redis: it rebuilds the campaigns' progress from the
ledger (as a scheduler does when it takes the lead) and each account's use
of its caps from the limiter. With redis.addr empty it reads the embedded
Redis of the outreach run running beside the config (the address in its
state file, .outreach-run.json); --addr names another Redis.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			l, err := loadValid(g)
			if err != nil {
				return err
			}
			if err := useRunning(cmd.Context(), g, l.cfg, addr); err != nil {
				return err
			}
			st, err := app.ReadStatus(cmd.Context(), l.cfg, l.campaigns, g.now())
			if err != nil {
				return &exitError{code: ExitError, err: err}
			}
			printStatus(g, st)
			return nil
		},
	}
	addAddrFlag(cmd, &addr)
	return cmd
}

func printStatus(g *globals, st *app.Status) {
	fmt.Fprintf(g.stdout, "Status at %s (%d ledger entries)\n\n", st.At.UTC().Format("2006-01-02 15:04 MST"), st.Ledger)
	printStatusWarnings(g.stdout, st) // statuswarn.go
	if len(st.Pauses) > 0 {
		fmt.Fprintln(g.stdout, "Paused by an operator (outreach resume campaign|account NAME ends a pause):")
		for _, p := range st.Pauses {
			what := "campaign " + p.Campaign
			if p.Account != "" {
				what = "account " + p.Account
			}
			fmt.Fprintf(g.stdout, "  %s: %s\n", what, describePause(p))
		}
		fmt.Fprintln(g.stdout)
	}
	w := tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "ACCOUNT\tTODAY\tWEEK\tLEFT THIS WEEK\tNOTES\tPENDING\tACCEPTED\tPAUSED UNTIL")
	for _, a := range st.Accounts {
		notes := fmt.Sprintf("%d", a.NotesMonth)
		if a.NotesCap != pacing.Unlimited {
			notes = fmt.Sprintf("%d/%d", a.NotesMonth, a.NotesCap)
		}
		paused := "-"
		if !a.PausedUntil.IsZero() {
			paused = a.PausedUntil.UTC().Format("2006-01-02 15:04")
		}
		fmt.Fprintf(w, "%s\t%d/%d\t%d/%d\t%d\t%s\t%d/%d\t%d\t%s\n", a.ID, a.Day, a.DayCap, a.Week, a.WeekCap,
			max(0, a.WeekCap-a.Week), notes, a.Counts.Pending, a.MaxPending, a.Counts.Accepted, paused)
	}
	w.Flush()
	printSafety(g.stdout, st.Accounts)
	fmt.Fprintln(g.stdout)
	w = tabwriter.NewWriter(g.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "CAMPAIGN\tPROSPECTS\tINVITED\tACCEPTED\tACCEPT%\tPENDING\tWITHDRAWN\tREPLIED\tSKIPPED\tFAILED")
	for _, c := range st.Campaigns {
		rate := "-"
		if c.Counts.Invited > 0 {
			rate = fmt.Sprintf("%.1f%%", 100*float64(c.Counts.Accepted)/float64(c.Counts.Invited))
		}
		fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%s\t%d\t%d\t%d\t%d\t%d\n", c.Name, c.Prospects, c.Counts.Invited, c.Counts.Accepted, rate,
			c.Counts.Pending, c.Counts.Withdrawn, c.Counts.Replied, c.Counts.Skipped, failedTotal(c.Failed))
	}
	w.Flush()
	printFailed(g.stdout, st.Campaigns) // retry.go
	var names []string
	var vs [][]sim.VariantResult
	for _, c := range st.Campaigns {
		names, vs = append(names, c.Name), append(vs, sim.VariantResults(c.Variants))
	}
	printVariants(g.stdout, names, vs)
}

// printSafety says, for each account the safety governor slows (or would,
// when disabled), by how much and which signal: nothing when every
// account is healthy.
func printSafety(w io.Writer, accts []app.AccountStatus) {
	first := true
	for _, a := range accts {
		h := a.Health
		if h.Pace >= 1 && h.Signal == scheduler.SignalNone {
			continue
		}
		if first {
			fmt.Fprintln(w, "\nSafety governor (the caps above are multiplied by the pace; safety: in config.yaml):")
			first = false
		}
		pace := fmt.Sprintf("pace %.0f%% of the caps", 100*h.Pace)
		if !h.Enabled {
			pace = "governor disabled, full pace"
		}
		fmt.Fprintf(w, "  %s: %s, health %.2f: %s\n", a.ID, pace, h.Score, safetyReason(h, a.Safety, a.MaxPending))
	}
}

// safetyReason says what lowered the account's health.
func safetyReason(h scheduler.Health, s config.Safety, maxPending int) string {
	switch h.Signal {
	case scheduler.SignalAcceptance:
		return fmt.Sprintf("acceptance %.1f%% over the latest %d invitations (healthy from %.0f%%, floor at %.0f%%)",
			100*h.Acceptance(), h.Sent, 100*s.TargetAcceptance, 100*s.DangerAcceptance)
	case scheduler.SignalDeclines:
		return fmt.Sprintf("declines %.1f%% over the latest %d invitations (healthy up to %.0f%%, floor at %.0f%%)",
			100*h.Declines(), h.Sent, 50*s.MaxDecline, 100*s.MaxDecline)
	case scheduler.SignalPending:
		return fmt.Sprintf("%d invitations pending for %s or more, of max_pending %d (healthy up to %.0f%%)",
			h.Stale, config.FormatDuration(s.MinAge), maxPending, 100*s.PendingStart)
	}
	return fmt.Sprintf("recovering, by at most %.0f%% a day", 100*s.RecoveryStep)
}
