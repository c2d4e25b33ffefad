package app

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// lead is a lease in Redis that lets one scheduler plan at a time: the
// holder renews it; another scheduler takes it over when it lapses.
type lead struct {
	rdb  redis.UniversalClient
	key  string
	id   string
	ttl  time.Duration
	tick time.Duration
	now  func() time.Time
}

var renewScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("PEXPIRE", KEYS[1], ARGV[2])
end
return 0`)

// acquire waits until this process holds the lease, or ctx ends.
func (l *lead) acquire(ctx context.Context) error {
	for {
		ok, err := l.rdb.SetNX(ctx, l.key, l.id, l.ttl).Result()
		if err == nil && ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(l.tick):
		}
	}
}

// hold renews the lease until ctx ends; it closes lost when the lease
// could not be renewed (another process holds it, or Redis is gone long
// enough for it to lapse).
func (l *lead) hold(ctx context.Context, lost chan<- struct{}) {
	defer close(lost)
	t := time.NewTicker(l.tick)
	defer t.Stop()
	failing := time.Time{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := renewScript.Run(ctx, l.rdb, []string{l.key}, l.id, l.ttl.Milliseconds()).Int64()
		switch {
		case err == nil && n == 1:
			failing = time.Time{}
		case err == nil:
			return // someone else holds it
		default:
			// Redis unreachable: keep leading while the lease cannot have
			// lapsed, then step down.
			if failing.IsZero() {
				failing = l.now()
			}
			if l.now().Sub(failing) > l.ttl/2 {
				return
			}
		}
	}
}

// release gives the lease up if this process still holds it.
func (l *lead) release(ctx context.Context) {
	releaseScript.Run(ctx, l.rdb, []string{l.key}, l.id)
}

var releaseScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("DEL", KEYS[1])
end
return 0`)
