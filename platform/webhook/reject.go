package webhook

import (
	"fmt"
	"net/http"
)

// The reasons the events endpoint gives for refusing a request (the
// "reason" of its JSON answer, the label of outreach_events_rejected_total).
const (
	ReasonMethod         = "method"           // 405: not a POST
	ReasonTooLarge       = "too_large"        // 413: a body over MaxBody
	ReasonUnreadable     = "unreadable"       // 400: the body did not arrive (cut, or too slow)
	ReasonSignature      = "signature"        // 401: a missing or bad signature (or no secret configured)
	ReasonStale          = "stale"            // 401: a timestamp more than the tolerance from the receiver's clock
	ReasonReplayed       = "replayed"         // 401: a signature accepted before, within the tolerance window
	ReasonMalformed      = "malformed"        // 400: not an event (bad JSON, unknown type, a missing or oversized field)
	ReasonUnknownAccount = "unknown_account"  // 422: the account is not in the configuration
	ReasonInFuture       = "in_future"        // 422: the event is dated after now plus the skew
	ReasonUnknownKey     = "unknown_key"      // 422: no invitation delivered with that key
	ReasonKeyMismatch    = "key_mismatch"     // 422: the key's invitation was sent by another account or to another person
	ReasonBeforeSend     = "before_send"      // 422: the event is dated before the invitation was sent, minus the skew
	ReasonAnswered       = "already_answered" // 409: another answer is recorded for the invitation
)

// Reasons lists every reason, in the order above: a fixed label set.
var Reasons = []string{
	ReasonMethod, ReasonTooLarge, ReasonUnreadable, ReasonSignature, ReasonStale, ReasonReplayed, ReasonMalformed,
	ReasonUnknownAccount, ReasonInFuture, ReasonUnknownKey, ReasonKeyMismatch, ReasonBeforeSend, ReasonAnswered,
}

// Rejection is a definite refusal of an event: the endpoint answers
// Status with {"code":"invalid","reason":Reason,"message":Message}, and
// keeps the request's signature recorded (the same request will never be
// taken).
type Rejection struct {
	Status  int
	Reason  string
	Message string // no personal data: it is answered and logged
}

func (r *Rejection) Error() string { return fmt.Sprintf("event refused (%s): %s", r.Reason, r.Message) }

// Reject returns a Rejection of reason with its conventional status
// (422, 409 for ReasonAnswered, 400 for ReasonMalformed).
func Reject(reason, format string, args ...any) *Rejection {
	status := http.StatusUnprocessableEntity
	switch reason {
	case ReasonAnswered:
		status = http.StatusConflict
	case ReasonMalformed, ReasonUnreadable:
		status = http.StatusBadRequest
	case ReasonSignature, ReasonStale, ReasonReplayed:
		status = http.StatusUnauthorized
	case ReasonTooLarge:
		status = http.StatusRequestEntityTooLarge
	case ReasonMethod:
		status = http.StatusMethodNotAllowed
	}
	return &Rejection{Status: status, Reason: reason, Message: fmt.Sprintf(format, args...)}
}
