package scheduler

import (
	"fmt"
	"time"

	"github.com/outreach-scheduler/outreach/pacing"
	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/templates"
)

// Kind is what a task does on the platform.
type Kind uint8

// Task kinds.
const (
	KindFollow Kind = iota + 1
	KindInvite
	KindWithdraw
	KindMessage
	// KindExpire records that a pending invitation reached expire_after
	// without the platform reporting it. It makes no platform call: the
	// worker records it in the ledger like any outcome, so that the
	// expiry is a ledger entry (an engine rebuilt after a restart, and the
	// statistics, see it once) rather than a decision each engine makes on
	// its own clock.
	KindExpire
)

var kindNames = [...]string{KindFollow: "follow", KindInvite: "invite", KindWithdraw: "withdraw", KindMessage: "message", KindExpire: "expire"}

func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Ref identifies one prospect of one campaign inside an Engine.
type Ref struct {
	Campaign int32 // index of the campaign in the engine
	Index    int32 // index of the prospect in its campaign
}

// Task is one platform action planned for a given time.
type Task struct {
	Kind     Kind
	At       time.Time // when to perform it (asynq ProcessAt)
	Account  string
	Campaign string
	Person   string // the person's normalized key
	Ref      Ref
	// Key is the idempotency key: campaign, a hash of the person, the step
	// and the attempt. It carries no personal data.
	Key string
	// Invitations: the chosen note.
	Variant  string
	Note     string
	Chars    int
	Fallback templates.Reason // why the preferred variant was not used
	Text     string           // messages: the rendered text
	Step     int              // messages: index of the message step
}

// OutcomeKind classifies what happened to a task.
type OutcomeKind uint8

// Outcome kinds.
const (
	// Delivered: the platform did it.
	Delivered OutcomeKind = iota + 1
	// Denied: the limiter refused the slot (see Outcome.Denial, RetryAt);
	// nothing reached the platform.
	Denied
	// Refused: the platform refused for good (see Outcome.Code); nothing
	// happened there.
	Refused
	// Unknown: the outcome is unknown (the queue retries with the same key).
	Unknown
)

// Outcome is what a worker reports for a task.
type Outcome struct {
	Kind    OutcomeKind
	At      time.Time // when the worker acted
	Denial  pacing.Denial
	RetryAt time.Time
	Code    platform.Code
}
