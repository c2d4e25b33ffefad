package ledger

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Replays remembers, in Redis, the requests the events endpoint accepted
// (their webhook.Verified.ReplayKey: "id:" and the webhook-id with
// Standard Webhooks, the signature header with outreach-v1), so that
// every scheduler, before and after a restart, refuses a request sent
// again:
//
//	P{ledger}:seen:H   STRING "1", PX until the request's timestamp leaves the tolerance window
//
// where H is the hex SHA-256 of the replay key. It implements
// webhook.Replays.
type Replays struct {
	rdb    redis.UniversalClient
	prefix string
}

// Replays returns the replay guard of the ledger's Redis.
func (l *Ledger) Replays() *Replays { return &Replays{rdb: l.rdb, prefix: l.base + "seen:"} }

func (r *Replays) key(sig string) string {
	h := sha256.Sum256([]byte(sig))
	return r.prefix + hex.EncodeToString(h[:])
}

// Add records sig until `until` (SET NX PX) and reports whether it was
// new: false means a replay.
func (r *Replays) Add(ctx context.Context, sig string, until, now time.Time) (bool, error) {
	ttl := until.Sub(now)
	if ttl < time.Millisecond {
		ttl = time.Millisecond
	}
	ok, err := r.rdb.SetNX(ctx, r.key(sig), "1", ttl).Result()
	if err != nil {
		return false, fmt.Errorf("recording a signature: %w", err)
	}
	return ok, nil
}

// Forget removes sig, so that the same request may be sent again (the
// receiver failed to handle it and answered 5xx).
func (r *Replays) Forget(ctx context.Context, sig string) error {
	if err := r.rdb.Del(ctx, r.key(sig)).Err(); err != nil {
		return fmt.Errorf("forgetting a signature: %w", err)
	}
	return nil
}
