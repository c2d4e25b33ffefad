package ledger

import (
	"context"
	"fmt"

	"github.com/outreach-scheduler/outreach/wire"
	"github.com/redis/go-redis/v9"
)

// AppendCommand records an operator's command (`outreach retry`, ...) and
// returns its stream ID. The leading scheduler applies it when it reads
// the ledger that far, and every rebuild replays it at that place, once;
// the entry is also the audit trail (who, when, why). A command names no
// person.
func (l *Ledger) AppendCommand(ctx context.Context, cmd wire.Command) (string, error) {
	if cmd.Kind == "" || cmd.At.IsZero() {
		return "", fmt.Errorf("ledger: a command needs a kind and a time")
	}
	b, err := wire.EncodeEntry(Entry{Command: &cmd})
	if err != nil {
		return "", err
	}
	id, err := l.rdb.XAdd(ctx, &redis.XAddArgs{Stream: l.key, Values: []any{"e", b}}).Result()
	if err != nil {
		return "", fmt.Errorf("appending a %s command to the ledger: %w", cmd.Kind, err)
	}
	return id, nil
}
