package redistest

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
)

// Grep reads every key of the Redis rdb (every master of a cluster) and
// every value, whatever its type (string, hash fields and values, set and
// sorted set members, list elements, stream entries' fields and values),
// and returns a line "KEY (TYPE): where" for each place that contains one
// of needles, compared case-insensitively. A key of a type it cannot read
// is reported too, so that a test relying on Grep never passes by not
// looking. For erasure tests: after a person is forgotten, Grep with their
// key and name must find nothing.
func Grep(ctx context.Context, rdb redis.UniversalClient, needles ...string) ([]string, error) {
	lower := make([]string, 0, len(needles))
	for _, n := range needles {
		if n != "" {
			lower = append(lower, strings.ToLower(n))
		}
	}
	var mu sync.Mutex
	var hits []string
	grepNode := func(ctx context.Context, c redis.Cmdable) error {
		var cursor uint64
		for {
			keys, next, err := c.Scan(ctx, cursor, "*", 1000).Result()
			if err != nil {
				return err
			}
			for _, k := range keys {
				found, err := grepKey(ctx, c, k, lower)
				if err != nil {
					return fmt.Errorf("key %q: %w", k, err)
				}
				mu.Lock()
				hits = append(hits, found...)
				mu.Unlock()
			}
			if cursor = next; cursor == 0 {
				return nil
			}
		}
	}
	var err error
	if cc, ok := rdb.(*redis.ClusterClient); ok {
		err = cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { return grepNode(ctx, c) })
	} else {
		err = grepNode(ctx, rdb)
	}
	sort.Strings(hits)
	return hits, err
}

func grepKey(ctx context.Context, c redis.Cmdable, key string, needles []string) ([]string, error) {
	typ, err := c.Type(ctx, key).Result()
	if err != nil {
		return nil, err
	}
	var hits []string
	check := func(where, s string) {
		ls := strings.ToLower(s)
		for _, n := range needles {
			if strings.Contains(ls, n) {
				hits = append(hits, fmt.Sprintf("%s (%s): %s contains %q", key, typ, where, n))
			}
		}
	}
	check("the key", key)
	switch typ {
	case "none": // expired or deleted since the scan
	case "string":
		v, err := c.Get(ctx, key).Result()
		if err != nil && err != redis.Nil {
			return nil, err
		}
		check("the value", v)
	case "hash":
		m, err := c.HGetAll(ctx, key).Result()
		if err != nil {
			return nil, err
		}
		for f, v := range m {
			check("a field name", f)
			check("the value of field "+f, v)
		}
	case "set":
		ms, err := c.SMembers(ctx, key).Result()
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			check("a member", m)
		}
	case "zset":
		ms, err := c.ZRange(ctx, key, 0, -1).Result()
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			check("a member", m)
		}
	case "list":
		ms, err := c.LRange(ctx, key, 0, -1).Result()
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			check("an element", m)
		}
	case "stream":
		ms, err := c.XRange(ctx, key, "-", "+").Result()
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			for f, v := range m.Values {
				check("entry "+m.ID+" field name", f)
				check("entry "+m.ID+" field "+f, fmt.Sprint(v))
			}
		}
	default:
		hits = append(hits, fmt.Sprintf("%s (%s): a type Grep cannot read", key, typ))
	}
	return hits, nil
}
