package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/outreach-scheduler/outreach/ledger"
	"github.com/outreach-scheduler/outreach/lifecycle"
	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/scheduler"
)

// RebuildOptions tune RebuildWith.
type RebuildOptions struct {
	// Before, if set, is called ahead of each ledger entry applied.
	Before func(ledger.Entry)
	// SkipBad skips a ledger entry that does not decode (logged at ERROR
	// with its stream ID) instead of stopping: `scheduler --skip-bad-entries`.
	SkipBad bool
	// Most replays as much of the ledger as it holds, for a caller that
	// reads each record's details (export): the whole ledger when it was
	// never trimmed, else from the older usable snapshot. The state is the
	// same; only the time differs.
	Most bool
	Log  *slog.Logger // default: discard
}

// Rebuilt is what RebuildWith did.
type Rebuilt struct {
	Snapshot *ledger.Snapshot // the snapshot restored; nil: the whole ledger replayed
	Entries  int              // ledger entries applied after it
	Skipped  int              // entries that did not decode, skipped (SkipBad)
	Ignored  map[string]int   // entries not applied, by reason (SkipReason: kept in the ledger)
	Last     string           // the last entry applied or skipped ("0": none), to read on from
}

// ErrStateLost: the ledger was trimmed and no snapshot is usable.
var ErrStateLost = errors.New("the ledger was trimmed and no snapshot is usable: the leader's state cannot be rebuilt")

// RebuildWith brings a fresh engine to the state the ledger describes: it
// restores the newest usable snapshot (falling back to the previous one,
// then to the whole ledger while the ledger is still whole) and applies the
// ledger entries after it, as a scheduler does when it takes the lead.
func RebuildWith(ctx context.Context, eng *scheduler.Engine, led *ledger.Ledger, o RebuildOptions) (Rebuilt, error) {
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	rb := Rebuilt{Last: "0"}
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
	case o.Most && (trimmed == "" || trimmed == "0"):
		snaps = nil
	case o.Most:
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
		rb.Snapshot, rb.Last = s, s.Position
		break
	}
	if rb.Snapshot == nil && trimmed != "" && trimmed != "0" {
		return rb, fmt.Errorf("%w (trimmed before %s); restore a Redis backup, or start over with `outreach init --recover`", ErrStateLost, trimmed)
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
			case errors.As(err, &bad) && o.SkipBad:
				after = bad.ID
			case err != nil || len(es) == 0:
				return
			default:
				after = es[len(es)-1].ID
			}
		}
	}(rb.Last)
	for b := range batches {
		for _, e := range b.entries {
			if o.Before != nil {
				o.Before(e)
			}
			if reason := SkipReason(eng, e); reason != "" {
				rb.ignore(reason)
				rb.Last = e.ID
				continue
			}
			if err := ApplyEntry(eng, e, true); err != nil {
				return rb, fmt.Errorf("ledger entry %s: %w", e.ID, err)
			}
			rb.Last = e.ID
			rb.Entries++
		}
		var bad *ledger.BadEntryError
		switch {
		case errors.As(b.err, &bad) && o.SkipBad:
			log.Error("skipping a ledger entry that does not decode (--skip-bad-entries)", "id", bad.ID, "err", bad.Err)
			rb.Last = bad.ID
			rb.Skipped++
		case errors.As(b.err, &bad):
			return rb, fmt.Errorf("%w: the state cannot be rebuilt past it; fix or delete the entry (XDEL), or start the scheduler with --skip-bad-entries to skip it", b.err)
		case b.err != nil:
			return rb, b.err
		}
	}
	if len(rb.Ignored) > 0 {
		log.Warn("ledger entries skipped (kept in the ledger)", "unknown_account", rb.Ignored["unknown_account"],
			lifecycle.ReplyUnknownProspect, rb.Ignored[lifecycle.ReplyUnknownProspect], lifecycle.ReplyFinal, rb.Ignored[lifecycle.ReplyFinal])
	}
	return rb, ctx.Err()
}

// ApplyEntry applies one ledger entry: a platform event, a task's outcome
// (replayed, when rebuilding: the task may be another engine's), or an
// operator's command (scheduler.Engine.Command).
func ApplyEntry(eng *scheduler.Engine, e ledger.Entry, replay bool) error {
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
	rb, err := RebuildWith(ctx, eng, led, RebuildOptions{})
	return rb.Snapshot, rb.Entries, err
}

// SkipReason tells why a ledger entry is not applied to eng ("" when it
// is): an outcome or event of an account not in the configuration (one
// removed since, or an event recorded before the endpoint checked
// accounts), or a reply that changes nothing (scheduler.ReplySkip: no
// prospect in conversation, or one whose campaign is over). Such entries
// stay in the ledger: put the account back and they are applied again.
func SkipReason(eng *scheduler.Engine, e ledger.Entry) string {
	switch {
	case e.Event != nil && !eng.HasAccount(e.Event.Account),
		e.Task != nil && !eng.HasAccount(e.Task.Account):
		return "unknown_account"
	case e.Event != nil && e.Event.Type == platform.EventReplied:
		return eng.ReplySkip(*e.Event)
	}
	return ""
}

// ignore counts an entry not applied.
func (rb *Rebuilt) ignore(reason string) {
	if rb.Ignored == nil {
		rb.Ignored = map[string]int{}
	}
	rb.Ignored[reason]++
}
