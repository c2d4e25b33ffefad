package platform

import "errors"

// CodeUnauthorized is the code of a request the integration refused before
// acting on it because it could not authenticate it (HTTP 401 or 403: a
// wrong secret, or clocks more than the signature tolerance apart). The
// error is retryable and NotPerformed, with Fault FaultAuth: the request
// itself is fine, and the same request succeeds once the integration is
// fixed.
const CodeUnauthorized Code = "unauthorized"

// Fault classifies a failure of the integration itself, as opposed to an
// answer about the request (a refusal, a limit). A fault says nothing about
// the prospect: the action is retried unchanged (the same idempotency key)
// once the integration works again, and a worker pauses its deliveries to
// the integration meanwhile. The values are the reasons of the metric
// outreach_delivery_errors_total.
type Fault string

// Faults.
const (
	FaultAuth       Fault = "auth"         // 401/403: refused before acting (not performed)
	FaultTLS        Fault = "tls"          // the TLS handshake or the certificate failed
	FaultConnection Fault = "connection"   // no connection, or it broke (refused, reset, closed, DNS)
	FaultTimeout    Fault = "timeout"      // no answer within the driver's timeout
	FaultServer     Fault = "server_error" // 5xx or 429 that is not a protocol answer
)

// Faults lists every Fault, in a fixed order.
var Faults = []Fault{FaultAuth, FaultTLS, FaultConnection, FaultTimeout, FaultServer}

// FaultOf returns the integration fault of err's chain, or "" when err is
// not one (nil, a refusal, a transient answer of the platform itself).
func FaultOf(err error) Fault {
	var pe *Error
	if errors.As(err, &pe) {
		return pe.Fault
	}
	return ""
}

// IsNotPerformed reports whether err is a retryable failure of a request
// that certainly did not happen (see Error.NotPerformed): the caller may
// free what it reserved for the action and try it again later with the
// same key.
func IsNotPerformed(err error) bool {
	var pe *Error
	return errors.As(err, &pe) && pe.Retryable && pe.NotPerformed
}
