package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/outreach-scheduler/outreach/internal/logtrunc"
	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/wire"
)

// EventsHandler returns the inbound events endpoint of one process, with
// requests remembered in its memory and sink taking every well-formed
// signed event: NewEventsHandler with those options. The daemons use
// NewEventsHandler with a shared Replays and a Record that checks each
// event against what was sent.
func EventsHandler(keys Keys, now func() time.Time, sink func(wire.Event) error) http.Handler {
	return NewEventsHandler(EventsOptions{Keys: keys, Now: now, Record: func(_ context.Context, ev wire.Event) error { return sink(ev) }})
}

// EventsOptions configure NewEventsHandler.
type EventsOptions struct {
	// Keys verify the signatures (a request signed by any of the secrets
	// is taken); without a secret, every event is refused.
	Keys Keys
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Tolerance on the timestamps. Default DefaultTolerance.
	Tolerance time.Duration
	// Replays remembers the requests accepted (the webhook-id, or the
	// outreach-v1 signature). Default: this process's memory
	// (MemoryReplays).
	Replays Replays
	// Record takes a signed, well-formed event. It returns nil when the
	// event is taken (204), a *Rejection to refuse it for good (its
	// status), any other error when it could not be stored (503: the
	// request is forgotten, so that the same request, its webhook-id
	// included, may come again).
	Record func(ctx context.Context, ev wire.Event) error
	// OnReject, if set, is told the reason of every refusal.
	OnReject func(ctx context.Context, reason string)
	// Logger logs each refusal at WARN: its reason, status, and the
	// event's type, account and key, each cut to 64 bytes (never the
	// person). Default: discard.
	Logger *slog.Logger
}

// NewEventsHandler returns the inbound events endpoint: mount it at
// EventsPath (POST /v1/events). Each request carries one EventRequest,
// signed as the actions are. Every refusal is answered with
// {"code":"invalid","reason":R,"message":...} (see Reasons):
//   - 405 method, 413 too_large (a body over MaxBody), 400 unreadable;
//   - 401 signature (missing or bad, or no secret: events are never taken
//     unsigned), stale (a timestamp more than Tolerance from now), replayed
//     (a webhook-id, or with outreach-v1 a signature, Replays holds);
//   - 400 malformed: not an event (bad JSON, unknown type, a missing field,
//     a field over MaxEventField bytes);
//   - what Record refuses (a *Rejection: 422 unknown_account, in_future,
//     unknown_key, key_mismatch, before_send; 409 already_answered).
//
// It answers 503 when Replays or Record fail otherwise (retry the same
// request), and 204 once Record took the event.
func NewEventsHandler(o EventsOptions) http.Handler {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Tolerance <= 0 {
		o.Tolerance = DefaultTolerance
	}
	if o.Replays == nil {
		o.Replays = MemoryReplays(NewReplayCache(0))
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &eventsHandler{o: o}
}

type eventsHandler struct{ o EventsOptions }

func (h *eventsHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.refuse(w, r, nil, Reject(ReasonMethod, "POST only"))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		h.refuse(w, r, nil, Reject(ReasonTooLarge, "body over %d bytes", MaxBody))
		return
	case err != nil:
		h.refuse(w, r, nil, Reject(ReasonUnreadable, "the body did not arrive"))
		return
	}
	if h.o.Keys.Empty() {
		h.refuse(w, r, nil, Reject(ReasonSignature, "no secret configured: events are refused"))
		return
	}
	now := h.o.Now()
	v, err := Verify(h.o.Keys, r, body, now, h.o.Tolerance)
	if err != nil {
		reason := ReasonSignature
		if errors.Is(err, ErrStale) {
			reason = ReasonStale
		}
		h.refuse(w, r, nil, Reject(reason, "%v", err))
		return
	}
	fresh, err := h.o.Replays.Add(r.Context(), v.ReplayKey, v.Until, now)
	if err != nil {
		h.o.Logger.Warn("events endpoint: the replay check failed; answered 503", "err", err)
		WriteError(w, http.StatusServiceUnavailable, platform.CodeUnavailable, "the event could not be checked; retry")
		return
	}
	if !fresh {
		h.refuse(w, r, nil, Reject(ReasonReplayed, "%v", ErrReplayed))
		return
	}
	ev, err := DecodeEvent(body)
	if err != nil {
		// A definite answer: the same body will never be an event, so the
		// request stays recorded.
		h.refuse(w, r, nil, Reject(ReasonMalformed, "%v", err))
		return
	}
	err = h.o.Record(r.Context(), ev)
	var rej *Rejection
	switch {
	case err == nil:
		w.WriteHeader(http.StatusNoContent)
	case errors.As(err, &rej):
		h.refuse(w, r, &ev, rej)
	default:
		if ferr := h.o.Replays.Forget(context.WithoutCancel(r.Context()), v.ReplayKey); ferr != nil {
			h.o.Logger.Warn("events endpoint: forgetting a request", "err", ferr)
		}
		h.o.Logger.Warn("events endpoint: the event could not be stored; answered 503", "type", string(ev.Type), "account", clip(ev.Account), "err", err)
		WriteError(w, http.StatusServiceUnavailable, platform.CodeUnavailable, "the event could not be stored; retry")
	}
}

// refuse answers a refusal, logs it and tells OnReject.
func (h *eventsHandler) refuse(w http.ResponseWriter, r *http.Request, ev *wire.Event, rej *Rejection) {
	attrs := []any{"reason", rej.Reason, "status", rej.Status, "message", rej.Message, "remote", r.RemoteAddr}
	if ev != nil {
		attrs = append(attrs, "type", clip(string(ev.Type)), "account", clip(ev.Account), "key", clip(ev.Key))
	}
	h.o.Logger.Warn("event refused", attrs...)
	if h.o.OnReject != nil {
		h.o.OnReject(context.WithoutCancel(r.Context()), rej.Reason)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(rej.Status)
	json.NewEncoder(w).Encode(ErrorResponse{Code: platform.CodeInvalid, Reason: rej.Reason, Message: rej.Message})
}

// clip cuts a value from outside to 64 bytes for a log line.
func clip(s string) string { return logtrunc.String(s, 64) }

// DecodeEvent decodes and checks one EventRequest body. Unknown fields are
// ignored; trailing data is an error.
func DecodeEvent(body []byte) (wire.Event, error) {
	var q EventRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&q); err != nil {
		return wire.Event{}, fmt.Errorf("bad JSON: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return wire.Event{}, errors.New("bad JSON: data after the event")
	}
	return q.Event()
}

// PostEvent sends ev to url (the full address of an events endpoint),
// signed with keys at now (webhook-id: EventID of the body's fresh nonce;
// unsigned when keys has no secret). It returns an error unless the answer
// is 2xx.
func PostEvent(ctx context.Context, client *http.Client, url string, keys Keys, ev wire.Event, now time.Time) error {
	q := EventRequestOf(ev)
	body, err := json.Marshal(q)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	SignRequest(req, keys, EventID(q.Nonce), body, now)
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook: POST %s: HTTP %d%s", url, resp.StatusCode, snippet(msg))
	}
	return nil
}

// WriteError writes a JSON ErrorResponse with the given status.
func WriteError(w http.ResponseWriter, status int, code platform.Code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(ErrorResponse{Code: code, Message: msg})
}
