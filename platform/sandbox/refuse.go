package sandbox

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/outreach-scheduler/outreach/platform"
)

// Refusal makes the model refuse the invitations it matches with Code, the
// way the real platform sometimes does on its own: an account restricted
// after complaints (platform.CodeRestricted), a weekly limit reached by
// activity outside outreach (CodeWeeklyLimit), a profile deleted since the
// list was made (CodeInvalidProfile). Code platform.CodeUnavailable is a
// transient failure instead: the answer is retryable and the outcome
// unknown to the caller. Refusals apply to invitations only.
//
// An invitation matches when every set field matches: the account, the
// person, and the request's At within [From, Until); then it is refused
// with probability Rate.
type Refusal struct {
	// Account is the sender account; "" matches every account.
	Account string
	// Persons are the people (normalized keys); empty matches everyone.
	Persons []string
	// Code is the answer: one of RefusalCodes.
	Code platform.Code
	// From and Until bound the request's At: From <= At < Until. A zero
	// time leaves that side open.
	From, Until time.Time
	// Rate is the share of matching invitations refused, in [0, 1]: 0
	// selects the default, 1 (every one); negative, none. The draw comes
	// from the model's seed: for a definite refusal it depends on the
	// invitation's idempotency key alone (a repeat gets the first answer
	// anyway); for CodeUnavailable, on the key and the request's arrival
	// number, so that a retry with the same key may get through.
	Rate float64
	// Applied is for CodeUnavailable only: the platform performs the
	// request (by its rules, as usual) but the caller's answer is lost, as
	// on a timeout after the fact. A retry with the same key is then a
	// repeat, answered as the first time. Without Applied the request is
	// not performed at all: a retry is handled as a first request.
	Applied bool
}

// RefusalCodes are the codes a Refusal may answer with: the definite
// refusals a platform gives an invitation, and the transient
// platform.CodeUnavailable.
var RefusalCodes = []platform.Code{
	platform.CodeRestricted, platform.CodeWeeklyLimit, platform.CodeInvalidProfile,
	platform.CodeConnectionCap, platform.CodeNoteAllowance, platform.CodeNoteTooLong,
	platform.CodeDuplicate, platform.CodeAlreadyConnected, platform.CodeCooldown,
	platform.CodeDeclined, platform.CodeUnavailable,
}

func (r Refusal) validate(i int) error {
	name := fmt.Sprintf("refusal %d", i)
	switch {
	case !slices.Contains(RefusalCodes, r.Code):
		return fmt.Errorf("%s: code %q: want one of %v", name, r.Code, RefusalCodes)
	case math.IsNaN(r.Rate) || r.Rate > 1:
		return fmt.Errorf("%s: rate %v: want a share between 0 and 1", name, r.Rate)
	case !r.From.IsZero() && !r.Until.IsZero() && !r.From.Before(r.Until):
		return fmt.Errorf("%s: from %s is not before until %s", name, r.From.Format(time.RFC3339), r.Until.Format(time.RFC3339))
	case r.Applied && r.Code != platform.CodeUnavailable:
		return fmt.Errorf("%s: applied is for code %s only, not %s", name, platform.CodeUnavailable, r.Code)
	case slices.Contains(r.Persons, ""):
		return fmt.Errorf("%s: an empty person", name)
	}
	return nil
}

func validateRefusals(rs []Refusal) error {
	var errs []error
	for i, r := range rs {
		if err := r.validate(i); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// refusal is a Refusal as the model applies it.
type refusal struct {
	account  string
	persons  map[string]bool // nil: everyone
	code     platform.Code
	from, to int64 // ns; to 0: open
	rate     float64
	applied  bool
	salt     uint64 // draws of different refusals are independent
}

func makeRefusals(rs []Refusal) (definite, transient []refusal) {
	for i, r := range rs {
		x := refusal{
			account: r.Account, code: r.Code, rate: share(r.Rate, 1), applied: r.Applied,
			from: math.MinInt64, to: math.MaxInt64, salt: uint64(i+1) * 0xD1B54A32D192ED03,
		}
		if !r.From.IsZero() {
			x.from, _ = unixNano(r.From)
		}
		if !r.Until.IsZero() {
			x.to, _ = unixNano(r.Until)
		}
		if len(r.Persons) > 0 {
			x.persons = make(map[string]bool, len(r.Persons))
			for _, p := range r.Persons {
				x.persons[p] = true
			}
		}
		if x.code == platform.CodeUnavailable {
			transient = append(transient, x)
		} else {
			definite = append(definite, x)
		}
	}
	return definite, transient
}

// matches reports whether the refusal applies to q, drawing its rate from
// seed s.
func (x *refusal) matches(q *request, s uint64) bool {
	if x.account != "" && x.account != q.Account || q.at < x.from || q.at >= x.to {
		return false
	}
	if x.persons != nil && !x.persons[q.Person] {
		return false
	}
	if x.rate >= 1 {
		return true
	}
	s ^= x.salt
	return unit(splitmix(&s)) < x.rate
}

// injected returns the definite refusal configured for a first invitation
// q, or nil. Called with m.mu held.
func (m *Model) injected(q *request) *platform.Error {
	for i := range m.refuse {
		x := &m.refuse[i]
		if x.matches(q, q.kh[0]^m.seed*0x9E3779B97F4A7C15) {
			return platform.Refused(x.code, "%s: refused by the sandbox's configured refusal", q.Account)
		}
	}
	return nil
}

// outage returns the transient failure configured for the invitation q,
// first request or repeat, or nil. Called with m.mu held, after m.seq
// counted q.
func (m *Model) outage(q *request) *refusal {
	for i := range m.unavail {
		x := &m.unavail[i]
		if x.matches(q, q.kh[0]^m.seed*0x9E3779B97F4A7C15^uint64(m.seq)*0xBF58476D1CE4E5B9) {
			return x
		}
	}
	return nil
}

// unavailable is the answer of a transient failure.
func unavailable(x *refusal) *platform.Error {
	msg := "the platform is unavailable; try again later"
	if x.applied {
		msg = "timed out (the request may have been performed); try again with the same key"
	}
	return &platform.Error{Code: platform.CodeUnavailable, Retryable: true, Msg: msg}
}
