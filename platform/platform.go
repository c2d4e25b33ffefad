package platform

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Platform is a professional network as seen by one workspace: several
// sender accounts acting on people. Implementations must be safe for
// concurrent use.
type Platform interface {
	// Follow follows a person (one-way, needs no approval).
	Follow(ctx context.Context, r Action) error
	// Invite sends a connection request, with an optional note.
	Invite(ctx context.Context, r Invite) error
	// Withdraw withdraws a pending invitation.
	Withdraw(ctx context.Context, r Action) error
	// Message sends a message to a 1st-degree connection.
	Message(ctx context.Context, r Message) error
}

// Action is a request about one person by one account.
type Action struct {
	Key      string    // idempotency key: campaign/prospect/step
	Account  string    // sender account id
	Person   string    // the person's normalized key (e.g. profile URL)
	Campaign string    // campaign name, for the record
	At       time.Time // when the request is made (from the caller's clock)
}

// Invite is a connection request.
type Invite struct {
	Action
	Variant string // note variant name, "blank" for none
	Note    string // "" for a blank invitation
}

// Message is a message to a connection.
type Message struct {
	Action
	Text string
}

// EventType is what happened to an invitation on the platform's side.
type EventType string

// Event types reported by the platform.
const (
	EventAccepted EventType = "accepted"
	EventDeclined EventType = "declined"
	EventExpired  EventType = "expired" // the platform cancelled a pending invitation (~6 months)
	// EventReplied: the person answered in the conversation (a message of
	// the campaign, or on their own after accepting). Its Key is the
	// idempotency key of the message answered (or of the invitation, when
	// the person wrote first); the prospect is found by account and
	// person, as for the other events.
	EventReplied EventType = "replied"
)

// Event is something the platform reports about an invitation, or (replied)
// about the conversation that followed it.
type Event struct {
	Type    EventType
	Account string
	Person  string
	Key     string    // the invitation's idempotency key (replied: the message's)
	At      time.Time // when it happened
}

// Code classifies a refusal by the platform.
type Code string

// Refusal codes. The ones that concern the account's standing make the
// caller pause the account (see Error.Pause).
const (
	CodeWeeklyLimit      Code = "weekly_limit"      // the account reached its invitation limit
	CodeRestricted       Code = "restricted"        // the account is temporarily restricted
	CodeNoteAllowance    Code = "note_allowance"    // CUSTOM_INVITE_LIMIT_REACHED: no personalized notes left this month
	CodeNoteTooLong      Code = "note_too_long"     // the note exceeds the account's limit
	CodeDuplicate        Code = "duplicate"         // an invitation to this person is already pending
	CodeAlreadyConnected Code = "already_connected" // the person is already a connection
	CodeCooldown         Code = "cooldown"          // invited too recently after a withdrawal or expiry
	CodeDeclined         Code = "declined"          // the person declined an earlier invitation from this account
	CodeConnectionCap    Code = "connection_cap"    // the account has 30,000 connections
	CodeNotConnected     Code = "not_connected"     // a message to someone who is not a connection
	CodeNotPending       Code = "not_pending"       // withdrawing an invitation that is not pending
	CodeInvalidProfile   Code = "invalid_profile"   // the person's profile cannot be invited (deleted, deactivated, not found)
	CodeUnavailable      Code = "unavailable"       // transient: try again later
)

// Refusal codes for requests the platform cannot take at all: they point at a
// bug or a misconfiguration on the caller's side, not at the account's
// standing.
const (
	CodeUnknownAccount Code = "unknown_account" // the sender account is not known to the platform
	CodeInvalid        Code = "invalid"         // a malformed request: no idempotency key (or one ValidKey refuses), account, person or time
	CodeKeyConflict    Code = "key_conflict"    // the idempotency key was used before for a different request
)

// RefusalCodes are the definite refusals, in a fixed order: every Code
// but CodeUnavailable and CodeUnauthorized (failures, not answers). The
// label values of outreach_delivery_errors_total derive from them.
var RefusalCodes = []Code{
	CodeWeeklyLimit, CodeRestricted, CodeNoteAllowance, CodeNoteTooLong, CodeDuplicate,
	CodeAlreadyConnected, CodeCooldown, CodeDeclined, CodeConnectionCap, CodeNotConnected,
	CodeNotPending, CodeInvalidProfile, CodeUnknownAccount, CodeInvalid, CodeKeyConflict,
}

// Error is a refusal or failure reported by a driver.
type Error struct {
	Code Code
	// Retryable: the same request may succeed later (network trouble, 5xx).
	// A non-retryable error is a definite answer: the action did not happen.
	Retryable bool
	Msg       string
	// Fault, when set, says the integration failed, not the request (see
	// fault.go): its credentials, its transport or its server. The
	// request is as good as it was; deliveries to the integration pause.
	Fault Fault
	// NotPerformed, on a retryable error, says the request was refused
	// before anything happened (401/403): unlike other retryable errors,
	// whose outcome is unknown, the action certainly did not happen.
	NotPerformed bool
}

func (e *Error) Error() string {
	if e.Msg == "" {
		return fmt.Sprintf("platform: %s", e.Code)
	}
	return fmt.Sprintf("platform: %s: %s", e.Code, e.Msg)
}

// Pause reports whether the refusal concerns the account's standing, so
// that the account must stop sending for a while.
func (e *Error) Pause() bool { return e.Code == CodeWeeklyLimit || e.Code == CodeRestricted }

// Refused returns a definite (non-retryable) refusal.
func Refused(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// CodeOf returns the code of a platform error in err's chain, or "" when err
// is not a platform error.
func CodeOf(err error) Code {
	var pe *Error
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// IsRetryable reports whether err may succeed when retried: platform errors
// marked retryable, and any error that is not a platform error (transport
// failures whose outcome is unknown).
func IsRetryable(err error) bool {
	var pe *Error
	if errors.As(err, &pe) {
		return pe.Retryable
	}
	return err != nil
}
