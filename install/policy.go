package install

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
)

// EvictionError is a Redis whose maxmemory-policy lets it evict keys.
type EvictionError struct {
	Addr   string // the node, when known
	Policy string
}

func (e *EvictionError) Error() string {
	at := ""
	if e.Addr != "" {
		at = " at " + e.Addr
	}
	return fmt.Sprintf("Redis%s has maxmemory-policy %s: when it is full it evicts keys, and an evicted key forgets sends, "+
		"dedupe and progress (caps exceeded, people invited twice, campaigns applied in part). Set maxmemory-policy noeviction "+
		"(in redis.conf, or CONFIG SET maxmemory-policy noeviction followed by CONFIG REWRITE), and size maxmemory for the campaigns",
		at, e.Policy)
}

// ErrConfigRefused: Redis refused CONFIG GET (a managed Redis, an ACL
// without it), so the policy cannot be checked.
var ErrConfigRefused = errors.New("install: Redis refused CONFIG GET maxmemory-policy (managed Redis or ACL): " +
	"the eviction policy cannot be checked; make sure it is noeviction")

// CheckEviction checks that Redis (every master of a cluster) runs with
// maxmemory-policy noeviction: nil when it does, an *EvictionError naming
// the policy when not, an error wrapping ErrConfigRefused when CONFIG is
// not allowed, another error when Redis cannot be reached.
func CheckEviction(ctx context.Context, rdb redis.UniversalClient) error {
	if cc, ok := rdb.(*redis.ClusterClient); ok {
		var mu sync.Mutex
		var errs []error
		err := cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
			if err := checkNode(ctx, c, c.Options().Addr); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("install: checking maxmemory-policy: %w", err)
		}
		return firstOf(errs)
	}
	return checkNode(ctx, rdb, "")
}

// firstOf returns an eviction error first, then any other error.
func firstOf(errs []error) error {
	for _, err := range errs {
		var ee *EvictionError
		if errors.As(err, &ee) {
			return err
		}
	}
	if len(errs) > 0 {
		return errs[0]
	}
	return nil
}

func checkNode(ctx context.Context, c redis.Cmdable, addr string) error {
	res, err := c.ConfigGet(ctx, "maxmemory-policy").Result()
	if err != nil {
		msg := strings.ToLower(err.Error())
		if strings.Contains(msg, "unknown command") || strings.Contains(msg, "noperm") || strings.Contains(msg, "no permission") {
			return fmt.Errorf("%w: %v", ErrConfigRefused, err)
		}
		return fmt.Errorf("install: CONFIG GET maxmemory-policy: %w", err)
	}
	policy, ok := res["maxmemory-policy"]
	if !ok {
		return fmt.Errorf("%w: CONFIG GET answered no maxmemory-policy", ErrConfigRefused)
	}
	if policy != "noeviction" {
		return &EvictionError{Addr: addr, Policy: policy}
	}
	return nil
}
