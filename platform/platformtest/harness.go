package platformtest

import (
	"context"
	"time"

	"github.com/outreach-scheduler/outreach/platform"
)

// Options describe the platform a harness builds.
type Options struct {
	// Now is the platform's clock when the harness starts.
	Now time.Time
	// Accounts the platform knows, by id. Requests from any other
	// account are refused with platform.CodeUnknownAccount.
	Accounts map[string]Account
	// AcceptRate and DeclineRate are the shares of the invitations the
	// recipients accept and decline, each taken literally (0: none); the
	// rest are ignored and stay pending.
	AcceptRate, DeclineRate float64
	// Every answer comes at least AnswerAfter and at most AnswerWithin
	// after its invitation (0 < AnswerAfter < AnswerWithin).
	AnswerAfter, AnswerWithin time.Duration
	// Refusals the platform makes on its own, on top of its rules.
	Refusals []Refusal
}

// Account is what the platform knows of one sender account.
type Account struct {
	Weekly      int      // invitations in any window (t-7d, t]
	NoteChars   int      // the note's length limit, in UTF-16 code units
	ConnectedTo []string // people already connected to the account
}

// Refusal makes the platform refuse the invitations it matches, as the
// real platform does for reasons outreach cannot see.
type Refusal struct {
	Account string        // "" matches every account
	Persons []string      // empty matches everyone
	Code    platform.Code // a definite refusal, or platform.CodeUnavailable
	// Until ends the refusal: invitations made at or after it are not
	// matched. Zero: never.
	Until time.Time
	// Applied, with platform.CodeUnavailable: the platform performs the
	// invitation but the answer is lost (a retry with the same key is a
	// repeat). Without it, nothing is performed.
	Applied bool
}

// Harness is one platform under test, built for one (sub)test: it fails
// that test itself when it cannot do what is asked.
type Harness interface {
	// Platform returns the implementation under test.
	Platform() platform.Platform
	// Advance moves the platform's clock to now (never backwards): the
	// answers due by then are delivered and show in Events. The suite
	// advances the clock to a request's time before making it.
	Advance(now time.Time)
	// Events returns every event the platform delivered so far, in
	// order.
	Events() []platform.Event
	// Record returns every request the platform received, in arrival
	// order, repeats and refusals included.
	Record() []Request
}

// SentLister is the optional part of a platform that lists the
// invitations it accepted (see platform.Sent).
type SentLister interface {
	SentInvitations(ctx context.Context, since time.Time) ([]platform.Sent, error)
}

// Op is the kind of a request in the record.
type Op string

// The operations of platform.Platform.
const (
	OpFollow   Op = "follow"
	OpInvite   Op = "invite"
	OpWithdraw Op = "withdraw"
	OpMessage  Op = "message"
)

// Request is one request as the platform recorded it.
type Request struct {
	Op       Op
	Key      string
	Account  string
	Person   string
	Campaign string
	Variant  string    // invitations: the note variant
	HasNote  bool      // invitations: a personalized note came with it
	Chars    int       // the note's or message's length in UTF-16 code units
	At       time.Time // the request's time
	Refused  platform.Code
	Repeat   bool // the key was seen before for the same request
}
