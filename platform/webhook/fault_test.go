package webhook_test

import (
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/platform/webhook"
)

// answer answers every action request with status and body, without
// passing it on.
func answer(status int, body string) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !strings.HasPrefix(r.URL.Path, webhook.ActionsPath) {
				h.ServeHTTP(w, r)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			w.Write([]byte(body))
		})
	}
}

// hangUp closes the connection of every action request without an answer.
func hangUp(http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	})
}

// TestFaultsClassified: each way an integration can fail is told apart
// from the platform's answers: 401/403 refuse before acting (not
// performed, not retried by the driver), a 5xx that is not a protocol
// answer, a dropped connection, a timeout and a TLS failure are faults of
// the integration with an unknown outcome (retried by the driver, then
// reported retryable with the fault), and a 503 carrying the protocol's
// "unavailable" is the platform's transient answer, not a fault.
func TestFaultsClassified(t *testing.T) {
	cases := []struct {
		name     string
		wrap     func(http.Handler) http.Handler
		code     platform.Code
		fault    platform.Fault
		notDone  bool
		attempts int64
		leak     string // must not appear in the message
	}{
		{"403", answer(http.StatusForbidden, `{"code":"invalid","message":"forbidden"}`), platform.CodeUnauthorized, platform.FaultAuth, true, 1, ""},
		{"401 without a body", answer(http.StatusUnauthorized, ``), platform.CodeUnauthorized, platform.FaultAuth, true, 1, ""},
		{"500", answer(http.StatusInternalServerError, `panic: person https://example.com/in/ann`), platform.CodeUnavailable, platform.FaultServer, false, 3, "example.com"},
		{"429", answer(http.StatusTooManyRequests, `slow down`), platform.CodeUnavailable, platform.FaultServer, false, 3, ""},
		{"503 unavailable (the platform's answer)", answer(http.StatusServiceUnavailable, `{"code":"unavailable","message":"later"}`), platform.CodeUnavailable, "", false, 3, ""},
		{"connection closed", hangUp, platform.CodeUnavailable, platform.FaultConnection, false, 3, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, c.wrap, webhook.Options{Retries: 2})
			err := f.drv.Invite(t.Context(), invite("k1", "ann", ""))
			pe := wantCode(t, err, c.code, true)
			if pe.Fault != c.fault || pe.NotPerformed != c.notDone || platform.IsNotPerformed(err) != c.notDone || platform.FaultOf(err) != c.fault {
				t.Errorf("%+v: want fault %q, not performed %v", pe, c.fault, c.notDone)
			}
			if n := f.hits.Load(); n != c.attempts {
				t.Errorf("%d attempts, want %d", n, c.attempts)
			}
			if c.leak != "" && strings.Contains(pe.Error(), c.leak) {
				t.Errorf("the message quotes the failing server's body: %v", pe)
			}
			if n := len(f.model.Record()); n != 0 {
				t.Errorf("%d requests reached the model", n)
			}
		})
	}
}

func TestTransportFaults(t *testing.T) {
	// Nobody listens: connection refused.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	d, err := webhook.New(webhook.Options{URL: closed, Keys: webhook.StandardKeys(secret), Now: clock, Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	if f := platform.FaultOf(d.Invite(t.Context(), invite("k1", "ann", ""))); f != platform.FaultConnection {
		t.Errorf("connection refused: fault %q, want connection", f)
	}

	// A server whose certificate the client does not trust.
	tlsSrv := httptest.NewUnstartedServer(http.NotFoundHandler())
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // the handshake error it logs is expected
	tlsSrv.StartTLS()
	defer tlsSrv.Close()
	d, err = webhook.New(webhook.Options{URL: tlsSrv.URL, Keys: webhook.StandardKeys(secret), Now: clock, Retries: -1, Client: &http.Client{}})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Invite(t.Context(), invite("k1", "ann", "")); platform.FaultOf(err) != platform.FaultTLS || !platform.IsRetryable(err) {
		t.Errorf("untrusted certificate: %v (fault %q), want a retryable tls fault", err, platform.FaultOf(err))
	}
	// No answer within the timeout.
	release := make(chan struct{})
	defer close(release)
	hang := func(http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		})
	}
	f := newFixture(t, hang, webhook.Options{Timeout: 20 * time.Millisecond, Retries: 1})
	if err := f.drv.Invite(t.Context(), invite("k1", "ann", "")); platform.FaultOf(err) != platform.FaultTimeout || platform.IsNotPerformed(err) {
		t.Errorf("timeout: %v (fault %q), want timeout", err, platform.FaultOf(err))
	}
}
