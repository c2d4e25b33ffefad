package app

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/ledger"
	"github.com/outreach-scheduler/outreach/metrics"
	"github.com/outreach-scheduler/outreach/pacing"
	"github.com/outreach-scheduler/outreach/wire"
)

// telemetry is what one process exports at metrics.listen.
type telemetry struct {
	events   *metrics.Events   // nil in a worker
	delivery *metrics.Delivery // nil in a scheduler
	srv      *metrics.Server   // nil when metrics.listen is off
}

type telemetryOptions struct {
	cfg      *config.Config
	camps    []*campaigns.Campaign
	reg      *prometheus.Registry // nil: metrics.NewRegistry()
	stats    *metrics.Stats
	lim      pacing.Limiter
	insp     *asynq.Inspector
	led      *ledger.Ledger // nil: no ledger metrics
	pauses   *ledger.Ledger // the operator's pauses; nil: led's
	now      func() time.Time
	log      *slog.Logger
	events   bool // the process applies the ledger (scheduler, run)
	delivery bool // the process delivers (worker, run)
}

// startTelemetry registers the process's metrics and serves them at
// metrics.listen (unless it is off).
func startTelemetry(o telemetryOptions) (*telemetry, error) {
	reg := o.reg
	if reg == nil {
		reg = metrics.NewRegistry()
	}
	t := &telemetry{}
	if o.events {
		t.events = metrics.NewEvents(reg)
		for _, c := range o.camps {
			vs := []string{"blank"}
			if st := c.ConnectStep(); st != nil && st.Notes != nil {
				vs = append(vs, st.Notes.Variants()...)
			}
			t.events.Init(c.Name, c.Accounts, vs)
		}
	}
	if o.delivery {
		ids := make([]string, len(o.cfg.Accounts))
		for i, a := range o.cfg.Accounts {
			ids[i] = a.ID
		}
		t.delivery = metrics.NewDelivery(reg, ids)
	}
	co := metrics.CollectorOptions{
		Config: o.cfg, Stats: o.stats, Limiter: o.lim, Now: o.now, Logger: o.log,
		Queue: func(ctx context.Context) (metrics.QueueStats, error) { return queueStats(o.insp) },
	}
	if o.led != nil {
		co.Ledger = func(ctx context.Context) (metrics.LedgerStats, error) { return ledgerStats(ctx, o.led) }
	}
	if o.pauses == nil {
		o.pauses = o.led
	}
	if o.pauses != nil {
		co.Pauses = o.pauses.Pauses
		for _, c := range o.camps {
			co.Campaigns = append(co.Campaigns, c.Name)
		}
	}
	reg.MustRegister(metrics.NewCollector(co))
	if o.cfg.Metrics.Listen != "" {
		srv, err := metrics.Listen(o.cfg.Metrics.Listen, reg, o.log)
		if err != nil {
			return nil, err
		}
		t.srv = srv
	}
	return t, nil
}

func (t *telemetry) stop(ctx context.Context) {
	if t != nil && t.srv != nil {
		t.srv.Stop(context.WithoutCancel(ctx))
	}
}

// queueStats reads asynq's queue: a queue not created yet is empty.
func queueStats(insp *asynq.Inspector) (metrics.QueueStats, error) {
	qi, err := insp.GetQueueInfo(wire.QueueName)
	if errors.Is(err, asynq.ErrQueueNotFound) {
		return metrics.QueueStats{}, nil
	}
	if err != nil {
		return metrics.QueueStats{}, err
	}
	return metrics.QueueStats{
		Pending: qi.Pending, Active: qi.Active, Scheduled: qi.Scheduled, Retry: qi.Retry,
		Archived: qi.Archived, Completed: qi.Completed, Latency: qi.Latency,
		Processed: int64(qi.ProcessedTotal), Failed: int64(qi.FailedTotal),
	}, nil
}

// ledgerStats reads the ledger's length and its newest snapshot.
func ledgerStats(ctx context.Context, led *ledger.Ledger) (metrics.LedgerStats, error) {
	n, err := led.Len(ctx)
	if err != nil {
		return metrics.LedgerStats{}, err
	}
	cur, _, err := led.Snapshots(ctx)
	if err != nil {
		return metrics.LedgerStats{}, err
	}
	st := metrics.LedgerStats{Entries: n}
	if cur != nil {
		st.SnapshotAt, st.SnapshotBytes = cur.At, cur.Bytes
	}
	return st, nil
}
