package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/outreach-scheduler/outreach/platform"
)

// SentPath is the path of the optional "sent invitations" request.
const SentPath = "/v1/invitations/sent"

// MaxSentBody bounds the answer to a sent-invitations request the driver
// reads (about a million invitations).
const MaxSentBody = 256 << 20

// SentID returns the webhook-id of one attempt of a sent-invitations
// request: "sent#", the attempt (1, 2, ...), ".", the body's nonce.
func SentID(attempt int, nonce string) string {
	return "sent#" + strconv.Itoa(attempt) + "." + nonce
}

// SentRequest is the JSON body of POST {url}/v1/invitations/sent.
type SentRequest struct {
	// Since asks for the invitations sent at or after it; omitted: all of
	// them.
	Since time.Time `json:"since,omitzero"`
	Nonce string    `json:"nonce,omitempty"` // unique per attempt, as for actions
}

// SentInvitation is one invitation in the answer.
type SentInvitation struct {
	Key      string    `json:"key"`               // the invitation's idempotency key
	Account  string    `json:"account"`           // the sender account
	Person   string    `json:"person"`            // the person's normalized key
	Campaign string    `json:"campaign"`          // the campaign the action named
	At       time.Time `json:"at"`                // when the platform accepted it
	Variant  string    `json:"variant,omitempty"` // the note variant, "blank" for none
	Note     bool      `json:"note,omitempty"`    // a personalized note was sent
	Answer   string    `json:"answer,omitempty"`  // accepted | declined | withdrawn | expired; omitted while pending
	Answered time.Time `json:"answered,omitzero"` // when it was answered (required with answer)
}

// SentResponse is the JSON body of the answer (200).
type SentResponse struct {
	Invitations []SentInvitation `json:"invitations"`
}

// SentOf returns the wire form of s.
func SentOf(s platform.Sent) SentInvitation {
	return SentInvitation{
		Key: s.Key, Account: s.Account, Person: s.Person, Campaign: s.Campaign, At: s.At.UTC(),
		Variant: s.Variant, Note: s.Note, Answer: string(s.Answer), Answered: s.AnsweredAt.UTC(),
	}
}

// Sent checks the invitation and returns its platform.Sent.
func (s *SentInvitation) Sent() (platform.Sent, error) {
	a := platform.Answer(s.Answer)
	switch {
	case s.Key == "" || s.Account == "" || s.Person == "" || s.Campaign == "" || s.At.IsZero():
		return platform.Sent{}, fmt.Errorf("an invitation needs key, account, person, campaign and at")
	case !a.Valid():
		return platform.Sent{}, fmt.Errorf("unknown answer %q (want accepted, declined, withdrawn or expired)", s.Answer)
	case a != "" && s.Answered.IsZero():
		return platform.Sent{}, fmt.Errorf("answer %q without its time (answered)", s.Answer)
	}
	out := platform.Sent{
		Key: s.Key, Account: s.Account, Person: s.Person, Campaign: s.Campaign, At: s.At,
		Variant: s.Variant, Note: s.Note, Answer: a,
	}
	if a != "" {
		out.AnsweredAt = s.Answered
	}
	return out, nil
}

// SentInvitations asks the integration for the invitations it sent at or
// after since (the zero time: all), with POST {url}/v1/invitations/sent,
// signed like an action. An integration that does not implement the
// request answers 404, 405 or 501: the driver then returns an error
// wrapping platform.ErrNoSentRecord. Any other failure (after the
// driver's retries) is returned as it is: the caller may ask again.
func (d *Driver) SentInvitations(ctx context.Context, since time.Time) ([]platform.Sent, error) {
	url := d.base + SentPath
	var last error
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		out, retry, err := d.sentAttempt(ctx, url, since, attempt+1)
		if err == nil || !retry {
			return out, err
		}
		last = err
		if attempt >= d.opt.Retries {
			return nil, fmt.Errorf("webhook: sent invitations: gave up after %d attempts: %w", d.opt.Retries+1, last)
		}
		if err := sleep(ctx, d.backoff(attempt)); err != nil {
			return nil, err
		}
	}
}

// sentAttempt makes one request; retry says whether a failure may pass.
func (d *Driver) sentAttempt(ctx context.Context, url string, since time.Time, n int) (_ []platform.Sent, retry bool, _ error) {
	q := SentRequest{Nonce: Nonce()}
	if !since.IsZero() {
		q.Since = since.UTC()
	}
	body, err := json.Marshal(q)
	if err != nil {
		return nil, false, fmt.Errorf("webhook: encoding the sent-invitations request: %w", err)
	}
	// The answer may be long: a minute at least per attempt.
	ctx, cancel := context.WithTimeout(ctx, max(d.opt.Timeout, time.Minute))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, false, fmt.Errorf("webhook: building the sent-invitations request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	SignRequest(req, d.opt.Keys, SentID(n, q.Nonce), body, d.opt.Now())
	resp, err := d.opt.Client.Do(req)
	if err != nil {
		return nil, true, fmt.Errorf("webhook: sent invitations: %w", err)
	}
	defer resp.Body.Close()
	switch st := resp.StatusCode; {
	case st == http.StatusNotFound || st == http.StatusMethodNotAllowed || st == http.StatusNotImplemented:
		return nil, false, fmt.Errorf("webhook: POST %s answered HTTP %d: %w", SentPath, st, platform.ErrNoSentRecord)
	case st == http.StatusTooManyRequests || st >= 500:
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return nil, true, fmt.Errorf("webhook: sent invitations: HTTP %d%s", st, snippet(msg))
	case st != http.StatusOK:
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return nil, false, fmt.Errorf("webhook: sent invitations: HTTP %d%s", st, snippet(msg))
	}
	var r SentResponse
	dec := json.NewDecoder(io.LimitReader(resp.Body, MaxSentBody))
	if err := dec.Decode(&r); err != nil {
		return nil, false, fmt.Errorf("webhook: sent invitations: bad answer: %w", err)
	}
	out := make([]platform.Sent, 0, len(r.Invitations))
	for i := range r.Invitations {
		s, err := r.Invitations[i].Sent()
		if err != nil {
			return nil, false, fmt.Errorf("webhook: sent invitations: invitation %d: %w", i+1, err)
		}
		out = append(out, s)
	}
	return out, false, nil
}
