package pacing

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Windows and conventions shared by every Limiter.
//
// The limiter works in whole milliseconds (times are truncated with
// time.Time.UnixMilli). Every window is half-open:
//
//   - the rolling week ending at t is (t-7d, t]: a send at t-7d+1ms still
//     counts, a send at exactly t-7d no longer does. Equivalently, a week is
//     [s, s+7d) for some start s, and two sends at a < b share a week iff
//     b-a < 7d;
//   - the day is [DayStart, DayEnd) and the month [MonthStart, MonthEnd);
//   - the gap: a send at t needs no other send in (t-MinGap, t+MinGap), so two
//     sends exactly MinGap apart are fine;
//   - a pause lasts while t < until.
const (
	// Week is the length of the rolling window of Rules.Weekly.
	Week = 7 * 24 * time.Hour

	// SendRetention is how long after its time a send stays in the log
	// (plus the request's MinGap): a week and a day of margin for workers
	// whose clocks disagree. Its ID is remembered (Reserve is idempotent on
	// it, Release finds it) for as long. Trimming is driven by
	// the requests' At, so the limiter is exact while workers' clocks agree
	// within a day: a request stamped days ahead would trim sends that
	// correct clocks still count.
	SendRetention = 8 * 24 * time.Hour

	// NoteRetention is how long a personalized note stays in the note log,
	// longer than any calendar month.
	NoteRetention = 40 * 24 * time.Hour

	// MaxMinGap, MaxDayLength and MaxMonthLength bound Rules so that the
	// retention above always covers every window a decision looks at.
	MaxMinGap      = 24 * time.Hour
	MaxDayLength   = 26 * time.Hour
	MaxMonthLength = 32 * 24 * time.Hour

	// MaxIDLength bounds Request.ID, in bytes.
	MaxIDLength = 256
)

// Rules are what the limiter enforces for one account for one request; the
// caller (planner, worker) computes them from the account's Limits, warm-up
// and time zone: see RulesFor.
type Rules struct {
	// Weekly caps the sends in any rolling 7-day window (already reduced by
	// warm-up). 0 allows nothing.
	Weekly int
	// Daily caps the sends of the calendar day [DayStart, DayEnd) in the
	// account's zone, which must contain the request's At; Unlimited skips
	// the check (and the window is then ignored).
	Daily            int
	DayStart, DayEnd time.Time
	// MinGap: no two sends of the account closer than this, on either side.
	MinGap time.Duration
	// NotesPerMonth is the allowance of personalized notes for the month
	// [MonthStart, MonthEnd), which must contain At when a limited note is
	// requested; Unlimited skips the check.
	NotesPerMonth        int
	MonthStart, MonthEnd time.Time
}

// Request asks for one send of one account.
type Request struct {
	Account string    // [a-z0-9_-]{1,63}
	ID      string    // idempotency key of the send (campaign/prospect/step); Reserve is idempotent on it
	At      time.Time // the send time (now, from the injected clock)
	Note    bool      // a personalized note: consumes the monthly allowance
	Rules   Rules
}

// Denial says which rule refused a request.
type Denial string

// The denials, in the order Reserve checks them: when several rules refuse,
// Decision.Denial names the first.
const (
	DenyPaused        Denial = "paused"
	DenyWeekly        Denial = "weekly"
	DenyDaily         Denial = "daily"
	DenyGap           Denial = "gap"
	DenyNoteAllowance Denial = "note_allowance" // only when every other rule allows the send
)

// Decision is Reserve's answer.
type Decision struct {
	Granted bool
	// Existing: the ID was already in the log; nothing changed.
	Existing bool
	Denial   Denial // "" when granted
	// RetryAt, on a denial, is a time before which the same request cannot
	// be granted on the current state: the latest of what each refusing
	// rule needs: paused: the pause end; weekly: when enough of the blocking
	// sends have left the window; daily: DayEnd (the next day, with its own
	// Rules); gap: the first time clear of every send by MinGap. The request
	// may still be denied then (other sends came in, the rules changed): ask
	// again. Zero when unknown: a note_allowance denial (fall back to a
	// blank invitation) or a weekly cap of 0.
	RetryAt time.Time
}

// Usage is what an account has used, as of now.
type Usage struct {
	Week        int       // sends in (now-7d, now]
	Day         int       // sends in [rules.DayStart, rules.DayEnd)
	NotesMonth  int       // notes in [rules.MonthStart, rules.MonthEnd)
	Last        time.Time // the latest send in the log (it may be after now); zero if none
	PausedUntil time.Time // the pause end if after now, else zero
}

