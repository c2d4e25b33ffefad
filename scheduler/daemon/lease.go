package daemon

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// Lease is a lease in Redis that lets one scheduler plan at a time: the
// holder renews it; another scheduler takes it over when it lapses.
type Lease struct {
	rdb  redis.UniversalClient
	key  string
	id   string
	ttl  time.Duration
	tick time.Duration
	now  func() time.Time
}

// NewLease returns the lease of holder id at key, renewed every ttl/3 on
// the clock now.
func NewLease(rdb redis.UniversalClient, key, id string, ttl time.Duration, now func() time.Time) *Lease {
	return &Lease{rdb: rdb, key: key, id: id, ttl: ttl, tick: ttl / 3, now: now}
}

// Renew extends the lock at key to ttl if holder holds it; n is 0 when it
// does not (someone else holds it, or it lapsed).
func Renew(ctx context.Context, rdb redis.UniversalClient, key, holder string, ttl time.Duration) (n int64, err error) {
	return renewScript.Run(ctx, rdb, []string{key}, holder, ttl.Milliseconds()).Int64()
}

var renewScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("PEXPIRE", KEYS[1], ARGV[2])
end
return 0`)

// Acquire waits until this process holds the lease, or ctx ends.
func (l *Lease) Acquire(ctx context.Context) error {
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

// Hold renews the lease until ctx ends; it closes lost when the lease
// could not be renewed (another process holds it, or Redis is gone long
// enough for it to lapse).
func (l *Lease) Hold(ctx context.Context, lost chan<- struct{}) {
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
		n, err := Renew(ctx, l.rdb, l.key, l.id, l.ttl)
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

// Release gives the lease up if this process still holds it.
func (l *Lease) Release(ctx context.Context) {
	releaseScript.Run(ctx, l.rdb, []string{l.key}, l.id)
}

var releaseScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("DEL", KEYS[1])
end
return 0`)
