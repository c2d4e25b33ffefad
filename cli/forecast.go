package cli

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/lifecycle"
	"github.com/outreach-scheduler/outreach/sim"
)

// forecastInput is what the text forecast explains besides the result:
// the config's and the campaigns' lifecycle durations.
type forecastInput struct {
	res   *sim.Result
	opt   simulateOptions
	loc   *time.Location // dates are in the start's zone
	cfg   *config.Config
	camps []*campaigns.Campaign
}

// printForecast writes the forecast: the accounts' and the campaigns'
// totals, each campaign week by week with a sentence per column that
// needs one, the fallbacks and skips by reason, the note variants.
func printForecast(w io.Writer, in forecastInput) error {
	const stamp = "Mon 2006-01-02 15:04 MST"
	res := in.res
	start, end := res.Start.In(in.loc), res.End.In(in.loc)
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintf(tw, "Forecast %s to %s (%d days), seed %d\n\n", start.Format(stamp), end.Format(stamp), in.opt.days, in.opt.seed)
	// RESTRICTED only when the platform model restricted an account
	// (platform.sandbox.restrict).
	restricted := 0
	for _, a := range res.Accounts {
		restricted += a.Restrictions
	}
	col := func(n int) string {
		if restricted == 0 {
			return ""
		}
		return fmt.Sprintf("\t%d", n)
	}
	// MIN PACE only when the safety governor slowed an account.
	slowed := false
	for _, a := range res.Accounts {
		slowed = slowed || a.MinPace > 0
	}
	pace := func(p float64) string {
		switch {
		case !slowed:
			return ""
		case p == 0:
			return "\t-"
		}
		return fmt.Sprintf("\t%.0f%%", 100*p)
	}
	head := "ACCOUNT\tINVITED\tACCEPTED\tACCEPT%\tDECLINED\tPENDING\tWITHDRAWN"
	if restricted > 0 {
		head += "\tRESTRICTED"
	}
	if slowed {
		head += "\tMIN PACE"
	}
	fmt.Fprintln(tw, head)
	var total sim.Counts
	for _, a := range res.Accounts {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%d\t%d\t%d%s%s\n", a.ID, a.Invited, a.Accepted, percent(a.Counts), a.Declined, a.Pending, a.Withdrawn, col(a.Restrictions), pace(a.MinPace))
		total = total.Plus(a.Counts)
	}
	if len(res.Accounts) > 1 {
		fmt.Fprintf(tw, "total\t%d\t%d\t%s\t%d\t%d\t%d%s%s\n", total.Invited, total.Accepted, percent(total), total.Declined, total.Pending, total.Withdrawn, col(restricted), pace(0))
	}
	if restricted > 0 {
		fmt.Fprintln(tw, "RESTRICTED: times the platform model restricted the account (platform.sandbox.restrict); each pauses it for defaults.restriction_pause.")
	}
	if slowed {
		fmt.Fprintln(tw, "MIN PACE: the lowest share of its weekly and daily caps the safety governor let the account use (the safety section); --json has a paced event at each change, with the signal.")
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "CAMPAIGN\tPROSPECTS\tINVITED\tACCEPTED\tACCEPT%\tPENDING\tWITHDRAWN\tREPLIED\tSKIPPED\tLAST INVITATION\t95% ANSWERED BY")
	for _, c := range res.Campaigns {
		last, answered := "after "+end.Format(time.DateOnly), "-"
		switch {
		case c.Prospects == 0:
			last = "no prospects"
		case c.Completed.IsZero():
		case c.LastInvited.IsZero():
			last = "none" // every prospect skipped
		default:
			last = c.LastInvited.In(in.loc).Format(time.DateOnly)
			answered = c.AnswersBy.In(in.loc).Format(time.DateOnly)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%d\t%d\t%d\t%d\t%s\t%s\n", c.Name, c.Prospects, c.Invited, c.Accepted, percent(c.Counts),
			c.Pending, c.Withdrawn, c.Replied, c.Skipped, last, answered)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	printDatesHelp(w, res, end)

	if err := printWeeks(w, in); err != nil {
		return err
	}
	if err := printReasons(w, res.Campaigns); err != nil {
		return err
	}
	var names []string
	var vs [][]sim.VariantResult
	for _, c := range res.Campaigns {
		names, vs = append(names, c.Name), append(vs, c.Variants)
	}
	if err := printVariants(w, names, vs); err != nil {
		return err
	}
	printPaused(w, in.cfg, in.camps)
	return nil
}

// printDatesHelp says how the campaign table's dates are found: one
// sentence each, naming the campaigns whose withdraw_after comes before
// the response-delay curve's 95% point.
func printDatesHelp(w io.Writer, res *sim.Result, end time.Time) {
	var left, bound, waits []string
	answered := 0
	for _, c := range res.Campaigns {
		if c.Prospects > 0 && c.Completed.IsZero() {
			left = append(left, c.Name)
		}
		if c.AnswersBy.IsZero() {
			continue
		}
		answered++
		if wait := c.AnswersBy.Sub(c.LastInvited); wait < res.AnswerDelay {
			bound = append(bound, c.Name)
			if d := config.FormatDuration(wait); !slices.Contains(waits, d) {
				waits = append(waits, d)
			}
		}
	}
	fmt.Fprint(w, "LAST INVITATION: the day the campaign's last prospect is invited")
	if len(left) > 0 {
		fmt.Fprintf(w, "; \"after %s\": prospects are still left when the forecast ends", end.Format(time.DateOnly))
	}
	fmt.Fprintln(w, ".")
	if answered == 0 {
		return
	}
	fmt.Fprintf(w, "95%% ANSWERED BY: the last invitation + %s, the time in which 95%% of the answers to an invitation come on the response-delay curve of platform.sandbox",
		config.FormatDuration(res.AnswerDelay.Round(time.Hour)))
	switch {
	case len(bound) == 0:
		fmt.Fprintln(w, ".")
		return
	case len(bound) == answered:
		fmt.Fprintf(w, ", or + withdraw_after when that is sooner, as it is here (%s)", strings.Join(waits, ", "))
	default:
		fmt.Fprintf(w, ", or + withdraw_after when that is sooner, as it is for %s (%s)", strings.Join(bound, ", "), strings.Join(waits, ", "))
	}
	fmt.Fprintln(w, ": what is unanswered then is withdrawn and gets no answer.")
}

// printWeeks writes each campaign week by week, up to its last active
// week, then one sentence for each column that needs one.
func printWeeks(w io.Writer, in forecastInput) error {
	var followed, expired bool
	for _, c := range in.res.Campaigns {
		followed = followed || c.Followed > 0
		expired = expired || c.Expired > 0
		tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
		last := -1
		for k, wk := range c.Weeks {
			if wk.Followed+wk.Invited+wk.Accepted+wk.Declined+wk.Withdrawn+wk.Expired+wk.Messaged+wk.Replied+wk.Skipped > 0 {
				last = k
			}
		}
		switch {
		case c.Prospects == 0:
			fmt.Fprintf(tw, "\n%s: no prospects (its CSV has no rows): nothing to forecast.\n", c.Name)
			continue
		case last < 0:
			fmt.Fprintf(tw, "\n%s: nothing happens within the forecast.\n", c.Name)
			continue
		}
		fmt.Fprintf(tw, "\n%s week by week:\n", c.Name)
		fmt.Fprint(tw, "WEEK OF\t")
		if c.Followed > 0 {
			fmt.Fprint(tw, "FOLLOWED\t")
		}
		fmt.Fprintln(tw, "INVITED\tACCEPTED\tDECLINED\tWITHDRAWN\tEXPIRED\tMESSAGED\tREPLIED\tPENDING\tACCEPT% SO FAR")
		var cum sim.Counts
		for _, wk := range c.Weeks[:last+1] {
			cum.Invited += wk.Invited
			cum.Accepted += wk.Accepted
			fmt.Fprintf(tw, "%s\t", wk.Start.In(in.loc).Format(time.DateOnly))
			if c.Followed > 0 {
				fmt.Fprintf(tw, "%d\t", wk.Followed)
			}
			fmt.Fprintf(tw, "%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\n", wk.Invited, wk.Accepted, wk.Declined, wk.Withdrawn, wk.Expired,
				wk.Messaged, wk.Replied, wk.Pending, percent(cum))
		}
		if last < len(c.Weeks)-1 {
			fmt.Fprintf(tw, "(then nothing more until the forecast ends on %s", in.res.End.In(in.loc).Format(time.DateOnly))
			if p := c.Weeks[last].Pending; p > 0 {
				fmt.Fprintf(tw, "; %d stay pending", p)
			}
			fmt.Fprintln(tw, ")")
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	d := in.cfg.Defaults
	fmt.Fprintln(w)
	if followed {
		fmt.Fprintln(w, "FOLLOWED: people followed first (a follow step); their invitation comes after the step's wait.")
	}
	fmt.Fprintf(w, "WITHDRAWN: unanswered after withdraw_after (%s) and taken back to free the pending slot; no new invitation to that person for reinvite_cooldown (%s).\n",
		withdrawAfters(d.WithdrawAfter, in.camps), config.FormatDuration(d.ReinviteCooldown))
	if expired {
		fmt.Fprintf(w, "EXPIRED: unanswered after expire_after (%s): the platform cancelled the invitation.\n", config.FormatDuration(d.ExpireAfter))
	}
	fmt.Fprintln(w, "MESSAGED: follow-up messages sent to people who accepted.")
	fmt.Fprintln(w, "REPLIED: people who replied to a message (platform.sandbox.reply_rate); no message follows a reply.")
	fmt.Fprintln(w, "PENDING: invited and not answered yet, at the week's end.")
	fmt.Fprintln(w, "ACCEPT% SO FAR: accepted / invited from the start to the week's end; invitations still pending pull it down.")
	return nil
}

// withdrawAfters is the default withdraw_after, and the campaigns' own
// where they set one: "21d; q1: 10d".
func withdrawAfters(def time.Duration, camps []*campaigns.Campaign) string {
	parts := []string{config.FormatDuration(def)}
	for _, c := range camps {
		if cn := c.ConnectStep(); cn != nil && cn.WithdrawAfter > 0 && cn.WithdrawAfter != def {
			parts = append(parts, c.Name+": "+config.FormatDuration(cn.WithdrawAfter))
		}
	}
	return strings.Join(parts, "; ")
}

// reasonKinds are the rows of the fallbacks and skips table, and what
// their reasons mean.
var reasonKinds = []struct {
	kind    string
	of      func(sim.CampaignResult) map[string]int
	what    string
	reasons map[string]string
}{
	{"note fallback", func(c sim.CampaignResult) map[string]int { return c.Fallbacks },
		"invitations sent without the campaign's first note variant (a later variant, or blank)", map[string]string{
			"too_long":       "the note was over the account's note length limit",
			"missing_field":  "a field the note needs is empty for that prospect",
			"note_allowance": "the account's personalized notes for the month were spent (free accounts: 5 a month)",
		}},
	{"prospect skipped", func(c sim.CampaignResult) map[string]int { return c.Skips },
		"prospects never invited", map[string]string{
			lifecycle.SkipExcluded:       "on the campaign's exclusion list",
			lifecycle.SkipDuplicate:      "the same person appears earlier in the CSV",
			lifecycle.SkipAlreadyInvited: "already invited or connected, by this or another account",
			lifecycle.SkipDeclinedBefore: "declined an earlier invitation: never asked again",
			lifecycle.SkipCooldown:       "withdrawn or expired recently (reinvite_cooldown)",
			lifecycle.SkipInvalid:        "a bad row, a bad pinned account, or no note fits",
			lifecycle.SkipRemoved:        "removed from the campaign's CSV",
			lifecycle.SkipForgotten:      "erased with outreach forget",
		}},
	{"message skipped", func(c sim.CampaignResult) map[string]int { return c.MessageSkips },
		"follow-up messages not sent; the next one follows", map[string]string{
			campaigns.MessageSkipMissingField: "a field the message needs is empty for that prospect",
			campaigns.MessageSkipInvalid:      "the message's template failed for that prospect",
		}},
}

// printReasons writes, per campaign, the note fallbacks, the skipped
// prospects and the skipped messages by reason, then what each reason
// shown means (nothing when there were none).
func printReasons(w io.Writer, cs []sim.CampaignResult) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	seen := make([]map[string]bool, len(reasonKinds))
	any := false
	for _, c := range cs {
		for i, k := range reasonKinds {
			m := k.of(c)
			for _, reason := range slices.Sorted(maps.Keys(m)) {
				if !any {
					fmt.Fprintln(tw, "\nCAMPAIGN\tWHAT\tREASON\tCOUNT")
					any = true
				}
				if seen[i] == nil {
					seen[i] = map[string]bool{}
				}
				seen[i][reason] = true
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\n", c.Name, k.kind, reason, m[reason])
			}
		}
	}
	if !any {
		return nil
	}
	fmt.Fprintln(tw)
	for i, k := range reasonKinds {
		if seen[i] == nil {
			continue
		}
		fmt.Fprintf(tw, "%s: %s.\n", k.kind, k.what)
		for _, reason := range slices.Sorted(maps.Keys(seen[i])) {
			if help, ok := k.reasons[reason]; ok {
				fmt.Fprintf(tw, "  %s\t%s\n", reason, help)
			}
		}
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
