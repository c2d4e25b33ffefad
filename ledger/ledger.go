package ledger

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/outreach-scheduler/outreach/forget"
	"github.com/outreach-scheduler/outreach/internal/keyspace"
	"github.com/outreach-scheduler/outreach/wire"
	"github.com/redis/go-redis/v9"
)

// Entry is one record of the ledger (package wire defines its format).
type Entry = wire.Entry

// Ledger appends to and reads the stream.
type Ledger struct {
	rdb       redis.UniversalClient
	base      string // prefix + "{ledger}:": the stream and its snapshots
	key       string
	forgotten *forget.Registry // entries naming a forgotten person are not recorded
	sentTTL   time.Duration    // the index of sent invitations (sent.go); 0: not kept
}

// New returns the ledger under prefix (default "outreach:").
func New(rdb redis.UniversalClient, prefix string) *Ledger {
	if prefix == "" {
		prefix = keyspace.Prefix
	}
	return &Ledger{rdb: rdb, base: prefix + "{ledger}:", key: prefix + "{ledger}:stream", forgotten: forget.New(rdb, prefix), sentTTL: DefaultSentTTL}
}

// Key is the stream's key.
func (l *Ledger) Key() string { return l.key }

// AppendOutcome records the outcome of a task.
func (l *Ledger) AppendOutcome(ctx context.Context, t wire.Task, o wire.Outcome) error {
	return l.append(ctx, Entry{Task: &t, Outcome: &o})
}

// AppendEvent records an event reported by the platform.
func (l *Ledger) AppendEvent(ctx context.Context, ev wire.Event) error {
	return l.append(ctx, Entry{Event: &ev})
}

func (l *Ledger) append(ctx context.Context, e Entry) error {
	if skip, err := l.namesForgotten(ctx, e); err != nil || skip {
		return err
	}
	b, err := wire.EncodeEntry(e)
	if err != nil {
		return err
	}
	index, err := l.sentWrite(ctx, e)
	if err != nil {
		return err
	}
	if index == nil {
		err = l.rdb.XAdd(ctx, &redis.XAddArgs{Stream: l.key, Values: []any{"e", b}}).Err()
	} else { // the entry and the index of sent invitations together
		_, err = l.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.XAdd(ctx, &redis.XAddArgs{Stream: l.key, Values: []any{"e", b}})
			index(p)
			return nil
		})
	}
	if err != nil {
		return fmt.Errorf("appending to the ledger: %w", err)
	}
	return nil
}

// Read returns up to count entries after the stream ID after ("0" for the
// start), waiting up to block for one to arrive (0: no wait).
func (l *Ledger) Read(ctx context.Context, after string, count int64, block time.Duration) ([]Entry, error) {
	if block <= 0 {
		msgs, err := l.rdb.XRangeN(ctx, l.key, "("+after, "+", count).Result()
		if after == "0" {
			msgs, err = l.rdb.XRangeN(ctx, l.key, "-", "+", count).Result()
		}
		if err != nil {
			return nil, fmt.Errorf("reading the ledger: %w", err)
		}
		return decode(msgs)
	}
	res, err := l.rdb.XRead(ctx, &redis.XReadArgs{Streams: []string{l.key, after}, Count: count, Block: block}).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the ledger: %w", err)
	}
	if len(res) == 0 {
		return nil, nil
	}
	return decode(res[0].Messages)
}

// decode decodes msgs in order; at the first entry that does not decode
// it returns the entries before it and a *BadEntryError.
func decode(msgs []redis.XMessage) ([]Entry, error) {
	out := make([]Entry, 0, len(msgs))
	for _, m := range msgs {
		raw, _ := m.Values["e"].(string)
		e, err := wire.DecodeEntry([]byte(raw))
		if err != nil {
			return out, &BadEntryError{ID: m.ID, Err: err}
		}
		e.ID = m.ID
		out = append(out, e)
	}
	return out, nil
}

// BadEntryError is a ledger entry that does not decode: corrupt, or written
// by a newer version (see wire.ErrVersion). Read returns it with the
// entries before it; the caller decides whether to stop (the default) or
// skip it (see Skip).
type BadEntryError struct {
	ID  string // the stream ID of the entry
	Err error
}

func (e *BadEntryError) Error() string { return fmt.Sprintf("ledger entry %s: %v", e.ID, e.Err) }

func (e *BadEntryError) Unwrap() error { return e.Err }
