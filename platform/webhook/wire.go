package webhook

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/wire"
)

// The actions, as the last element of their path: POST {url}/v1/actions/{op}.
const (
	OpFollow   = "follow"
	OpInvite   = "invite"
	OpWithdraw = "withdraw"
	OpMessage  = "message"
)

// ActionsPath is the path prefix of the actions; EventsPath the path of the
// inbound events endpoint.
const (
	ActionsPath = "/v1/actions/"
	EventsPath  = "/v1/events"
)

// MaxBody bounds the bodies a receiver reads.
const MaxBody = 1 << 20

// MaxEventField bounds an event's account, person and key, in bytes.
const MaxEventField = 2048

// ActionRequest is the JSON body of an action. Empty fields are omitted.
type ActionRequest struct {
	Key      string    `json:"key"`                // idempotency key, also in the Idempotency-Key header
	Account  string    `json:"account"`            // sender account id
	Person   string    `json:"person"`             // the person's normalized key
	Campaign string    `json:"campaign,omitempty"` // for the record
	At       time.Time `json:"at"`                 // when the request is made, RFC 3339 with nanoseconds
	Variant  string    `json:"variant,omitempty"`  // invite: the note variant ("blank" for none)
	Note     string    `json:"note,omitempty"`     // invite: the note, "" for none
	Text     string    `json:"text,omitempty"`     // message: the text
	// Nonce is unique to each HTTP attempt, so that a retry sent within the
	// same second is not taken for a replay. Receivers need not read it.
	Nonce string `json:"nonce,omitempty"`
}

// Action returns the platform.Action of the request.
func (a *ActionRequest) Action() platform.Action {
	return platform.Action{Key: a.Key, Account: a.Account, Person: a.Person, Campaign: a.Campaign, At: a.At}
}

// ErrorResponse is the JSON body of a refusal (409 or 422), and of the
// events endpoint's every refusal (with its Reason).
type ErrorResponse struct {
	Code    platform.Code `json:"code"`
	Reason  string        `json:"reason,omitempty"` // the events endpoint's reason (see Reasons)
	Message string        `json:"message,omitempty"`
}

// EventRequest is the JSON body of an inbound event.
type EventRequest struct {
	Type    platform.EventType `json:"type"`    // accepted, declined, expired or replied
	Account string             `json:"account"` // the sender account
	Person  string             `json:"person"`  // the person's normalized key
	Key     string             `json:"key"`     // the invitation's idempotency key (replied: the message's)
	At      time.Time          `json:"at"`      // when it happened
	Nonce   string             `json:"nonce,omitempty"`
}

// EventRequestOf returns the wire form of ev, with a fresh nonce.
func EventRequestOf(ev wire.Event) EventRequest {
	return EventRequest{Type: ev.Type, Account: ev.Account, Person: ev.Person, Key: ev.Key, At: ev.At.UTC(), Nonce: Nonce()}
}

// Event checks the request and returns its wire.Event.
func (e *EventRequest) Event() (wire.Event, error) {
	switch e.Type {
	case platform.EventAccepted, platform.EventDeclined, platform.EventExpired, platform.EventReplied:
	default:
		return wire.Event{}, fmt.Errorf("unknown event type %q (want accepted, declined, expired or replied)", e.Type)
	}
	if e.Account == "" || e.Person == "" || e.Key == "" || e.At.IsZero() {
		return wire.Event{}, fmt.Errorf("an event needs account, person, key and at")
	}
	for _, f := range []struct {
		name string
		n    int
	}{{"account", len(e.Account)}, {"person", len(e.Person)}, {"key", len(e.Key)}} {
		if f.n > MaxEventField {
			return wire.Event{}, fmt.Errorf("%s of %d bytes (at most %d)", f.name, f.n, MaxEventField)
		}
	}
	return wire.Event{Type: e.Type, Account: e.Account, Person: e.Person, Key: e.Key, At: e.At}, nil
}

// Nonce returns 16 random hex digits.
func Nonce() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
