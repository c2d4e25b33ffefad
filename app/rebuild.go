package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/outreach-scheduler/outreach/ledger"
	"github.com/outreach-scheduler/outreach/scheduler"
)

// rebuildOptions tune rebuild.
type rebuildOptions struct {
	// before, if set, is called ahead of each ledger entry applied.
	before func(ledger.Entry)
	// skipBad skips a ledger entry that does not decode (logged at ERROR
	// with its stream ID) instead of stopping: `scheduler --skip-bad-entries`.
	skipBad bool
	// most replays as much of the ledger as it holds, for a caller that
	// reads each record's details (export): the whole ledger when it was
	// never trimmed, else from the older usable snapshot. The state is the
	// same; only the time differs.
	most bool
	log  *slog.Logger // default: discard
}

// rebuilt is what rebuild did.
type rebuilt struct {
	snapshot *ledger.Snapshot // the snapshot restored; nil: the whole ledger replayed
	entries  int              // ledger entries applied after it
	skipped  int              // entries that did not decode, skipped (skipBad)
	ignored  map[string]int   // entries not applied, by reason (skipReason: kept in the ledger)
	last     string           // the last entry applied or skipped ("0": none), to read on from
}

// errStateLost: the ledger was trimmed and no snapshot is usable.
var errStateLost = errors.New("the ledger was trimmed and no snapshot is usable: the planner's state cannot be rebuilt")

// rebuild brings a fresh engine to the state the ledger describes: it
// restores the newest usable snapshot (falling back to the previous one,
// then to the whole ledger while the ledger is still whole) and applies the
// ledger entries after it, as a scheduler does when it takes the lead.
func rebuild(ctx context.Context, eng *scheduler.Engine, led *ledger.Ledger, o rebuildOptions) (rebuilt, error) {
	log := o.log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	rb := rebuilt{last: "0"}
	cur, prev, err := led.Snapshots(ctx)
	if err != nil {
		log.Error("reading the snapshot index; trying what is readable", "err", err)
	}
	trimmed, err := led.TrimmedBefore(ctx)
	if err != nil {
		return rb, err
	}
	snaps := []*ledger.Snapshot{cur, prev}
	switch {
	case o.most && (trimmed == "" || trimmed == "0"):
		snaps = nil
	case o.most:
		snaps = []*ledger.Snapshot{prev, cur}
	}
	for _, s := range snaps {
		if s == nil {
			continue
		}
		if trimmed != "" && ledger.After(trimmed, s.Position) {
			log.Error("snapshot unusable: the ledger after it was trimmed", "gen", s.Gen, "position", s.Position, "trimmed_before", trimmed)
			continue
		}
		data, err := led.LoadSnapshot(ctx, s)
		if err != nil {
			log.Error("snapshot unusable; falling back to an older state", "gen", s.Gen, "position", s.Position, "err", err)
			continue
		}
		st, err := eng.Restore(data)
		if err != nil {
			log.Error("snapshot unusable; falling back to an older state", "gen", s.Gen, "position", s.Position, "err", err)
			continue
		}
		log.Info("snapshot restored", "gen", s.Gen, "position", s.Position, "written", s.At, "bytes", s.Bytes,
			"prospects", st.Prospects, "people", st.People, "gone", st.Unmatched)
		rb.snapshot, rb.last = s, s.Position
		break
	}
	if rb.snapshot == nil && trimmed != "" && trimmed != "0" {
		return rb, fmt.Errorf("%w (trimmed before %s); restore a Redis backup, or start over with `outreach init --recover`", errStateLost, trimmed)
	}
	// Read and decode the next batch while this one is applied.
	type batch struct {
		entries []ledger.Entry
		err     error
	}
	rctx, stop := context.WithCancel(ctx)
	defer stop()
	batches := make(chan batch, 2)
	go func(after string) {
		defer close(batches)
		for {
			es, err := led.Read(rctx, after, 10000, 0)
			select {
			case batches <- batch{es, err}:
			case <-rctx.Done():
				return
			}
			var bad *ledger.BadEntryError
			switch {
			case errors.As(err, &bad) && o.skipBad:
				after = bad.ID
			case err != nil || len(es) == 0:
				return
			default:
				after = es[len(es)-1].ID
			}
		}
	}(rb.last)
	for b := range batches {
		for _, e := range b.entries {
			if o.before != nil {
				o.before(e)
			}
			if reason := skipReason(eng, e); reason != "" {
				rb.ignore(reason)
				rb.last = e.ID
				continue
			}
			if err := applyEntry(eng, e, true); err != nil {
				return rb, fmt.Errorf("ledger entry %s: %w", e.ID, err)
			}
			rb.last = e.ID
			rb.entries++
		}
		var bad *ledger.BadEntryError
		switch {
		case errors.As(b.err, &bad) && o.skipBad:
			log.Error("skipping a ledger entry that does not decode (--skip-bad-entries)", "id", bad.ID, "err", bad.Err)
			rb.last = bad.ID
			rb.skipped++
		case errors.As(b.err, &bad):
			return rb, fmt.Errorf("%w: the state cannot be rebuilt past it; fix or delete the entry (XDEL), or start the scheduler with --skip-bad-entries to skip it", b.err)
		case b.err != nil:
			return rb, b.err
		}
	}
	if len(rb.ignored) > 0 {
		log.Warn("ledger entries skipped (kept in the ledger)", "unknown_account", rb.ignored["unknown_account"])
	}
	return rb, ctx.Err()
}

// applyEntry applies one ledger entry: a platform event, a task's outcome
// (replayed, when rebuilding: the task may be another engine's), or an
// operator's command (retry.go).
func applyEntry(eng *scheduler.Engine, e ledger.Entry, replay bool) error {
	switch {
	case e.Event != nil:
		return eng.Observe(*e.Event)
	case e.Command != nil:
		_, err := eng.Command(*e.Command)
		return err
	case e.Task != nil && e.Outcome != nil && replay:
		return eng.Replay(*e.Task, *e.Outcome)
	case e.Task != nil && e.Outcome != nil:
		return eng.Done(*e.Task, *e.Outcome)
	}
	return nil
}

// Rebuild brings a fresh engine to the state the ledger describes, as a
// scheduler taking the lead does: the newest usable snapshot, then the
// ledger after it. It returns the snapshot restored (nil: the whole ledger
// was replayed) and the number of ledger entries applied.
func Rebuild(ctx context.Context, eng *scheduler.Engine, led *ledger.Ledger) (*ledger.Snapshot, int, error) {
	rb, err := rebuild(ctx, eng, led, rebuildOptions{})
	return rb.snapshot, rb.entries, err
}
