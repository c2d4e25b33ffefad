package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/internal/httpserve"
	"github.com/outreach-scheduler/outreach/ledger"
	"github.com/outreach-scheduler/outreach/metrics"
	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/platform/webhook"
	"github.com/outreach-scheduler/outreach/prospects"
	"github.com/outreach-scheduler/outreach/wire"
)

// DefaultEventSkew is how far an event's time may lie before the
// invitation's delivery, or after now, and still be taken: the clocks of
// the platform, the integration and outreach differ a little.
const DefaultEventSkew = 5 * time.Minute

// eventRecorder checks each signed event against what was sent before it
// is recorded: the account is configured, the time is not in the future,
// and (ledger.RecordEvent, against the index of sent invitations) the key
// is an invitation delivered by that account to that person, sent before
// the event, not answered otherwise. A reply answers a conversation, not
// an invitation: it is recorded once the account and time are checked,
// and the engine decides whether it applies (a reply for no prospect in
// conversation, or a second one, is kept in the ledger and counted as
// skipped: scheduler.Engine.ReplySkip).
type eventRecorder struct {
	accounts map[string]bool
	led      *ledger.Ledger
	now      func() time.Time
	skew     time.Duration
}

func newEventRecorder(cfg *config.Config, led *ledger.Ledger, now func() time.Time) *eventRecorder {
	r := &eventRecorder{accounts: map[string]bool{}, led: led, now: now, skew: DefaultEventSkew}
	for _, a := range cfg.Accounts {
		r.accounts[a.ID] = true
	}
	return r
}

// record is the events endpoint's Record: nil (taken), a
// *webhook.Rejection, or an error for a 503.
func (r *eventRecorder) record(ctx context.Context, ev wire.Event) error {
	if !r.accounts[ev.Account] {
		return webhook.Reject(webhook.ReasonUnknownAccount, "the account is not in the configuration")
	}
	now := r.now()
	if ev.At.After(now.Add(r.skew)) {
		return webhook.Reject(webhook.ReasonInFuture, "dated %s, after now (%s) plus %s",
			ev.At.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339), r.skew)
	}
	ev.Person = prospects.NormalizeKey(ev.Person) // as the leader names people
	if ev.Type == platform.EventReplied {
		return r.led.AppendEvent(ctx, ev) // a forgotten person's is not recorded
	}
	res, detail, err := r.led.RecordEvent(ctx, ev, r.skew)
	if err != nil {
		return err
	}
	switch res {
	case ledger.EventRecorded, ledger.EventDuplicate, ledger.EventForgotten:
		return nil
	case ledger.EventUnknownKey:
		return webhook.Reject(webhook.ReasonUnknownKey, "no invitation was delivered with this key (or its record expired)")
	case ledger.EventKeyMismatch:
		if detail == "account" {
			return webhook.Reject(webhook.ReasonKeyMismatch, "the invitation with this key was sent by another account")
		}
		return webhook.Reject(webhook.ReasonKeyMismatch, "the invitation with this key was sent to another person")
	case ledger.EventBeforeSend:
		return webhook.Reject(webhook.ReasonBeforeSend, "dated %s, before the invitation was %s (minus %s)",
			ev.At.UTC().Format(time.RFC3339), detail, r.skew)
	case ledger.EventAnswered:
		return webhook.Reject(webhook.ReasonAnswered, "the invitation was %s already", detail)
	}
	return fmt.Errorf("recording an event: unexpected result %q", res)
}

// EventsOptions configure the events endpoint. Config, Ledger, Keys and
// Listen are required.
type EventsOptions struct {
	Config *config.Config // the accounts whose events are taken
	Ledger *ledger.Ledger
	// Keys verify the events' signatures (platform.webhook.signing, the
	// secrets read by the caller from the variable secret_env names).
	Keys webhook.Keys
	// Listen is host:port (platform.webhook.events_listen); port 0 picks
	// a free one (Addr tells which).
	Listen string
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Logger logs the endpoint's work. Default: discard.
	Logger *slog.Logger
	// Refusals, if set, counts the refused events by reason. Default nil.
	Refusals *metrics.Refusals
}

// Events is the inbound events endpoint, hardened (internal/httpserve):
// signed events from the platform integration are checked against what
// was sent and recorded in the ledger; signatures are remembered in
// Redis, so that a replay is refused by every scheduler; refusals are
// counted by reason (Refusals, and the ledger for status). Every
// scheduler serves one, leading or not.
type Events struct {
	opt EventsOptions
	srv *httpserve.Server
}

// NewEvents returns the endpoint; nothing listens until Start.
func NewEvents(opt EventsOptions) (*Events, error) {
	switch {
	case opt.Config == nil:
		return nil, errors.New("events endpoint: Config is required")
	case opt.Ledger == nil:
		return nil, errors.New("events endpoint: Ledger is required")
	case opt.Keys.Empty():
		return nil, errors.New("events endpoint: Keys are required")
	case opt.Listen == "":
		return nil, errors.New("events endpoint: Listen is required")
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	return &Events{opt: opt}, nil
}

// Start listens and serves until Stop.
func (e *Events) Start(ctx context.Context) error {
	o := e.opt
	rec := newEventRecorder(o.Config, o.Ledger, o.Now)
	h := webhook.NewEventsHandler(webhook.EventsOptions{
		Keys: o.Keys, Now: o.Now, Replays: o.Ledger.Replays(), Record: rec.record, Logger: o.Logger,
		OnReject: func(ctx context.Context, reason string) {
			if o.Refusals != nil {
				o.Refusals.Rejected(reason)
			}
			if err := o.Ledger.CountRejected(ctx, reason); err != nil {
				o.Logger.Warn("counting a refused event", "err", err)
			}
		},
	})
	mux := http.NewServeMux()
	mux.Handle(webhook.EventsPath, h)
	srv, err := httpserve.Start(o.Listen, mux, httpserve.Options{Logger: o.Logger})
	if err != nil {
		return fmt.Errorf("events endpoint: %w", err)
	}
	e.srv = srv
	o.Logger.Info("events endpoint listening", "addr", srv.Addr())
	return nil
}

// Addr is the address the endpoint listens on; "" before Start.
func (e *Events) Addr() string {
	if e.srv == nil {
		return ""
	}
	return e.srv.Addr()
}

// Stop stops serving, letting the requests in progress finish.
func (e *Events) Stop() {
	if e.srv != nil {
		e.srv.Shutdown(context.Background())
	}
}
