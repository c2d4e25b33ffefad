package ledger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/scheduler"
)

// Entry is one record: a task's outcome or a platform event.
type Entry struct {
	ID      string             `json:"-"` // the stream ID, set on read
	Task    *scheduler.Task    `json:"task,omitempty"`
	Outcome *scheduler.Outcome `json:"outcome,omitempty"`
	Event   *platform.Event    `json:"event,omitempty"`
}

// Ledger appends to and reads the stream.
type Ledger struct {
	rdb redis.UniversalClient
	key string
}

// New returns the ledger under prefix (default "outreach:").
func New(rdb redis.UniversalClient, prefix string) *Ledger {
	if prefix == "" {
		prefix = "outreach:"
	}
	return &Ledger{rdb: rdb, key: prefix + "{ledger}:stream"}
}

// Key is the stream's key.
func (l *Ledger) Key() string { return l.key }

// AppendOutcome records the outcome of a task.
func (l *Ledger) AppendOutcome(ctx context.Context, t scheduler.Task, o scheduler.Outcome) error {
	return l.append(ctx, Entry{Task: &t, Outcome: &o})
}

// AppendEvent records an event reported by the platform.
func (l *Ledger) AppendEvent(ctx context.Context, ev platform.Event) error {
	return l.append(ctx, Entry{Event: &ev})
}

func (l *Ledger) append(ctx context.Context, e Entry) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if err := l.rdb.XAdd(ctx, &redis.XAddArgs{Stream: l.key, Values: []any{"e", b}}).Err(); err != nil {
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

func decode(msgs []redis.XMessage) ([]Entry, error) {
	out := make([]Entry, 0, len(msgs))
	for _, m := range msgs {
		raw, _ := m.Values["e"].(string)
		var e Entry
		if err := json.Unmarshal([]byte(raw), &e); err != nil {
			return nil, fmt.Errorf("ledger entry %s: %w", m.ID, err)
		}
		e.ID = m.ID
		out = append(out, e)
	}
	return out, nil
}
