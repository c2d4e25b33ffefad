package cli

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/templates"
)

type previewOptions struct {
	json  bool
	limit int
	all   bool
}

func newPreviewCmd(g *globals) *cobra.Command {
	var opt previewOptions
	cmd := &cobra.Command{
		Use:   "preview CAMPAIGN.yaml",
		Short: "Show the rendered first invitation of each prospect",
		Long: `preview renders the first invitation of each prospect of a campaign: the
variant chosen, the note, its length against the limit, and why a fallback
was used. The limit is the pinned account's, else the strictest among the
campaign's senders (the account shown). Findings go to stderr, capped as
by validate (--all lists every one); it exits 1 when the campaign is
invalid.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPreview(g, opt, args[0])
		},
	}
	cmd.Flags().BoolVar(&opt.json, "json", false, "one JSON object per prospect")
	cmd.Flags().IntVar(&opt.limit, "limit", 0, "show at most `N` prospects (0 = all)")
	cmd.Flags().BoolVar(&opt.all, "all", false, "list every per-prospect finding (default: the first 20 of each cause)")
	return cmd
}

type previewLine struct {
	Campaign       string `json:"campaign"`
	Prospect       string `json:"prospect"`
	Account        string `json:"account"`
	Variant        string `json:"variant"`
	Note           string `json:"note"`
	Chars          int    `json:"chars"`
	Limit          int    `json:"limit"`
	FallbackReason string `json:"fallback_reason"`
	// FallbackDetail says what the reason was for this prospect: the
	// missing field (`missing field "event"`), the length (`212 chars >
	// 200`), or the spent allowance; "" when the first variant was used.
	FallbackDetail string `json:"fallback_detail,omitempty"`
	// Sender is the account whose monthly note allowance the invitation
	// spends in the plan; Waits is set when that allowance is spent and
	// blank is no fallback: the planner holds the prospect for a month with
	// notes left.
	Sender string `json:"sender,omitempty"`
	Waits  bool   `json:"waits,omitempty"`
}

func runPreview(g *globals, opt previewOptions, file string) error {
	if opt.limit < 0 {
		return usageError("--limit must be 0 or more, got %d", opt.limit)
	}
	l, err := loadAll(g.configPath, []string{file})
	if err != nil {
		return err
	}
	if len(l.campaigns) == 0 || l.broken[l.campaigns[0]] {
		printFindings(g.stderr, l.findings)
		return errInvalid
	}
	c := l.campaigns[0]
	enc := json.NewEncoder(g.stdout)
	enc.SetEscapeHTML(false)
	_, fs, err := campaigns.Check(c, l.cfg, campaigns.CheckOptions{Limit: opt.limit, All: opt.all}, func(r *campaigns.CheckResult) error {
		if r.Err != nil {
			return nil // reported as a finding
		}
		if opt.json {
			return enc.Encode(previewLine{
				Campaign: c.Name, Prospect: r.Prospect.Key, Account: r.Account,
				Variant: r.Note.Variant, Note: r.Note.Text, Chars: r.Note.Chars, Limit: r.Limit,
				FallbackReason: string(r.Note.Reason), FallbackDetail: fallbackDetail(r.Note),
				Sender: r.Sender, Waits: r.Waits,
			})
		}
		fallback := ""
		if r.Note.Reason != templates.ReasonNone {
			fallback = "  fallback: " + describeFallback(r.Note)
			if a := l.cfg.Account(r.Sender); r.Note.Reason == templates.ReasonNoteAllowance && a != nil {
				fallback = fmt.Sprintf("  fallback: %s (%s's %d notes a month are spent)", r.Note.Reason, a.ID, a.Limits.NotesPerMonth)
			}
		}
		if r.Waits {
			fallback = fmt.Sprintf("  waits: %s's note allowance is spent and blank is no fallback", r.Sender)
		}
		// Values from the files, escaped: no control sequence reaches the
		// terminal; a note's line breaks are kept, indented.
		fmt.Fprintf(g.stdout, "%s  via %s  %s  %d/%d%s\n", terminalSafe(r.Prospect.Key, ""), terminalSafe(r.Account, ""),
			r.Note.Variant, r.Note.Chars, r.Limit, fallback)
		if r.Note.Text != "" {
			fmt.Fprintf(g.stdout, "    %s\n", strings.ReplaceAll(terminalSafe(r.Note.Text, "\t\n"), "\n", "\n    "))
		} else {
			fmt.Fprintln(g.stdout, "    (no note)")
		}
		return nil
	})
	if err != nil {
		return &exitError{code: ExitError, err: err}
	}
	all := append(l.findings, fs...)
	printFindings(g.stderr, all)
	if all.HasErrors() {
		return errInvalid
	}
	return nil
}

// fallbackDetail says why the first variant was not used for this
// prospect: the detail of the first failed attempt, `missing field
// "event"` or `212 chars > 200`.
func fallbackDetail(n templates.Note) string {
	if n.Reason == templates.ReasonNone || len(n.Attempts) == 0 {
		return ""
	}
	return n.Attempts[0].Detail
}

// describeFallback words the reason and its detail for people:
// `missing_field "event"`, `too_long (212 chars > 200)`.
func describeFallback(n templates.Note) string {
	d := fallbackDetail(n)
	if d == "" {
		return string(n.Reason)
	}
	if field, ok := strings.CutPrefix(d, "missing field "); ok && n.Reason == templates.ReasonMissingField {
		return string(n.Reason) + " " + field
	}
	return string(n.Reason) + " (" + d + ")"
}
