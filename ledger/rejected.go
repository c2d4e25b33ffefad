package ledger

import (
	"context"
	"fmt"
	"strconv"
)

// The refusals of the events endpoint, counted by reason for every
// scheduler and across restarts (`outreach status` shows them):
//
//	P{ledger}:rejected   HASH  reason -> count
func (l *Ledger) rejectedKey() string { return l.base + "rejected" }

// CountRejected adds one refusal of reason (a fixed name, such as
// "unknown_key").
func (l *Ledger) CountRejected(ctx context.Context, reason string) error {
	if err := l.rdb.HIncrBy(ctx, l.rejectedKey(), reason, 1).Err(); err != nil {
		return fmt.Errorf("counting a refused event: %w", err)
	}
	return nil
}

// Rejected returns the refusals counted so far, by reason.
func (l *Ledger) Rejected(ctx context.Context) (map[string]int64, error) {
	m, err := l.rdb.HGetAll(ctx, l.rejectedKey()).Result()
	if err != nil {
		return nil, fmt.Errorf("reading the refused events: %w", err)
	}
	out := make(map[string]int64, len(m))
	for k, v := range m {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("reading the refused events: %s: %w", k, err)
		}
		out[k] = n
	}
	return out, nil
}
