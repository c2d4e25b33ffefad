package campaigns

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/diag"
	"github.com/outreach-scheduler/outreach/internal/strictyaml"
	"github.com/outreach-scheduler/outreach/lifecycle"
	"github.com/outreach-scheduler/outreach/prospects"
	"github.com/outreach-scheduler/outreach/templates"
)

// CheckResult is what Check learned about one prospect.
type CheckResult struct {
	Prospect *prospects.Prospect // reused between calls: copy what you keep
	Account  string              // the account whose note limit applied
	Limit    int                 // that limit, in UTF-16 code units
	Note     templates.Note      // the first invitation's note; valid when Err is nil
	// Sender is the account whose monthly note allowance the invitation
	// spends in the plan (see NotePlan).
	Sender string
	// Waits is set when the sender's note allowance is spent and the
	// campaign has no blank fallback: the planner holds the prospect until
	// a month with notes left. Note is then the note it would get.
	Waits bool
	Err   error // why the prospect cannot be invited (a finding was recorded)
}

// Summary counts what Check found in one campaign.
type Summary struct {
	Campaign  string
	File      string
	Prospects int                      // data rows read from the CSV
	Rendered  int                      // prospects with an invitation ready to send
	Variants  map[string]int           // chosen variant ("blank" included) -> prospects
	Fallbacks map[templates.Reason]int // why the preferred variant was not used -> prospects
	Skipped   map[string]int           // lifecycle.SkipExcluded, lifecycle.SkipDuplicate, lifecycle.SkipInvalid -> prospects
	// Waiting counts the prospects held until a month with notes left: the
	// sender's note allowance is spent and blank is not a fallback.
	Waiting int
}

// CheckOptions tune Check.
type CheckOptions struct {
	// Limit stops after this many prospects were passed to the callback
	// (0 = no limit). Findings then cover only the rows read.
	Limit int
	// All lists every per-prospect finding; by default each cause that
	// varies by prospect lists MaxProspectFindings and counts the rest.
	All bool
	// Notes follows the monthly note allowances; campaigns checked with
	// the same one spend the same allowances. Nil: a fresh one.
	Notes *NotePlan
}

// Check streams the campaign's prospects, renders the first invitation of
// each one and every message step, and reports findings: template fields
// that are not columns of the CSV (errors at the template's line), bad
// rows, pinned accounts that are not senders of the campaign, prospects no
// note fits, note variants no prospect can use (one warning at the
// variant's line, with the count and the reason), and messages some
// prospects skip (a warning at the step's line with the count; an error
// when it renders for nobody). Findings whose cause varies by prospect are
// capped (CheckOptions.All). It calls fn, if not nil, for every prospect
// that survives the CSV checks (in file order).
//
// Which account sends to a prospect is decided later by the planner, so the
// note is checked against the strictest note limit among the campaign's
// senders (or the pinned account's limit): whatever account is chosen, the
// note fits.
//
// The error is for I/O failures and callback errors only.
func Check(c *Campaign, cfg *config.Config, opt CheckOptions, fn func(*CheckResult) error) (Summary, diag.List, error) {
	sum := Summary{
		Campaign:  c.Name,
		File:      c.Path,
		Variants:  map[string]int{},
		Fallbacks: map[templates.Reason]int{},
		Skipped:   map[string]int{},
	}
	var findings diag.List

	strictest, limits := senderLimits(c, cfg)
	if strictest == "" {
		return sum, findings, nil // unknown accounts were reported by Load
	}

	// Files stay in their place (Load reports it too): nothing outside is read.
	for _, src := range []*Source{c.Exclude, &c.Prospects} {
		if src != nil {
			if err := cfg.CheckPath(src.Path); err != nil {
				findings.Errorf(c.Path, src.Line, "%s %v", strictyaml.Quote(src.Path), err)
				return sum, findings, nil
			}
		}
	}

	var exclude prospects.KeySet
	if c.Exclude != nil {
		keys, fs, err := prospects.LoadKeySet(c.Exclude.Path, c.Exclude.ReadOptions())
		if err != nil {
			findings.Errorf(c.Path, c.Exclude.Line, "exclude.csv: %v", err)
			return sum, findings, nil
		}
		findings.Add(fs...)
		exclude = keys
	}

	ropt := c.ProspectOptions()
	ropt.Exclude = exclude
	r, err := prospects.Open(c.Prospects.Path, ropt)
	if err != nil {
		findings.Errorf(c.Path, c.Prospects.Line, "prospects.csv: %v", err)
		return sum, findings, nil
	}
	defer r.Close()

	colFindings, reported := checkColumns(c, r.Header())
	findings.Add(colFindings...)
	connect := c.ConnectStep()
	var tally *noteTally
	var messages []*messageTally
	for i := range c.Steps {
		st := &c.Steps[i]
		switch {
		case st.Connect != nil && st.Connect.Notes != nil:
			tally = &noteTally{cn: st.Connect, step: i, variants: newVariantTallies(st.Connect.Variants, reported), noFit: newCapped(opt.All)}
		case st.Message != nil:
			messages = append(messages, &messageTally{m: st.Message, step: i, variants: newVariantTallies(st.Message.Variants, reported)})
		}
	}
	pinned := newCapped(opt.All)
	notes := opt.Notes
	if notes == nil {
		notes = NewNotePlan(cfg)
	}
	senders := knownSenders(c, limits)
	dealt := 0 // unpinned prospects dealt to the senders in turn
	var res CheckResult
	passed := 0
	for opt.Limit == 0 || passed < opt.Limit {
		p, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return sum, findings, fmt.Errorf("reading %s: %w", c.Prospects.Path, err)
		}
		res = CheckResult{Prospect: p, Account: strictest, Limit: limits[strictest]}
		if p.Account == "" {
			res.Sender = senders[dealt%len(senders)]
			dealt++
		}
		if p.Account != "" {
			lim, ok := limits[p.Account]
			if !ok {
				pinned.add(p.Line, func() diag.Finding {
					return diag.Errorf(c.Prospects.Path, p.Line,
						"account %s is not a sender of campaign %s (senders: %s)", prospects.Excerpt(p.Account), c.Name, strings.Join(c.Accounts, ", "))
				})
				sum.Skipped[lifecycle.SkipInvalid]++
				continue
			}
			res.Account, res.Limit, res.Sender = p.Account, lim, p.Account
		}
		fields := templates.Fields(p.Fields)
		if connect != nil && connect.Notes != nil {
			res.Note, res.Waits, res.Err = notes.choose(res.Sender, connect.Notes, fields, templates.ChooseOptions{Limit: res.Limit})
		} else {
			res.Note = templates.Note{Variant: templates.Blank}
		}
		if tally != nil && !res.Waits {
			tally.observe(fields, res.Limit, res.Note, res.Err, func() diag.Finding { return prospectFinding(c.Path, p, "%v", res.Err) })
		}
		switch {
		case res.Err != nil:
			sum.Skipped[lifecycle.SkipInvalid]++
		case res.Waits:
			sum.Waiting++
		default:
			sum.Rendered++
			sum.Variants[res.Note.Variant]++
			if res.Note.Reason != templates.ReasonNone {
				sum.Fallbacks[res.Note.Reason]++
			}
		}
		for _, m := range messages {
			m.observe(fields)
		}
		passed++
		if fn != nil {
			if err := fn(&res); err != nil {
				return sum, findings, err
			}
		}
	}
	st := r.Stats()
	sum.Prospects = st.Rows
	sum.Skipped[lifecycle.SkipExcluded] += st.Excluded
	sum.Skipped[lifecycle.SkipDuplicate] += st.Duplicates
	sum.Skipped[lifecycle.SkipInvalid] += st.Invalid
	findings.Add(pinned.list("rows pinned to an account that is not a sender")...)
	if tally != nil {
		findings.Add(tally.findings(c.Path)...)
	}
	for _, m := range messages {
		findings.Add(m.findings(c.Path)...)
	}
	findings = append(r.Findings(), findings...)
	return sum, findings, nil
}

