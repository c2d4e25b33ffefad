package sim

// API of the simulator (fixed; the engine behind Run is written separately).

import (
	"math"
	"time"

	"github.com/outreach-scheduler/outreach/abtest"
	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/lifecycle"
	"github.com/outreach-scheduler/outreach/platform/sandbox"
	"github.com/outreach-scheduler/outreach/scheduler"
	"github.com/outreach-scheduler/outreach/wire"
)

// Options configure one simulation.
type Options struct {
	Config    *config.Config        // accounts, defaults, sandbox settings (Platform.Sandbox)
	Campaigns []*campaigns.Campaign // loaded and valid
	Start     time.Time             // virtual start time
	Days      int                   // length of the simulation, > 0
	Seed      int64                 // seeds the planner's randomness and the sandbox model
	// OnEvent, if set, receives every lifecycle event in time order.
	OnEvent func(Event)

	sources     map[string]schedulerSource // synthetic prospects (tests, benchmarks)
	lightRecord bool                       // keep only refused requests in the sandbox record
	model       func(*sandbox.Options)     // tests: adjusts the platform model's options (nil: none)
	// onEntry, if set, receives what the ledger would hold (each task with
	// a known outcome, each platform event), in time order within a shard;
	// shards call it concurrently. Tests and benchmarks.
	onEntry func(wire.Entry)
}

// Event is one lifecycle event of one prospect, or one account event (the
// --json stream).
type Event struct {
	T time.Time `json:"t"`
	// Event is a lifecycle event (followed invited accepted declined
	// withdrawn expired messaged message_skipped skipped replied) or an
	// account event: EventRestricted, EventPaced.
	Event    string `json:"event"`
	Campaign string `json:"campaign,omitempty"` // "" for an account event
	Account  string `json:"account"`
	Prospect string `json:"prospect,omitempty"` // "" for an account event
	Variant  string `json:"variant,omitempty"`
	Chars    int    `json:"chars,omitempty"`
	Reason   string `json:"reason,omitempty"`
	// Until is when a restriction ends (EventRestricted).
	Until time.Time `json:"until,omitzero"`
	// Pace is the safety governor's new pace factor (EventPaced), in
	// (0, 1]: the share of the account's weekly and daily caps it may use.
	Pace float64 `json:"pace,omitempty"`
}

// EventPaced is the account event of a change of the safety governor's
// pace factor (scheduler.Health): T is when the governor looked, Pace the
// new factor, Reason the signal that lowered the account's health
// (acceptance, declines, pending; "" when it recovered to full pace).
const EventPaced = "paced"

// EventRestricted is the account event of a restriction the platform
// model imposed by its rules (platform.sandbox.restrict): T is the
// invitation it refused, Until the end, Reason the rule
// (sandbox.ReasonLowAcceptance or sandbox.ReasonMaxPending).
const EventRestricted = "restricted"

// Counts are lifecycle totals.
type Counts = lifecycle.Counts

// AccountResult is the forecast of one account.
type AccountResult struct {
	ID string `json:"account"`
	Counts
	// Restrictions counts the restrictions the platform model imposed on
	// the account by its rules (EventRestricted).
	Restrictions int `json:"restrictions,omitempty"`
	// MinPace is the lowest pace factor the safety governor set for the
	// account during the forecast, in (0, 1); omitted (0) when it never
	// slowed the account.
	MinPace float64 `json:"min_pace,omitempty"`
	Weeks   []Week  `json:"weeks,omitempty"` // the forecast week by week, with the weekly cap
	// Days are the totals at the end of each day of the forecast (day i
	// ends at Start.AddDate(0, 0, i+1)): the curves of a chart.
	Days []Counts `json:"-"`
}

// CampaignResult is the forecast of one campaign.
type CampaignResult struct {
	Name      string `json:"campaign"`
	Prospects int    `json:"prospects"`
	Counts
	// Completed is when the campaign's last prospect was invited or skipped
	// (nothing left to send); zero when that did not happen within the run.
	Completed time.Time `json:"completed,omitzero"`
	// LastInvited is the campaign's last invitation within the run (zero:
	// none).
	LastInvited time.Time `json:"last_invited,omitzero"`
	// AnswersBy is when AnswerShare (95%) of the answers to the campaign's
	// invitations are expected: LastInvited plus Result.AnswerDelay, or
	// plus the campaign's withdraw_after when that is sooner (what is
	// unanswered then is withdrawn and gets no answer). Zero when the
	// campaign did not complete within the run.
	AnswersBy time.Time `json:"answers_by,omitzero"`
	// Fallbacks counts the invitations sent without the campaign's first
	// note variant, by reason (too_long, missing_field, note_allowance);
	// nil when there were none.
	Fallbacks map[string]int `json:"fallbacks,omitempty"`
	// Skips counts the prospects never invited, by reason (duplicate,
	// excluded, ...: lifecycle.Skip*); MessageSkips the follow-up messages
	// skipped, by reason (missing_field, invalid). Nil when none.
	Skips        map[string]int `json:"skips,omitempty"`
	MessageSkips map[string]int `json:"message_skips,omitempty"`
	// Variants are the note variants' results at the end (see
	// scheduler.Engine.Variants).
	Variants []VariantResult `json:"variants,omitempty"`
	Weeks    []Week          `json:"weeks,omitempty"` // the forecast week by week
	Days     []Counts        `json:"-"`               // as AccountResult.Days
}

// VariantResult is one note variant's result: the evidence the planner
// chose by.
type VariantResult struct {
	Variant  string  `json:"variant"`
	Disabled bool    `json:"disabled,omitempty"` // not chosen by the A/B strategy: stopped by hand, or blank when only a fallback
	Sent     int     `json:"sent"`
	Accepted int     `json:"accepted"`
	Pending  int     `json:"pending"`
	Trials   float64 `json:"trials"` // invitations weighted by the share of their answers due by now
	Rate     float64 `json:"rate"`   // Accepted / Trials
	Low      float64 `json:"rate_low"`
	High     float64 `json:"rate_high"` // Wilson 95% interval of Rate
	PBest    float64 `json:"p_best"`    // probability of being the best variant
}

// VariantResults converts the engine's summaries.
func VariantResults(vs []abtest.ArmSummary) []VariantResult {
	out := make([]VariantResult, len(vs))
	for i, v := range vs {
		out[i] = VariantResult{Variant: v.Name, Disabled: v.Disabled, Sent: v.Sent, Accepted: v.Accepted, Pending: v.Pending,
			Trials: round3(v.Trials), Rate: round3(v.Rate), Low: round3(v.Lo), High: round3(v.Hi), PBest: round3(v.PBest)}
	}
	return out
}

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }

// Result is the forecast.
type Result struct {
	Start, End time.Time
	Accounts   []AccountResult  // in config order
	Campaigns  []CampaignResult // in the order given
	// AnswerDelay is the response-delay curve's AnswerShare point: that
	// share of the answers to an invitation arrive within it
	// (sandbox.DelayQuantile of the config's curve).
	AnswerDelay time.Duration
	// models are the platform models the run delivered to, one per shard:
	// Record and Violations merge them.
	models []*sandbox.Model
	// Events are the platform's answers (accepted, declined, expired), in
	// the order they were delivered.
	Events []wire.Event
}

type schedulerSource = scheduler.Source
