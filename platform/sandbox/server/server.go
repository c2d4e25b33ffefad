// Package server serves the sandbox platform model (package
// platform/sandbox) over HTTP, speaking the webhook protocol of package
// platform/webhook: it is `outreach sandbox`, a stand-in for a user's
// integration in end-to-end tests, and their referee.
//
// Routes:
//
//	POST /v1/actions/{follow|invite|withdraw|message}
//	    an action, signed (when Options.Keys has a secret); answered 204, or
//	    409 / 422 {"code","message"} with the model's refusal, or 503
//	    {"code":"unavailable"} on a configured transient failure
//	    (sandbox.Refusal)
//	GET  /v1/invitations
//	    {"requests":[sandbox.Entry...],"violations":[sandbox.Entry...]}:
//	    every request received (repeats and refusals included) and every
//	    refused one
//	POST /v1/invitations/sent
//	    the webhook protocol's optional "sent invitations" request,
//	    signed (when Options.Keys has a secret): {"invitations":[...]}, every
//	    invitation the model accepted since the request's "since", with
//	    its answer (sandbox.Model.SentInvitations)
//	GET  /v1/events?since=N
//	    {"events":[{"seq",...event}],"next":M}: the answers that fell due
//	    by now (Options.Now), numbered from 1; poll with since=next
//
// The model never reads a clock: each action is applied at its own "at",
// and answers fall due when the server's clock passes them, at a GET
// /v1/events or a Flush. Flush also pushes them, signed, to
// Options.EventsURL.
package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/platform/sandbox"
	"github.com/outreach-scheduler/outreach/platform/webhook"
	"github.com/outreach-scheduler/outreach/wire"
)

// Options configure a Server.
type Options struct {
	// Keys verify the actions' signatures, in their scheme (standard or
	// outreach-v1; any of the secrets), and sign pushed events (with every
	// secret). No secret: requests are not verified (nor events signed).
	Keys webhook.Keys
	// Tolerance on the actions' timestamps; default webhook.DefaultTolerance.
	Tolerance time.Duration
	// Now is the server's clock: signature timestamps and answers falling
	// due. Default time.Now.
	Now func() time.Time
	// EventsURL is where Flush POSTs answers (the full address, such as
	// http://127.0.0.1:8381/v1/events). Empty: answers are only polled.
	EventsURL string
	// Client sends the events. Default: a client with a 10s timeout.
	Client *http.Client
	// Logger; default: discard. Never given note texts, person keys or
	// idempotency keys above debug level.
	Logger *slog.Logger
}

// Server is the sandbox model as an http.Handler. It is safe for
// concurrent use.
type Server struct {
	model  *sandbox.Model
	opt    Options
	replay *webhook.ReplayCache
	mux    *http.ServeMux

	mu     sync.Mutex
	events []wire.Event // every answer delivered by the model, in order; seq = index+1
	pushed int          // events[:pushed] were pushed to EventsURL

	flushMu sync.Mutex // one Flush at a time, so events are pushed in order
}

