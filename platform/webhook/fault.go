package webhook

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"strings"

	"github.com/outreach-scheduler/outreach/platform"
)

// transportFault classifies an error of the HTTP client (no answer came):
// a timeout, a TLS failure, or else a connection that could not be made or
// broke. Each is an unknown outcome (the request may have reached the
// integration before the failure), retried with the same key.
func transportFault(err error) platform.Fault {
	var (
		netErr     net.Error
		recordErr  tls.RecordHeaderError
		verifyErr  *tls.CertificateVerificationError
		alertErr   tls.AlertError
		unknownCA  x509.UnknownAuthorityError
		hostErr    x509.HostnameError
		invalidErr x509.CertificateInvalidError
	)
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return platform.FaultTimeout
	case errors.As(err, &recordErr), errors.As(err, &verifyErr), errors.As(err, &alertErr),
		errors.As(err, &unknownCA), errors.As(err, &hostErr), errors.As(err, &invalidErr),
		strings.Contains(err.Error(), "tls: "):
		return platform.FaultTLS
	}
	return platform.FaultConnection
}
