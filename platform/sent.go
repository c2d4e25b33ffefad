package platform

import (
	"errors"
	"time"
)

// Sent is an invitation the platform accepted, as the platform recorded
// it, with the recipient's answer when there is one. A driver that can
// list them lets outreach rebuild its state after its Redis lost its data
// (see package install): the caps, gaps and dedupe come back from the
// platform's own record instead of starting over.
type Sent struct {
	Key      string    // the invitation's idempotency key
	Account  string    // the sender account
	Person   string    // the person's normalized key
	Campaign string    // the campaign the request named
	Variant  string    // the note variant ("blank" for none); "" when unknown
	Note     bool      // the invitation carried a personalized note
	At       time.Time // when the platform accepted it
	// Answer is what became of the invitation; "" while it is pending.
	Answer     Answer
	AnsweredAt time.Time // when it was answered, withdrawn or expired; zero while pending
}

// Answer is what became of a sent invitation.
type Answer string

// The answers of a sent invitation; "" is pending.
const (
	AnswerAccepted  Answer = "accepted"
	AnswerDeclined  Answer = "declined"
	AnswerWithdrawn Answer = "withdrawn" // the sender withdrew it
	AnswerExpired   Answer = "expired"   // the platform cancelled it (~6 months)
)

// Valid reports whether a is one of the answers (or "" for pending).
func (a Answer) Valid() bool {
	switch a {
	case "", AnswerAccepted, AnswerDeclined, AnswerWithdrawn, AnswerExpired:
		return true
	}
	return false
}

// ErrNoSentRecord is returned (wrapped) by a driver asked for the sent
// invitations when the platform behind it cannot answer: a webhook
// integration without the optional request, a sandbox that keeps only
// violations.
var ErrNoSentRecord = errors.New("platform: the platform cannot list the invitations it received")
