package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/internal/httpserve"
	"github.com/outreach-scheduler/outreach/ledger"
	"github.com/outreach-scheduler/outreach/metrics"
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
// the event, not answered otherwise.
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

// serveEvents serves the inbound events endpoint, hardened
// (internal/httpserve): signed events from the platform integration are
// checked against what was sent and recorded in the ledger; signatures are
// remembered in Redis, so that a replay is refused by every scheduler;
// refusals are counted by reason (refusals, and the ledger for status).
func serveEvents(ctx context.Context, opt DaemonOptions, led *ledger.Ledger, refusals *metrics.Refusals, log *slog.Logger) (addr string, stop func(), err error) {
	rec := newEventRecorder(opt.Config, led, opt.Now)
	h := webhook.NewEventsHandler(webhook.EventsOptions{
		Secret: opt.Secret, Now: opt.Now, Replays: led.Replays(), Record: rec.record, Logger: log,
		OnReject: func(ctx context.Context, reason string) {
			refusals.Rejected(reason)
			if err := led.CountRejected(ctx, reason); err != nil {
				log.Warn("counting a refused event", "err", err)
			}
		},
	})
	mux := http.NewServeMux()
	mux.Handle(webhook.EventsPath, h)
	srv, err := httpserve.Start(opt.Listen, mux, httpserve.Options{Logger: log})
	if err != nil {
		return "", nil, fmt.Errorf("events endpoint: %w", err)
	}
	log.Info("events endpoint listening", "addr", srv.Addr())
	return srv.Addr(), func() { srv.Shutdown(context.WithoutCancel(ctx)) }, nil
}
