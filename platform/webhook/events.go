package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/wire"
)

// EventsHandler returns the inbound events endpoint: mount it at EventsPath
// (POST /v1/events). Each request carries one EventRequest, signed as the
// actions are. It answers
//   - 401 on a missing or bad signature, a timestamp more than
//     DefaultTolerance from now(), or a replayed signature (and always when
//     secret is empty: events are never taken unsigned);
//   - 405 on a method other than POST, 413 on a body over MaxBody;
//   - 400 on a body that is not an event (bad JSON, unknown type, a missing
//     field);
//   - 503 when sink fails (the signature is forgotten, so the same request
//     may be retried);
//   - 204 once sink took the event.
func EventsHandler(secret []byte, now func() time.Time, sink func(wire.Event) error) http.Handler {
	if now == nil {
		now = time.Now
	}
	return &eventsHandler{secret: secret, now: now, sink: sink, replay: NewReplayCache(0)}
}

type eventsHandler struct {
	secret []byte
	now    func() time.Time
	sink   func(wire.Event) error
	replay *ReplayCache
}

func (h *eventsHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		WriteError(w, http.StatusMethodNotAllowed, platform.CodeInvalid, "POST only")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		WriteError(w, http.StatusRequestEntityTooLarge, platform.CodeInvalid, "body too large or unreadable")
		return
	}
	if len(h.secret) == 0 {
		WriteError(w, http.StatusUnauthorized, platform.CodeInvalid, "no secret configured: events are refused")
		return
	}
	sig, err := VerifyAndRecord(h.secret, h.replay, r, body, h.now(), DefaultTolerance)
	if err != nil {
		WriteError(w, http.StatusUnauthorized, platform.CodeInvalid, err.Error())
		return
	}
	ev, err := DecodeEvent(body)
	if err != nil {
		// A definite answer: the same body will never be an event, so the
		// signature stays recorded.
		WriteError(w, http.StatusBadRequest, platform.CodeInvalid, err.Error())
		return
	}
	if err := h.sink(ev); err != nil {
		h.replay.Forget(sig)
		WriteError(w, http.StatusServiceUnavailable, platform.CodeUnavailable, "the event could not be stored; retry")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

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
// signed with secret at now. It returns an error unless the answer is 2xx.
func PostEvent(ctx context.Context, client *http.Client, url string, secret []byte, ev wire.Event, now time.Time) error {
	body, err := json.Marshal(EventRequestOf(ev))
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if len(secret) > 0 {
		SignRequest(req, secret, body, now)
	}
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