// knownSenders returns the senders of c defined in the config, in the
// campaign's order.
func knownSenders(c *Campaign, limits map[string]int) []string {
	var out []string
	for _, id := range c.Accounts {
		if _, ok := limits[id]; ok {
			out = append(out, id)
		}
	}
	return out
}

// senderLimits returns the note limit of each known sender of c and the
// sender with the strictest one (the first listed on ties).
func senderLimits(c *Campaign, cfg *config.Config) (string, map[string]int) {
	limits := make(map[string]int, len(c.Accounts))
	strictest := ""
	for _, id := range c.Accounts {
		a := cfg.Account(id)
		if a == nil {
			continue
		}
		limits[id] = a.Limits.NoteChars
		if strictest == "" || a.Limits.NoteChars < limits[strictest] {
			strictest = id
		}
	}
	return strictest, limits
}

func prospectFinding(file string, p *prospects.Prospect, format string, args ...any) diag.Finding {
	return diag.Finding{
		File:     file,
		Prospect: p.Key,
		Message:  fmt.Sprintf(format, args...) + fmt.Sprintf(" (csv line %d)", p.Line),
	}
}

// String renders the summary as one line for people.
func (s Summary) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: campaign %s: %d prospects, %d rendered", s.File, s.Campaign, s.Prospects, s.Rendered)
	if len(s.Variants) > 0 {
		fmt.Fprintf(&b, " (%s)", countList(s.Variants))
	}
	if n := total(s.Fallbacks); n > 0 {
		fmt.Fprintf(&b, "; fallbacks %d (%s)", n, countList(s.Fallbacks))
	}
	fmt.Fprintf(&b, "; skipped %d", total(s.Skipped))
	if n := total(s.Skipped); n > 0 {
		fmt.Fprintf(&b, " (%s)", countList(s.Skipped))
	}
	if s.Waiting > 0 {
		fmt.Fprintf(&b, "; %d wait for the note allowance", s.Waiting)
	}
	return b.String()
}

func total[K comparable](m map[K]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// countList formats "a 3, b 1" in key order, leaving out zero counts.
func countList[K ~string](m map[K]int) string {
	keys := make([]K, 0, len(m))
	for k, v := range m {
		if v > 0 {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}
