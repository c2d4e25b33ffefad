package worker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/pacing"
	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/templates"
	"github.com/outreach-scheduler/outreach/wire"
)

// RulesFunc returns the limiter rules of an account at a time.
type RulesFunc func(account string, at time.Time) (pacing.Rules, error)

// Deliverer performs tasks. It is safe for concurrent use when its
// Limiter and Platform are.
type Deliverer struct {
	Limiter  pacing.Limiter
	Platform platform.Platform
	Rules    RulesFunc
	// RestrictionPause is how long an account pauses after the platform
	// refused for a limit or restriction. Default
	// config.DefaultRestrictionPause.
	RestrictionPause time.Duration
	// Health, if set, pauses deliveries after a fault of the integration
	// (see integration.go). Nil: every task is attempted.
	Health *Health
	// Pauses, if set, is asked just before each action whether an
	// operator paused its campaign or account: such a task is handed back
	// (Denied, pacing.DenyHeld), nothing reserved nor sent. Nil: none.
	Pauses Pauses
}

// Pauses tells whether an operator's pause holds a task back.
type Pauses interface {
	// Holds reports whether a pause in force at now holds t back. An
	// error leaves the task unperformed, to be retried.
	Holds(ctx context.Context, t wire.Task, now time.Time) (bool, error)
}

// do performs t at now, as Do says (Do admits it past Health first).
func (d *Deliverer) do(ctx context.Context, t wire.Task, now time.Time) (wire.Outcome, error) {
	if o, late := handBack(t, now); late { // past its working time: see late.go
		return o, nil
	}
	if d.Pauses != nil { // asked for an expiry too: a pause never holds one, but its person may be forgotten
		held, err := d.Pauses.Holds(ctx, t, now)
		if err != nil {
			return wire.Outcome{Kind: wire.Unknown, At: now}, fmt.Errorf("checking the pauses of account %s: %w", t.Account, err)
		}
		if held {
			return wire.Outcome{Kind: wire.Denied, At: now, Denial: pacing.DenyHeld}, nil
		}
	}
	act := platform.Action{Key: t.Key, Account: t.Account, Person: t.Person, Campaign: t.Campaign, At: now}
	switch t.Kind {
	case wire.KindInvite:
		return d.invite(ctx, t, act)
	case wire.KindFollow:
		return settle(now, d.Platform.Follow(ctx, act))
	case wire.KindWithdraw:
		return settle(now, d.Platform.Withdraw(ctx, act))
	case wire.KindMessage:
		return settle(now, d.Platform.Message(ctx, platform.Message{Action: act, Text: t.Text}))
	case wire.KindExpire:
		// Nothing to ask the platform: the outcome only records, in the
		// ledger, that the invitation expired on the scheduler's clock.
		return wire.Outcome{Kind: wire.Delivered, At: now}, nil
	}
	return wire.Outcome{}, fmt.Errorf("worker: unknown task kind %v", t.Kind)
}

func (d *Deliverer) invite(ctx context.Context, t wire.Task, act platform.Action) (wire.Outcome, error) {
	now := act.At
	rules, err := d.Rules(t.Account, now)
	if err != nil {
		return wire.Outcome{Kind: wire.Unknown, At: now}, err
	}
	dec, err := d.Limiter.Reserve(ctx, pacing.Request{
		Account: t.Account, ID: t.Key, At: now, Note: t.Variant != templates.Blank && t.Note != "", Rules: rules,
	})
	if err != nil {
		return wire.Outcome{Kind: wire.Unknown, At: now}, fmt.Errorf("reserving slot for account %s: %w", t.Account, err)
	}
	if !dec.Granted {
		return wire.Outcome{Kind: wire.Denied, At: now, Denial: dec.Denial, RetryAt: dec.RetryAt}, nil
	}
	err = d.Platform.Invite(ctx, platform.Invite{Action: act, Variant: t.Variant, Note: t.Note})
	if err == nil {
		// The invitation went out. The reservation stays counted as it is:
		// the worker records the outcome in the ledger (the commit), and
		// the limiter only needs Release for sends that did not happen. It
		// has no confirm step: marking a send as sent would cost a round
		// trip per invitation on the hot path (measured: the end-to-end
		// rate was 0.59 of raw asynq with one, 0.69 without) and change
		// no decision.
		return wire.Outcome{Kind: wire.Delivered, At: now}, nil
	}
	if platform.IsNotPerformed(err) {
		// Refused before anything happened (the integration could not
		// authenticate the request): free the slot, keep the prospect as
		// it is, and try the same key again later.
		if rerr := d.Limiter.Release(ctx, t.Account, t.Key); rerr != nil && !errors.Is(rerr, pacing.ErrConfirmed) {
			return wire.Outcome{Kind: wire.Unknown, At: now}, fmt.Errorf("releasing slot for account %s: %w (after %w)", t.Account, rerr, err)
		}
		return wire.Outcome{Kind: wire.Unknown, At: now}, fmt.Errorf("inviting for account %s: %w", t.Account, err)
	}
	if platform.IsRetryable(err) {
		// Unknown outcome: keep the reservation counted; retry with the key.
		return wire.Outcome{Kind: wire.Unknown, At: now}, fmt.Errorf("inviting for account %s: %w", t.Account, err)
	}
	// A definite refusal: nothing was sent. A refusal about the account's
	// standing pauses it first; only then is the slot freed: freed first,
	// it could go to another worker's invitation of the same account
	// before the pause lands (TestRefusalsEndToEnd saw one reach the
	// platform 9ms into the pause).
	var pe *platform.Error
	errors.As(err, &pe)
	if pe.Pause() {
		pause := d.RestrictionPause
		if pause <= 0 {
			pause = config.DefaultRestrictionPause
		}
		if perr := d.Limiter.Pause(ctx, t.Account, now.Add(pause)); perr != nil {
			return wire.Outcome{Kind: wire.Unknown, At: now}, fmt.Errorf("pausing account %s: %w", t.Account, perr)
		}
	}
	if rerr := d.Limiter.Release(ctx, t.Account, t.Key); rerr != nil && !errors.Is(rerr, pacing.ErrConfirmed) {
		return wire.Outcome{Kind: wire.Unknown, At: now}, fmt.Errorf("releasing slot for account %s: %w", t.Account, rerr)
	}
	return wire.Outcome{Kind: wire.Refused, At: now, Code: pe.Code}, nil
}

// settle turns a platform answer into an outcome.
func settle(now time.Time, err error) (wire.Outcome, error) {
	if err == nil {
		return wire.Outcome{Kind: wire.Delivered, At: now}, nil
	}
	if platform.IsRetryable(err) {
		return wire.Outcome{Kind: wire.Unknown, At: now}, err
	}
	return wire.Outcome{Kind: wire.Refused, At: now, Code: platform.CodeOf(err)}, nil
}

// ConfigRules returns the RulesFunc of the accounts of cfg: their effective
// limits, warm-up and time zone (pacing.RulesFor).
func ConfigRules(cfg *config.Config) RulesFunc {
	byID := make(map[string]*config.Account, len(cfg.Accounts))
	for i := range cfg.Accounts {
		byID[cfg.Accounts[i].ID] = &cfg.Accounts[i]
	}
	return func(account string, at time.Time) (pacing.Rules, error) {
		a := byID[account]
		if a == nil {
			return pacing.Rules{}, fmt.Errorf("unknown account %q", account)
		}
		return pacing.RulesFor(a.Limits, a.WarmupStart, a.Location, at), nil
	}
}
