package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/outreach-scheduler/outreach/platform"
)

// Driver defaults.
const (
	DefaultTimeout = 10 * time.Second
	DefaultRetries = 3
	DefaultBackoff = 200 * time.Millisecond
	maxBackoff     = 30 * time.Second
)

// Options configure a Driver. Zero values select the defaults.
type Options struct {
	// URL is the base of the user's endpoint: actions go to
	// URL + "/v1/actions/{op}". Required, http or https.
	URL string
	// Keys sign the requests (the scheme, and one secret or two while
	// rotating). Required: the driver never sends unsigned requests.
	Keys Keys
	// Timeout bounds each attempt (DefaultTimeout, 10s).
	Timeout time.Duration
	// Retries is how many times a retryable failure (network error, 429,
	// 5xx, timeout) is retried before the driver gives up with a retryable
	// platform.CodeUnavailable: DefaultRetries (3) when 0, none when
	// negative.
	Retries int
	// Backoff is the wait before the first retry (DefaultBackoff, 200ms),
	// doubled before each further one, with full jitter: each wait is drawn
	// uniformly from [Backoff·2ⁿ/2, Backoff·2ⁿ], capped at 30s.
	Backoff time.Duration
	// Rand draws the jitter, in [0, 1). Default: math/rand/v2.Float64.
	Rand func() float64
	// Client sends the requests. Default: a client without its own timeout
	// (Timeout applies per attempt).
	Client *http.Client
	// Now is the clock of the signatures' timestamps. Default time.Now.
	Now func() time.Time
}

// Driver is the webhook platform driver: it POSTs each action to the user's
// endpoint, signed. It implements platform.Platform and is safe for
// concurrent use.
type Driver struct {
	base string
	opt  Options
}

var _ platform.Platform = (*Driver)(nil)

// New returns a driver, or an error when the options are unusable.
func New(opt Options) (*Driver, error) {
	switch {
	case !strings.HasPrefix(opt.URL, "http://") && !strings.HasPrefix(opt.URL, "https://"):
		return nil, fmt.Errorf("webhook: url %q: want http:// or https://", opt.URL)
	case opt.Keys.Empty():
		return nil, errors.New("webhook: no secret")
	case opt.Timeout < 0, opt.Backoff < 0:
		return nil, errors.New("webhook: negative timeout or backoff")
	}
	if _, err := ParseScheme(string(opt.Keys.Scheme)); err != nil {
		return nil, err
	}
	if opt.Timeout == 0 {
		opt.Timeout = DefaultTimeout
	}
	if opt.Retries == 0 {
		opt.Retries = DefaultRetries
	}
	if opt.Retries < 0 {
		opt.Retries = 0
	}
	if opt.Backoff == 0 {
		opt.Backoff = DefaultBackoff
	}
	if opt.Rand == nil {
		opt.Rand = rand.Float64
	}
	if opt.Client == nil {
		opt.Client = &http.Client{}
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &Driver{base: strings.TrimRight(opt.URL, "/"), opt: opt}, nil
}

// Follow POSTs /v1/actions/follow.
func (d *Driver) Follow(ctx context.Context, r platform.Action) error {
	return d.send(ctx, OpFollow, actionRequest(r))
}

// Invite POSTs /v1/actions/invite.
func (d *Driver) Invite(ctx context.Context, r platform.Invite) error {
	q := actionRequest(r.Action)
	q.Variant, q.Note = r.Variant, r.Note
	return d.send(ctx, OpInvite, q)
}

// Withdraw POSTs /v1/actions/withdraw.
func (d *Driver) Withdraw(ctx context.Context, r platform.Action) error {
	return d.send(ctx, OpWithdraw, actionRequest(r))
}

// Message POSTs /v1/actions/message.
func (d *Driver) Message(ctx context.Context, r platform.Message) error {
	q := actionRequest(r.Action)
	q.Text = r.Text
	return d.send(ctx, OpMessage, q)
}

func actionRequest(a platform.Action) ActionRequest {
	return ActionRequest{Key: a.Key, Account: a.Account, Person: a.Person, Campaign: a.Campaign, At: a.At.UTC()}
}

// send delivers one action with retries. It returns nil on 2xx, a definite
// *platform.Error on a refusal (CodeInvalid, unsent, for a key
// platform.ValidKey refuses), ctx's error when ctx ends, and a retryable
// *platform.Error when every attempt failed.
func (d *Driver) send(ctx context.Context, op string, q ActionRequest) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !platform.ValidKey(q.Key) {
		// Refused before sending, as the sandbox model refuses it: a key
		// the Idempotency-Key header cannot carry unchanged would fail in
		// the HTTP client (taken for a connection fault) or reach the
		// integration altered.
		return platform.Refused(platform.CodeInvalid, "%s: key %q: want valid UTF-8 without control characters or a space at either end", op, q.Key)
	}
	url := d.base + ActionsPath + op
	var last error
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		q.Nonce = Nonce()
		err := d.attempt(ctx, url, &q, attempt+1)
		if err == nil || !platform.IsRetryable(err) || platform.IsNotPerformed(err) {
			return err // done, refused, or not authenticated (no use trying again now)
		}
		if ctx.Err() != nil {
			return ctx.Err() // the outcome is unknown: retryable for the caller
		}
		last = err
		if attempt >= d.opt.Retries {
			break
		}
		if err := sleep(ctx, d.backoff(attempt)); err != nil {
			return err
		}
	}
	return &platform.Error{Code: platform.CodeUnavailable, Retryable: true, Fault: platform.FaultOf(last),
		Msg: fmt.Sprintf("%s %s: gave up after %d attempts: %v", op, q.Key, d.opt.Retries+1, last)}
}

