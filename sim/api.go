package sim

// API of the simulator (fixed; the engine behind Run is written separately).

import (
	"time"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/platform/sandbox"
	"github.com/outreach-scheduler/outreach/scheduler"
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
}

// Event is one lifecycle event of one prospect (the --json stream).
type Event struct {
	T        time.Time `json:"t"`
	Event    string    `json:"event"` // followed invited accepted declined withdrawn expired messaged skipped
	Campaign string    `json:"campaign"`
	Account  string    `json:"account"`
	Prospect string    `json:"prospect"`
	Variant  string    `json:"variant,omitempty"`
	Chars    int       `json:"chars,omitempty"`
	Reason   string    `json:"reason,omitempty"`
}

// Counts are lifecycle totals.
type Counts = campaigns.Counts

// AccountResult is the forecast of one account.
type AccountResult struct {
	ID string `json:"account"`
	Counts
}

// CampaignResult is the forecast of one campaign.
type CampaignResult struct {
	Name      string `json:"campaign"`
	Prospects int    `json:"prospects"`
	Counts
	// Completed is when the campaign's last prospect was invited or skipped
	// (nothing left to send); zero when that did not happen within the run.
	Completed time.Time `json:"completed,omitzero"`
}

// Result is the forecast.
type Result struct {
	Start, End time.Time
	Accounts   []AccountResult  // in config order
	Campaigns  []CampaignResult // in the order given
	// models are the platform models the run delivered to, one per shard:
	// Record and Violations merge them.
	models []*sandbox.Model
	// Events are the platform's answers (accepted, declined, expired), in
	// the order they were delivered.
	Events []platform.Event
}

type schedulerSource = scheduler.Source
