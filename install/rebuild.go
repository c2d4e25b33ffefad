package install

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/outreach-scheduler/outreach/ledger"
	"github.com/outreach-scheduler/outreach/pacing"
	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/templates"
	"github.com/outreach-scheduler/outreach/wire"
)

// RestoreWindow is how far back Rebuild restores sends into the limiter:
// the longest window a decision reads (the month of the notes allowance,
// pacing.NoteRetention).
const RestoreWindow = pacing.NoteRetention

// Summary counts what a rebuild restored. It holds no personal data.
type Summary struct {
	Invitations int            // invitations written to the ledger
	Accounts    int            // accounts they came from
	Answers     map[string]int // by answer (accepted, declined, withdrawn, expired, pending)
	Restored    int            // sends restored into the limiter (the last RestoreWindow)
}

func (s Summary) String() string {
	return fmt.Sprintf("%d invitations of %d accounts (%d accepted, %d declined, %d withdrawn, %d expired, %d pending); %d sends back in the limiter",
		s.Invitations, s.Accounts, s.Answers[string(platform.AnswerAccepted)], s.Answers[string(platform.AnswerDeclined)],
		s.Answers[string(platform.AnswerWithdrawn)], s.Answers[string(platform.AnswerExpired)], s.Answers["pending"], s.Restored)
}

// Rebuild writes what the caps, gaps and dedupe need of the sent
// invitations (see the package documentation): ledger entries in time
// order, and the sends of the last RestoreWindow before now in the
// limiter. Every step is idempotent: a rebuild cut short may run again.
// Invitations must be valid (an account the limiter accepts, a key of at
// most pacing.MaxIDLength bytes).
func Rebuild(ctx context.Context, led *ledger.Ledger, lim *pacing.RedisLimiter, sent []platform.Sent, now time.Time) (Summary, error) {
	type item struct {
		at     time.Time
		i      int
		answer bool
	}
	items := make([]item, 0, 2*len(sent))
	sum := Summary{Answers: map[string]int{}}
	accts := map[string]bool{}
	for i, s := range sent {
		items = append(items, item{at: s.At, i: i})
		if s.Answer != "" {
			items = append(items, item{at: later(s.AnsweredAt, s.At), i: i, answer: true})
			sum.Answers[string(s.Answer)]++
		} else {
			sum.Answers["pending"]++
		}
		accts[s.Account] = true
	}
	// Time order (an answer is never before its invitation); at one
	// instant, invitations first.
	slices.SortStableFunc(items, func(x, y item) int {
		if c := x.at.Compare(y.at); c != 0 {
			return c
		}
		switch {
		case x.answer == y.answer:
			return 0
		case y.answer:
			return -1
		}
		return 1
	})
	cutoff := now.Add(-RestoreWindow)
	for _, it := range items {
		s := sent[it.i]
		if !it.answer {
			if err := led.AppendOutcome(ctx, inviteTask(s), wire.Outcome{Kind: wire.Delivered, At: s.At}); err != nil {
				return sum, fmt.Errorf("install: rebuilding the ledger: %w", err)
			}
			sum.Invitations++
			if s.At.After(cutoff) {
				if _, err := lim.Restore(ctx, s.Account, s.Key, s.At, s.Note); err != nil {
					return sum, fmt.Errorf("install: rebuilding the limiter: %w", err)
				}
				sum.Restored++
			}
			continue
		}
		var err error
		switch s.Answer {
		case platform.AnswerWithdrawn:
			t := inviteTask(s)
			t.Kind, t.Key, t.At, t.Variant = wire.KindWithdraw, withdrawKey(s.Key), s.AnsweredAt, ""
			err = led.AppendOutcome(ctx, t, wire.Outcome{Kind: wire.Delivered, At: s.AnsweredAt})
		default:
			err = led.AppendEvent(ctx, wire.Event{Type: platform.EventType(s.Answer), Account: s.Account, Person: s.Person, Key: s.Key, At: s.AnsweredAt})
		}
		if err != nil {
			return sum, fmt.Errorf("install: rebuilding the ledger: %w", err)
		}
	}
	sum.Accounts = len(accts)
	return sum, nil
}

// inviteTask is the delivered invite task of a sent invitation.
func inviteTask(s platform.Sent) wire.Task {
	v := s.Variant
	if v == "" && !s.Note {
		v = templates.Blank
	}
	return wire.Task{Kind: wire.KindInvite, At: s.At, Account: s.Account, Campaign: s.Campaign, Person: s.Person, Key: s.Key, Variant: v}
}

func later(a, b time.Time) time.Time {
	if a.Before(b) {
		return b
	}
	return a
}

// withdrawKey names the rebuilt withdrawal of an invitation: never a key
// the planner makes (its keys have no "~").
func withdrawKey(invite string) string { return invite + "~withdrawn" }

// Validate checks the invitations Rebuild is given: known accounts, keys
// the limiter takes, answers with their times.
func Validate(sent []platform.Sent, accounts map[string]bool) error {
	for i, s := range sent {
		switch {
		case !accounts[s.Account]:
			return fmt.Errorf("install: invitation %d: account %q is not in the config", i+1, s.Account)
		case s.Key == "" || len(s.Key) > pacing.MaxIDLength:
			return fmt.Errorf("install: invitation %d: key of %d bytes (want 1 to %d)", i+1, len(s.Key), pacing.MaxIDLength)
		case s.Person == "" || s.Campaign == "" || s.At.IsZero():
			return fmt.Errorf("install: invitation %d: needs a person, a campaign and a time", i+1)
		case !s.Answer.Valid():
			return fmt.Errorf("install: invitation %d: unknown answer %q", i+1, s.Answer)
		case s.Answer != "" && s.AnsweredAt.IsZero():
			return fmt.Errorf("install: invitation %d: answer %s without its time", i+1, s.Answer)
		}
	}
	return nil
}
