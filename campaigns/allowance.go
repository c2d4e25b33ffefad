package campaigns

import (
	"fmt"
	"time"

	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/pacing"
	"github.com/outreach-scheduler/outreach/templates"
)

// NotePlan follows the accounts' monthly allowance of personalized notes
// through the preflight of validate and preview, deciding as the planner
// does (pacing.NoteAllowance, templates.Set.Choose with NoNotes): the
// prospects past an account's allowance get the fallback with reason
// note_allowance, or wait for next month when the campaign has no blank
// fallback.
//
// The preflight has no clock, so it plans in the order the planner takes
// prospects from a queue: file order, a pinned prospect by its account,
// the others dealt to the campaign's senders in turn. A month is the
// invitations an account can send in one at its caps: min(weekly, daily x
// working days) x 52 / 12. Campaigns checked with one NotePlan (validate)
// spend the same allowances, one campaign after the other.
type NotePlan struct {
	cfg      *config.Config
	accounts map[string]*noteAccount
	order    []*noteAccount // in the order first used
}

type noteAccount struct {
	a    *config.Account
	left pacing.NoteAllowance
	sent int // invitations in the current month
	sum  AllowanceSummary
}

// AllowanceSummary is what a NotePlan found for one account with a
// monthly note allowance.
type AllowanceSummary struct {
	Account       string      `json:"account"`
	Tier          pacing.Tier `json:"tier"`
	NotesPerMonth int         `json:"notes_per_month"`
	// PerMonth is the invitations the account can send in a month at its
	// caps: what a month is in the plan.
	PerMonth int `json:"invitations_per_month"`
	// Invitations is the invitations planned for the account's prospects.
	Invitations int `json:"invitations"`
	// Months is the months they take at PerMonth (at least 1).
	Months int `json:"months"`
	// Notes is the invitations with a personalized note.
	Notes int `json:"notes"`
	// Fallbacks is the invitations that get the fallback because the
	// allowance is spent (reason note_allowance).
	Fallbacks int `json:"fallbacks"`
	// Waiting is the prospects no note fits without the allowance and
	// whose campaign has no blank fallback: the planner holds them until a
	// month with notes left, one allowance at a time.
	Waiting int `json:"waiting"`
}

// NewNotePlan returns a plan with every allowance unused.
func NewNotePlan(cfg *config.Config) *NotePlan {
	return &NotePlan{cfg: cfg, accounts: map[string]*noteAccount{}}
}

func (p *NotePlan) account(id string) *noteAccount {
	if na, ok := p.accounts[id]; ok {
		return na
	}
	a := p.cfg.Account(id)
	if a == nil {
		return nil
	}
	na := &noteAccount{a: a, left: pacing.NoteAllowance{Limit: a.Limits.NotesPerMonth}}
	na.sum = AllowanceSummary{Account: id, Tier: a.Tier, NotesPerMonth: a.Limits.NotesPerMonth, PerMonth: perMonth(a)}
	p.accounts[id] = na
	p.order = append(p.order, na)
	return na
}

// perMonth is the invitations a month at the account's caps.
func perMonth(a *config.Account) int {
	days := 0
	for d := range 7 {
		if a.Days.Has(time.Weekday(d)) {
			days++
		}
	}
	week := a.Limits.Weekly
	if w := a.Limits.Daily * days; w > 0 && w < week {
		week = w
	}
	return max(1, week*52/12)
}

// choose chooses the note of the next invitation of account id, as the
// planner would: Set.Choose with NoNotes when the allowance is spent. It
// returns the note, whether the prospect waits for a month with notes
// left (not an error: the planner holds it), and Choose's error.
func (p *NotePlan) choose(id string, set *templates.Set, f templates.Fields, opt templates.ChooseOptions) (templates.Note, bool, error) {
	na := p.account(id)
	if na == nil {
		note, err := set.Choose(f, opt)
		return note, false, err
	}
	if na.sent >= na.sum.PerMonth {
		na.sent, na.left.Used, na.left.Out = 0, 0, false // a new month
	}
	opt.NoNotes = na.left.Spent()
	note, err := set.Choose(f, opt)
	if err != nil {
		if opt.NoNotes && templates.WaitsForNotes(err) {
			// Held, then sent in a month with notes left: with the note
			// it gets then.
			opt.NoNotes = false
			note, err = set.Choose(f, opt)
			if err == nil {
				na.sum.Waiting++
			}
			return note, err == nil, err
		}
		return note, false, err
	}
	na.sent++
	na.left.Plan(note.Variant != templates.Blank)
	na.sum.Invitations++
	if note.Variant != templates.Blank {
		na.sum.Notes++
	} else if note.Reason == templates.ReasonNoteAllowance {
		na.sum.Fallbacks++
	}
	return note, false, nil
}

// Summaries returns the summary of each account with a monthly note
// allowance that the plan gave an invitation or a waiting prospect, in
// the order the accounts were first used.
func (p *NotePlan) Summaries() []AllowanceSummary {
	var out []AllowanceSummary
	for _, na := range p.order {
		s := na.sum
		if s.NotesPerMonth == pacing.Unlimited || s.Invitations+s.Waiting == 0 {
			continue
		}
		s.Months = max(1, (s.Invitations+s.PerMonth-1)/s.PerMonth)
		out = append(out, s)
	}
	return out
}

// String renders the summary as one line for people.
func (s AllowanceSummary) String() string {
	msg := fmt.Sprintf("account %s (%s): %d personalized notes a month (notes_per_month); %d invitations",
		s.Account, s.Tier, s.NotesPerMonth, s.Invitations)
	if s.Months > 1 {
		msg += fmt.Sprintf(" over about %d months at %d a month", s.Months, s.PerMonth)
	}
	msg += fmt.Sprintf(": %d with a note, %d with the fallback (note_allowance)", s.Notes, s.Fallbacks)
	if s.Waiting > 0 {
		msg += fmt.Sprintf("; %d wait for a month with notes left (no blank in note.fallback)", s.Waiting)
	}
	return msg
}
