package cli

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/diag"
)

type validateOptions struct {
	json bool
	all  bool
}

func newValidateCmd(g *globals) *cobra.Command {
	var opt validateOptions
	cmd := &cobra.Command{
		Use:   "validate [CAMPAIGN.yaml ...]",
		Short: "Check config and campaigns, render every note, report findings",
		Long: `validate loads the config and the campaigns (by default the config's
campaigns globs), renders the first invitation and every message for every
prospect, and prints each problem as FILE:LINE: message (or
FILE: prospect KEY: message), a summary per campaign, one per account with
a monthly note allowance (free accounts: how many invitations get a note
and how many the fallback, planned as the planner spends it), and a total
line. A cause shared by every prospect is one finding at its YAML line (a
variant no prospect can use, a message some prospects skip); a cause that
varies by prospect lists the first 20 and counts the rest (--all lists
every one). It exits 1 when any finding is an error.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runValidate(g, opt, args)
		},
	}
	cmd.Flags().BoolVar(&opt.json, "json", false, "print findings and summaries as JSON lines")
	cmd.Flags().BoolVar(&opt.all, "all", false, "list every per-prospect finding (default: the first 20 of each cause)")
	return cmd
}

func runValidate(g *globals, opt validateOptions, files []string) error {
	l, err := loadAll(g.configPath, files)
	if err != nil {
		return err
	}
	all := l.findings
	var sums []campaigns.Summary
	var unchecked []string
	notes := campaigns.NewNotePlan(l.cfg) // the campaigns share their senders' note allowances
	for _, c := range l.campaigns {
		if l.broken[c] {
			unchecked = append(unchecked, c.Path)
			continue
		}
		sum, fs, err := campaigns.Check(c, l.cfg, campaigns.CheckOptions{All: opt.all, Notes: notes}, nil)
		if err != nil {
			return &exitError{code: ExitError, err: err}
		}
		all.Add(fs...)
		sums = append(sums, sum)
	}

	allowances := notes.Summaries()
	if opt.json {
		printValidateJSON(g, all, sums, allowances)
	} else {
		printFindings(g.stdout, all)
		total := campaigns.Summary{}
		for _, s := range sums {
			fmt.Fprintln(g.stdout, s.String())
			total.Prospects += s.Prospects
			total.Rendered += s.Rendered
		}
		for _, a := range allowances {
			fmt.Fprintf(g.stdout, "%s: %s\n", l.cfg.Path, a)
		}
		for _, f := range unchecked {
			fmt.Fprintf(g.stdout, "%s: prospects not checked: fix the errors above first\n", f)
		}
		fmt.Fprintf(g.stdout, "%d campaigns checked, %d prospects, %d rendered: %d errors, %d warnings\n",
			len(sums), total.Prospects, total.Rendered, all.Count(diag.Error), all.Count(diag.Warning))
	}
	if all.HasErrors() {
		return errInvalid
	}
	return nil
}

type jsonFinding struct {
	Type     string `json:"type"` // "finding"
	File     string `json:"file"`
	Line     int    `json:"line,omitempty"`
	Prospect string `json:"prospect,omitempty"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
}

type jsonSummary struct {
	Type      string         `json:"type"` // "summary"
	File      string         `json:"file"`
	Campaign  string         `json:"campaign"`
	Prospects int            `json:"prospects"`
	Rendered  int            `json:"rendered"`
	Variants  map[string]int `json:"variants"`
	Fallbacks map[string]int `json:"fallbacks"`
	Skipped   map[string]int `json:"skipped"`
	Waiting   int            `json:"waiting,omitempty"`
}

// jsonAllowance is an account's monthly note allowance in the plan.
type jsonAllowance struct {
	Type string `json:"type"` // "allowance"
	campaigns.AllowanceSummary
}

func printValidateJSON(g *globals, fs diag.List, sums []campaigns.Summary, allowances []campaigns.AllowanceSummary) {
	enc := json.NewEncoder(g.stdout)
	enc.SetEscapeHTML(false)
	fs.Sort()
	for _, f := range fs {
		_ = enc.Encode(jsonFinding{"finding", f.File, f.Line, f.Prospect, f.Severity.String(), f.Message})
	}
	for _, s := range sums {
		fb := make(map[string]int, len(s.Fallbacks))
		for k, v := range s.Fallbacks {
			fb[string(k)] = v
		}
		_ = enc.Encode(jsonSummary{"summary", s.File, s.Campaign, s.Prospects, s.Rendered, s.Variants, fb, s.Skipped, s.Waiting})
	}
	for _, a := range allowances {
		_ = enc.Encode(jsonAllowance{"allowance", a})
	}
}