// New returns a server for model.
func New(model *sandbox.Model, opt Options) *Server {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Tolerance <= 0 {
		opt.Tolerance = webhook.DefaultTolerance
	}
	if opt.Client == nil {
		opt.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{model: model, opt: opt, replay: webhook.NewReplayCache(0), mux: http.NewServeMux()}
	s.mux.HandleFunc("POST "+webhook.ActionsPath+"{op}", s.action)
	s.mux.HandleFunc("GET /v1/invitations", s.invitations)
	s.mux.HandleFunc("POST "+webhook.SentPath, s.sent)
	s.mux.HandleFunc("GET "+webhook.EventsPath, s.poll)
	return s
}

// ServeHTTP serves the routes of the package documentation.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func (s *Server) action(w http.ResponseWriter, r *http.Request) {
	op := r.PathValue("op")
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, webhook.MaxBody))
	if err != nil {
		webhook.WriteError(w, http.StatusRequestEntityTooLarge, platform.CodeInvalid, "body too large or unreadable")
		return
	}
	if !s.opt.Keys.Empty() {
		// A request (its webhook-id; with outreach-v1 its signature) stays
		// recorded once verified: the driver signs every attempt anew (a
		// fresh id and nonce), retries after a 503 included.
		if _, err := webhook.VerifyAndRecord(s.opt.Keys, s.replay, r, body, s.opt.Now(), s.opt.Tolerance); err != nil {
			s.opt.Logger.Warn("action refused", "op", op, "reason", err.Error())
			webhook.WriteError(w, http.StatusUnauthorized, platform.CodeInvalid, err.Error())
			return
		}
	}
	var q webhook.ActionRequest
	if err := json.Unmarshal(body, &q); err != nil {
		webhook.WriteError(w, http.StatusBadRequest, platform.CodeInvalid, "bad JSON: "+err.Error())
		return
	}
	if h := r.Header.Get(webhook.HeaderIdempotencyKey); h != "" && h != q.Key {
		webhook.WriteError(w, http.StatusUnprocessableEntity, platform.CodeInvalid, "the Idempotency-Key header differs from the body's key")
		return
	}
	ctx := r.Context()
	switch op {
	case webhook.OpFollow:
		err = s.model.Follow(ctx, q.Action())
	case webhook.OpInvite:
		err = s.model.Invite(ctx, platform.Invite{Action: q.Action(), Variant: q.Variant, Note: q.Note})
	case webhook.OpWithdraw:
		err = s.model.Withdraw(ctx, q.Action())
	case webhook.OpMessage:
		err = s.model.Message(ctx, platform.Message{Action: q.Action(), Text: q.Text})
	default:
		webhook.WriteError(w, http.StatusNotFound, platform.CodeInvalid, "unknown action "+strconv.Quote(op))
		return
	}
	var pe *platform.Error
	switch {
	case err == nil:
		s.opt.Logger.Info("action", "op", op, "account", q.Account, "result", "ok")
		s.opt.Logger.Debug("action detail", "op", op, "key", q.Key, "person", q.Person)
		w.WriteHeader(http.StatusNoContent)
	case errors.As(err, &pe):
		s.opt.Logger.Info("action", "op", op, "account", q.Account, "result", string(pe.Code))
		status := http.StatusConflict
		switch {
		case pe.Retryable: // a configured transient failure: try again later
			status = http.StatusServiceUnavailable
		case pe.Code == platform.CodeInvalid, pe.Code == platform.CodeUnknownAccount, pe.Code == platform.CodeKeyConflict:
			status = http.StatusUnprocessableEntity
		}
		webhook.WriteError(w, status, pe.Code, pe.Msg)
	default: // the request's context ended: not received
		webhook.WriteError(w, http.StatusServiceUnavailable, platform.CodeUnavailable, err.Error())
	}
}

// Invitations is the body of GET /v1/invitations.
type Invitations struct {
	Requests   []sandbox.Entry `json:"requests"`
	Violations []sandbox.Entry `json:"violations"`
}

func (s *Server) invitations(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, Invitations{Requests: nonNil(s.model.Record()), Violations: nonNil(s.model.Violations())})
}

func nonNil(e []sandbox.Entry) []sandbox.Entry {
	if e == nil {
		return []sandbox.Entry{}
	}
	return e
}

// Event is one answer in GET /v1/events.
type Event struct {
	Seq int64 `json:"seq"`
	webhook.EventRequest
}

// Events is the body of GET /v1/events.
type Events struct {
	Events []Event `json:"events"`
	Next   int64   `json:"next"` // the since of the next poll
}

func (s *Server) poll(w http.ResponseWriter, r *http.Request) {
	since := int64(0)
	if v := r.URL.Query().Get("since"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			webhook.WriteError(w, http.StatusBadRequest, platform.CodeInvalid, "since: want a count >= 0")
			return
		}
		since = n
	}
	s.advance(s.opt.Now())
	s.mu.Lock()
	out := Events{Events: []Event{}, Next: int64(len(s.events))}
	for i := min(since, int64(len(s.events))); i < int64(len(s.events)); i++ {
		ev := s.events[i]
		out.Events = append(out.Events, Event{Seq: i + 1, EventRequest: webhook.EventRequest{
			Type: ev.Type, Account: ev.Account, Person: ev.Person, Key: ev.Key, At: ev.At}})
	}
	s.mu.Unlock()
	writeJSON(w, out)
}

// advance delivers the model's answers due by now into the log.
func (s *Server) advance(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, s.model.Advance(now)...)
}

// Flush delivers the answers due by now and, when Options.EventsURL is set,
// POSTs every answer not pushed yet, in order, signed with Options.Keys.
// It stops at the first failure (returned) and resumes from there at the
// next Flush. It returns how many events it pushed.
func (s *Server) Flush(ctx context.Context, now time.Time) (int, error) {
	s.advance(now)
	if s.opt.EventsURL == "" {
		return 0, nil
	}
	s.flushMu.Lock()
	defer s.flushMu.Unlock()
	n := 0
	for {
		s.mu.Lock()
		if s.pushed >= len(s.events) {
			s.mu.Unlock()
			return n, nil
		}
		ev := s.events[s.pushed]
		s.mu.Unlock()
		if err := webhook.PostEvent(ctx, s.opt.Client, s.opt.EventsURL, s.opt.Keys, ev, s.opt.Now()); err != nil {
			s.opt.Logger.Warn("pushing an event failed", "type", string(ev.Type), "account", ev.Account, "error", err.Error())
			return n, err
		}
		s.mu.Lock()
		s.pushed++
		s.mu.Unlock()
		n++
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}
