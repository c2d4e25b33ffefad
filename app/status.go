package app

import (
	"context"
	"time"

	"github.com/outreach-scheduler/outreach/abtest"
	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/internal/redisconn"
	"github.com/outreach-scheduler/outreach/ledger"
	"github.com/outreach-scheduler/outreach/lifecycle"
	"github.com/outreach-scheduler/outreach/pacing"
	"github.com/outreach-scheduler/outreach/platform/sandbox"
	"github.com/outreach-scheduler/outreach/scheduler"
	schedulerdaemon "github.com/outreach-scheduler/outreach/scheduler/daemon"
	"github.com/outreach-scheduler/outreach/wire"
)

// AccountStatus is one account's standing.
type AccountStatus struct {
	ID                      string
	Counts                  lifecycle.Counts
	Day, DayCap             int // invitations today, the day's cap
	Week, WeekCap           int // in the rolling week, its cap
	NotesMonth, NotesCap    int // personalized notes this month; pacing.Unlimited for no cap
	PausedUntil             time.Time
	Connections, MaxPending int
	// Health is the safety governor's look at the account now: the pace
	// factor on its caps and the signal that lowered it.
	Health scheduler.Health
	// Safety is the account's governor settings (the thresholds shown).
	Safety config.Safety
}

// CampaignStatus is one campaign's progress.
type CampaignStatus struct {
	Name      string
	Prospects int
	Counts    lifecycle.Counts
	// Variants is the evidence of each note variant (the A/B test).
	Variants []abtest.ArmSummary
	// Failed counts the failed prospects by reason (`outreach retry
	// --reason CODE` puts them back in the queue).
	Failed map[string]int
}

// Status is what `outreach status` shows.
type Status struct {
	At        time.Time
	Ledger    int // entries replayed
	Accounts  []AccountStatus
	Campaigns []CampaignStatus
	// Skipped counts the ledger entries not applied, by reason
	// ("unknown_account": an account not in the configuration).
	Skipped map[string]int
	// Rejected counts the events the endpoint refused, by reason, since
	// the install (every scheduler's).
	Rejected map[string]int64
	// Pauses are the operator's pauses in force (outreach pause, paused:
	// in a file), campaigns first.
	Pauses []wire.Command
}

// ReadStatus rebuilds the state from the ledger, as a scheduler does when
// it takes the lead, and reads each account's usage from the limiter.
func ReadStatus(ctx context.Context, cfg *config.Config, camps []*campaigns.Campaign, now time.Time) (*Status, error) {
	c, err := redisconn.Shared(cfg.Redis)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	st := &Status{At: now}
	eng, err := scheduler.New(scheduler.Options{Config: cfg, Campaigns: camps, Seed: 1, ResponseCurve: sandbox.ResponseCurve(cfg)})
	if err != nil {
		return nil, err
	}
	led := ledger.New(c.Client, "")
	rb, err := schedulerdaemon.RebuildWith(ctx, eng, led, schedulerdaemon.RebuildOptions{})
	if err != nil {
		return nil, err
	}
	st.Ledger, st.Skipped = rb.Entries, rb.Ignored
	if st.Rejected, err = led.Rejected(ctx); err != nil {
		return nil, err
	}
	ps, err := led.Pauses(ctx)
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		if p.Active(now) {
			st.Pauses = append(st.Pauses, p)
		}
	}
	byAcct := map[string]lifecycle.Counts{}
	byCamp := map[string]lifecycle.Counts{}
	for _, cp := range camps {
		total, accts := eng.Counts(cp.Name)
		byCamp[cp.Name] = total
		for id, n := range accts {
			byAcct[id] = byAcct[id].Plus(n)
		}
	}
	lim, err := pacing.NewRedisLimiter(c.Client)
	if err != nil {
		return nil, err
	}
	for _, a := range cfg.Accounts {
		r := pacing.RulesFor(a.Limits, a.WarmupStart, a.Location, now)
		u, err := lim.Usage(ctx, a.ID, now, r)
		if err != nil {
			return nil, err
		}
		es, _ := eng.Account(a.ID)
		as := AccountStatus{
			ID: a.ID, Day: u.Day, DayCap: r.Daily, Week: u.Week, WeekCap: r.Weekly,
			NotesMonth: u.NotesMonth, NotesCap: r.NotesPerMonth, PausedUntil: u.PausedUntil,
			Connections: es.Connections, MaxPending: a.Limits.MaxPending,
		}
		as.Counts = byAcct[a.ID]
		as.Health, _ = eng.LookHealth(a.ID, now)
		as.Safety = a.Safety
		st.Accounts = append(st.Accounts, as)
	}
	for _, cp := range camps {
		cs := CampaignStatus{Name: cp.Name, Prospects: eng.Prospects(cp.Name), Variants: eng.Variants(cp.Name, now), Failed: eng.Failed(cp.Name)}
		cs.Counts = byCamp[cp.Name]
		st.Campaigns = append(st.Campaigns, cs)
	}
	return st, nil
}
