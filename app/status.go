package app

import (
	"context"
	"time"

	"github.com/outreach-scheduler/outreach/abtest"
	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/internal/redisconn"
	"github.com/outreach-scheduler/outreach/ledger"
	"github.com/outreach-scheduler/outreach/pacing"
	"github.com/outreach-scheduler/outreach/scheduler"
)

// AccountStatus is one account's standing.
type AccountStatus struct {
	ID                      string
	Counts                  campaigns.Counts
	Day, DayCap             int // invitations today, the day's cap
	Week, WeekCap           int // in the rolling week, its cap
	NotesMonth, NotesCap    int // personalized notes this month; pacing.Unlimited for no cap
	PausedUntil             time.Time
	Connections, MaxPending int
}

// CampaignStatus is one campaign's progress.
type CampaignStatus struct {
	Name      string
	Prospects int
	Counts    campaigns.Counts
	// Variants is the evidence of each note variant (the A/B test).
	Variants []abtest.ArmSummary
}

// Status is what `outreach status` shows.
type Status struct {
	At        time.Time
	Ledger    int // entries replayed
	Accounts  []AccountStatus
	Campaigns []CampaignStatus
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
	byAcct := map[string]*campaigns.Counts{}
	byCamp := map[string]*campaigns.Counts{}
	eng, err := scheduler.New(scheduler.Options{Config: cfg, Campaigns: camps, Seed: 1, OnEvent: func(ev scheduler.Event) {
		if ev.Account != "" {
			if byAcct[ev.Account] == nil {
				byAcct[ev.Account] = &campaigns.Counts{}
			}
			byAcct[ev.Account].Add(ev.Type)
		}
		if byCamp[ev.Campaign] == nil {
			byCamp[ev.Campaign] = &campaigns.Counts{}
		}
		byCamp[ev.Campaign].Add(ev.Type)
	}})
	if err != nil {
		return nil, err
	}
	n, _, err := Rebuild(ctx, eng, ledger.New(c.Client, ""))
	if err != nil {
		return nil, err
	}
	st.Ledger = n
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
		if c := byAcct[a.ID]; c != nil {
			as.Counts = *c
		}
		st.Accounts = append(st.Accounts, as)
	}
	for _, cp := range camps {
		cs := CampaignStatus{Name: cp.Name, Prospects: eng.Prospects(cp.Name), Variants: eng.Variants(cp.Name, now)}
		if c := byCamp[cp.Name]; c != nil {
			cs.Counts = *c
		}
		st.Campaigns = append(st.Campaigns, cs)
	}
	return st, nil
}

// Rebuild replays the whole ledger into a fresh engine and returns the
// number of entries applied and the ID of the last one ("0" for none), from
// which to go on reading.
func Rebuild(ctx context.Context, eng *scheduler.Engine, led *ledger.Ledger) (n int, last string, err error) {
	return replay(ctx, eng, led, nil)
}

// replay is Rebuild, calling before (if not nil) ahead of each entry.
func replay(ctx context.Context, eng *scheduler.Engine, led *ledger.Ledger, before func(ledger.Entry)) (n int, last string, err error) {
	last = "0"
	for {
		entries, err := led.Read(ctx, last, 10000, 0)
		if err != nil {
			return n, last, err
		}
		if len(entries) == 0 {
			return n, last, nil
		}
		for _, e := range entries {
			if before != nil {
				before(e)
			}
			switch {
			case e.Event != nil:
				err = eng.Observe(*e.Event)
			case e.Task != nil && e.Outcome != nil:
				err = eng.Replay(*e.Task, *e.Outcome)
			}
			if err != nil {
				return n, last, err
			}
			last = e.ID
			n++
		}
	}
}