// backoff returns the wait before retry n+1.
func (d *Driver) backoff(n int) time.Duration {
	b := d.opt.Backoff << min(n, 20)
	if b > maxBackoff || b <= 0 {
		b = maxBackoff
	}
	return b/2 + time.Duration(d.opt.Rand()*float64(b/2))
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// attempt makes one HTTP request. A transport failure or a 429/5xx answer
// is returned as a retryable error.
func (d *Driver) attempt(ctx context.Context, url string, q *ActionRequest, n int) error {
	body, err := json.Marshal(q)
	if err != nil {
		return platform.Refused(platform.CodeInvalid, "encoding the request: %v", err)
	}
	ctx, cancel := context.WithTimeout(ctx, d.opt.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return platform.Refused(platform.CodeInvalid, "building the request: %v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderIdempotencyKey, q.Key)
	SignRequest(req, d.opt.Keys, ActionID(q.Key, n, q.Nonce), body, d.opt.Now())
	resp, err := d.opt.Client.Do(req)
	if err != nil {
		return &platform.Error{Code: platform.CodeUnavailable, Retryable: true, Fault: transportFault(err), Msg: err.Error()}
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused
	return classify(resp.StatusCode, msg)
}

// classify maps an HTTP answer to the driver's result.
func classify(status int, body []byte) error {
	switch {
	case status >= 200 && status < 300:
		return nil
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		// Refused before anything happened: a fault of the integration's
		// setup (the secret, the clocks), not of the request.
		return &platform.Error{Code: platform.CodeUnauthorized, Retryable: true, NotPerformed: true, Fault: platform.FaultAuth,
			Msg: fmt.Sprintf("HTTP %d%s", status, snippet(body))}
	case status == http.StatusTooManyRequests || status >= 500:
		var er ErrorResponse
		if json.Unmarshal(body, &er) == nil && er.Code == platform.CodeUnavailable {
			// A protocol answer: the integration works, the platform behind
			// it could not take this request now.
			return &platform.Error{Code: platform.CodeUnavailable, Retryable: true, Msg: fmt.Sprintf("HTTP %d: %s", status, er.Message)}
		}
		// The body of a failing server is not quoted: it may echo the
		// request (a person, a note), and this message reaches the logs.
		return &platform.Error{Code: platform.CodeUnavailable, Retryable: true, Fault: platform.FaultServer,
			Msg: fmt.Sprintf("HTTP %d %s", status, http.StatusText(status))}
	case status == http.StatusConflict || status == http.StatusUnprocessableEntity:
		var er ErrorResponse
		if json.Unmarshal(body, &er) == nil && er.Code != "" {
			return &platform.Error{Code: er.Code, Retryable: er.Code == platform.CodeUnavailable, Msg: er.Message}
		}
	}
	return platform.Refused(platform.CodeInvalid, "HTTP %d%s", status, snippet(body))
}

// snippet returns the start of a response body for an error message.
func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	if s == "" {
		return ""
	}
	return ": " + s
}