// Limiter is the exact rolling-window limiter: it keeps a log of every send of
// every account and grants a send only when, with it, no rolling 7-day window
// exceeds Rules.Weekly, the day stays within Rules.Daily, no other send is
// closer than Rules.MinGap, the account is not paused, and a note stays within
// the month's allowance. Implementations are safe for concurrent use by any
// number of workers (MemLimiter within a process, RedisLimiter across
// processes) and pass the conformance suite in pacing/limitertest.
type Limiter interface {
	// Reserve atomically checks the rules and, when they allow it, records
	// the send. Re-reserving an ID still in the log returns Granted with
	// Existing set and changes nothing, whatever the rules say now.
	Reserve(ctx context.Context, r Request) (Decision, error)
	// Release removes a send that definitely did not happen (and its note),
	// freeing its slot. Releasing an ID not in the log does nothing. A
	// granted send stays counted until it ages out of every window unless
	// released: one whose outcome is unknown is never released. A send
	// restored from the platform's own record (RedisLimiter.Restore) is
	// confirmed: releasing it returns ErrConfirmed and keeps it.
	Release(ctx context.Context, account, id string) error
	// Pause makes Reserve deny the account with DenyPaused while At <
	// until (a restriction or limit answer from the platform). It never
	// shortens a longer pause already set.
	Pause(ctx context.Context, account string, until time.Time) error
	// Usage reports the account's usage as of now; rules supply the day and
	// month windows.
	Usage(ctx context.Context, account string, now time.Time, rules Rules) (Usage, error)
}

// Errors of the Limiter methods; test with errors.Is.
var (
	ErrInvalidRequest = errors.New("pacing: invalid limiter request")
	ErrConfirmed      = errors.New("pacing: send already confirmed, cannot release")
)

// ValidAccount reports whether id is a well-formed account ID:
// [a-z0-9_-]{1,63}.
func ValidAccount(id string) bool {
	if len(id) == 0 || len(id) > 63 {
		return false
	}
	for i := 0; i < len(id); i++ {
		switch c := id[i]; {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// Times the limiter accepts for Request.At: the limiter stores milliseconds
// in floating-point scores, exact well beyond this range.
var (
	minAt = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	maxAt = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidRequest, fmt.Sprintf(format, args...))
}

func checkAccount(account string) error {
	if !ValidAccount(account) {
		return invalid("account %q: want [a-z0-9_-]{1,63}", account)
	}
	return nil
}

func checkID(account, id string) error {
	if err := checkAccount(account); err != nil {
		return err
	}
	if id == "" || len(id) > MaxIDLength {
		return invalid("send ID %q: want 1 to %d bytes", id, MaxIDLength)
	}
	return nil
}

// Validate reports whether the request is well formed (ErrInvalidRequest).
func (r Request) Validate() error {
	if err := checkID(r.Account, r.ID); err != nil {
		return err
	}
	if r.At.Before(minAt) || !r.At.Before(maxAt) {
		return invalid("send time %v out of range", r.At)
	}
	u := r.Rules
	if u.Weekly < 0 {
		return invalid("weekly cap %d < 0", u.Weekly)
	}
	if u.MinGap < 0 || u.MinGap > MaxMinGap {
		return invalid("min gap %v: want 0 to %v", u.MinGap, MaxMinGap)
	}
	switch {
	case u.Daily == Unlimited:
	case u.Daily < 0:
		return invalid("daily cap %d < 0", u.Daily)
	default:
		if err := checkWindow("day", u.DayStart, u.DayEnd, r.At, MaxDayLength); err != nil {
			return err
		}
	}
	switch {
	case u.NotesPerMonth == Unlimited:
	case u.NotesPerMonth < 0:
		return invalid("notes per month %d < 0", u.NotesPerMonth)
	case r.Note:
		if err := checkWindow("month", u.MonthStart, u.MonthEnd, r.At, MaxMonthLength); err != nil {
			return err
		}
	}
	return nil
}

func checkWindow(name string, start, end, at time.Time, max time.Duration) error {
	if !start.Before(end) || end.Sub(start) > max {
		return invalid("%s window [%v, %v): want a non-empty window of at most %v", name, start, end, max)
	}
	if at.Before(start) || !at.Before(end) {
		return invalid("send time %v outside its %s [%v, %v)", at, name, start, end)
	}
	return nil
}

// ms converts to the limiter's unit.
func ms(t time.Time) int64 { return t.UnixMilli() }

// fromMS converts back; 0 is the zero time.
func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

const (
	weekMS = int64(Week / time.Millisecond)
	dayMS  = int64(24 * time.Hour / time.Millisecond)
)
