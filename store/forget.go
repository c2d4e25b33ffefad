package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"

	"github.com/outreach-scheduler/outreach/forget"
)

// ForgetResult is what Store.Forget removed.
type ForgetResult struct {
	// Rows are the rows removed from the applied versions of the
	// campaigns: members and removed keys. The campaigns' counts are
	// adjusted in the same transaction.
	Rows int
	// Stale are the copies removed from generations that are not the
	// applied one: replaced versions still readable for Grace, and
	// staging versions of applies in progress or abandoned.
	Stale int
	// Campaigns is the number of campaigns that held one of the people.
	Campaigns int
}

// metaForgets counts the Forget calls that went through a campaign's
// meta. Forget writes it in every campaign so that an Apply staging
// concurrently sees meta move (its WATCH fails) and looks at the
// forgotten set again before it switches (see applier.recheckForgotten).
const metaForgets = "forgets"

// Forget removes the people named by keys (normalized keys, as Row.Key)
// from every campaign: from the applied version (members and removed
// keys, counts adjusted, in one MULTI/EXEC on the campaign's hash tag),
// then from every other generation still in Redis (replaced ones within
// their grace period, staging ones). Call it after recording the people
// in the forget.Registry, so that an Apply running at the same time
// leaves them out of what it switches to.
func (s *Store) Forget(ctx context.Context, keys []string) (ForgetResult, error) {
	var res ForgetResult
	keys = nonEmpty(keys)
	if len(keys) == 0 {
		return res, nil
	}
	names, genKeys, err := s.campaignKeys(ctx)
	if err != nil {
		return res, err
	}
	for _, name := range names {
		rows, cur, err := s.forgetApplied(ctx, name, keys)
		if err != nil {
			return res, err
		}
		stale, err := s.forgetStale(ctx, name, genKeys[name], cur, keys)
		if err != nil {
			return res, fmt.Errorf("store: campaign %s: %w", name, err)
		}
		res.Rows += rows
		res.Stale += stale
		if rows+stale > 0 {
			res.Campaigns++
		}
	}
	return res, nil
}

func nonEmpty(keys []string) []string {
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		if k != "" {
			out = append(out, k)
		}
	}
	return out
}

// campaignKeys finds every campaign (listed, or with keys in Redis) and
// the generation keys of each (buckets and removed sets, any generation).
func (s *Store) campaignKeys(ctx context.Context) ([]string, map[string][]string, error) {
	listed, err := s.Campaigns(ctx)
	if err != nil {
		return nil, nil, err
	}
	seen := map[string]bool{}
	names := []string{}
	add := func(name string) {
		if !seen[name] {
			seen[name] = true
			names = append(names, name)
		}
	}
	for _, n := range listed {
		add(n)
	}
	genKeys := map[string][]string{}
	head := s.prefix + "{camp:"
	err = scanKeys(ctx, s.rdb, escapeGlob(head)+"*", func(key string) {
		rest := strings.TrimPrefix(key, head)
		name, sub, ok := strings.Cut(rest, "}:")
		if !ok || name == "" {
			return
		}
		add(name)
		if strings.HasPrefix(sub, "g") {
			genKeys[name] = append(genKeys[name], key)
		}
	})
	if err != nil {
		return nil, nil, fmt.Errorf("store: listing the campaigns' keys: %w", err)
	}
	return names, genKeys, nil
}

// escapeGlob escapes the glob characters of a SCAN MATCH pattern.
func escapeGlob(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// scanKeys calls fn with every key matching pattern, on every master of a
// Redis Cluster.
func scanKeys(ctx context.Context, rdb redis.UniversalClient, pattern string, fn func(string)) error {
	scan := func(ctx context.Context, c redis.Cmdable, fn func(string)) error {
		var cursor uint64
		for {
			keys, next, err := c.Scan(ctx, cursor, pattern, 1000).Result()
			if err != nil {
				return err
			}
			for _, k := range keys {
				fn(k)
			}
			if cursor = next; cursor == 0 {
				return nil
			}
		}
	}
	cc, ok := rdb.(*redis.ClusterClient)
	if !ok {
		return scan(ctx, rdb, fn)
	}
	var mu sync.Mutex
	var all []string
	err := cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
		var mine []string
		if err := scan(ctx, c, func(k string) { mine = append(mine, k) }); err != nil {
			return err
		}
		mu.Lock()
		all = append(all, mine...)
		mu.Unlock()
		return nil
	})
	for _, k := range all {
		fn(k)
	}
	return err
}

// forgetApplied removes keys from the applied version of campaign name in
// one MULTI/EXEC under WATCH of its meta, bucket and removed set, adjusting
// its counts, and touches meta in any case (see metaForgets). It returns
// the rows removed and the applied generation (0 if none).
func (s *Store) forgetApplied(ctx context.Context, name string, keys []string) (int, int64, error) {
	k := s.keys(name)
	var rows int
	var gen int64
	txf := func(tx *redis.Tx) error {
		rows, gen = 0, 0
		m, err := tx.HGetAll(ctx, k.meta()).Result()
		if err != nil {
			return err
		}
		info, err := parseInfo(name, m)
		if err != nil && !errors.Is(err, ErrNotApplied) {
			return err
		}
		var inBucket []*redis.BoolCmd
		var inRemoved []*redis.BoolCmd
		if info != nil {
			gen = info.Generation
			watch := []string{k.removed(gen)}
			for _, key := range keys {
				watch = append(watch, k.bucket(gen, bucketOf(key, info.Buckets)))
			}
			if err := tx.Watch(ctx, watch...).Err(); err != nil {
				return err
			}
			p := tx.Pipeline()
			for _, key := range keys {
				inBucket = append(inBucket, p.HExists(ctx, k.bucket(gen, bucketOf(key, info.Buckets)), key))
				inRemoved = append(inRemoved, p.SIsMember(ctx, k.removed(gen), key))
			}
			if _, err := p.Exec(ctx); err != nil {
				return err
			}
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			members, removed := 0, 0
			for i, key := range keys {
				if info == nil {
					break
				}
				if inBucket[i].Val() {
					p.HDel(ctx, k.bucket(gen, bucketOf(key, info.Buckets)), key)
					members++
				}
				if inRemoved[i].Val() {
					p.SRem(ctx, k.removed(gen), key)
					removed++
				}
			}
			if members > 0 {
				p.HIncrBy(ctx, k.meta(), metaCount, int64(-members))
			}
			if removed > 0 {
				p.HIncrBy(ctx, k.meta(), metaRemoved, int64(-removed))
			}
			p.HIncrBy(ctx, k.meta(), metaForgets, 1)
			rows = members + removed
			return nil
		})
		return err
	}
	for range 20 {
		err := s.rdb.Watch(ctx, txf, k.meta())
		if errors.Is(err, redis.TxFailedErr) {
			continue // an apply switched, or another forget: look again
		}
		if err != nil {
			return 0, 0, fmt.Errorf("store: forgetting in campaign %s: %w", name, err)
		}
		return rows, gen, nil
	}
	return 0, 0, fmt.Errorf("store: forgetting in campaign %s: %w", name, ErrConcurrentApply)
}

// forgetStale removes keys from the generation keys genKeys, except those
// of the applied generation cur (forgetApplied did those, with the counts).
func (s *Store) forgetStale(ctx context.Context, name string, genKeys []string, cur int64, keys []string) (int, error) {
	if len(genKeys) == 0 {
		return 0, nil
	}
	curHead := s.keys(name).base + "g" + strconv.FormatInt(cur, 10) + ":"
	members := make([]any, len(keys))
	for i, key := range keys {
		members[i] = key
	}
	p := s.rdb.Pipeline()
	var cmds []*redis.IntCmd
	for _, gk := range genKeys {
		if cur != 0 && strings.HasPrefix(gk, curHead) {
			continue
		}
		switch {
		case strings.Contains(gk, ":p:"):
			cmds = append(cmds, p.HDel(ctx, gk, keys...))
		case strings.HasSuffix(gk, ":removed"):
			cmds = append(cmds, p.SRem(ctx, gk, members...))
		}
	}
	if len(cmds) == 0 {
		return 0, nil
	}
	if _, err := p.Exec(ctx); err != nil {
		return 0, err
	}
	n := 0
	for _, c := range cmds {
		n += int(c.Val())
	}
	return n, nil
}

// loadForgotten reads the forgotten set for an Apply.
func (a *applier) loadForgotten(ctx context.Context) error {
	set, err := forget.New(a.s.rdb, a.s.prefix).Load(ctx)
	if err != nil {
		return fmt.Errorf("store: campaign %s: %w", a.c.Name, err)
	}
	a.forgot = set
	return nil
}

// recheckForgotten runs in the switch's transaction, under WATCH of meta:
// if people were forgotten since the apply loaded the set, it removes them
// from the staging generation and recounts it, so that the switch never
// brings a forgotten key back. (Forget records the person before it
// touches meta: either the set has grown by the time this reads it, or
// the touch comes later and fails the WATCH, and the switch looks again.)
func (a *applier) recheckForgotten(ctx context.Context, removedTotal *int) error {
	reg := forget.New(a.s.rdb, a.s.prefix)
	n, err := reg.Count(ctx)
	if err != nil || n == a.forgot.Len() {
		return err
	}
	if a.forgot, err = reg.Load(ctx); err != nil {
		return err
	}
	count := 0
	const group = 64
	for first := 0; first < a.buckets; first += group {
		p := a.s.rdb.Pipeline()
		var cmds []*redis.StringSliceCmd
		for b := first; b < min(first+group, a.buckets); b++ {
			cmds = append(cmds, p.HKeys(ctx, a.k.bucket(a.gen, b)))
		}
		if _, err := p.Exec(ctx); err != nil {
			return err
		}
		p = a.s.rdb.Pipeline()
		drop := 0
		for i, cmd := range cmds {
			for _, key := range cmd.Val() {
				if a.forgot.Has(key) {
					p.HDel(ctx, a.k.bucket(a.gen, first+i), key)
					drop++
					continue
				}
				count++
			}
		}
		if drop > 0 {
			if _, err := p.Exec(ctx); err != nil {
				return err
			}
		}
	}
	removed, err := scanSet(ctx, a.s.rdb, a.k.removed(a.gen))
	if err != nil {
		return err
	}
	var drop []any
	for _, key := range removed {
		if a.forgot.Has(key) {
			drop = append(drop, key)
		}
	}
	if len(drop) > 0 {
		if err := a.s.rdb.SRem(ctx, a.k.removed(a.gen), drop...).Err(); err != nil {
			return err
		}
	}
	// Staged rows only go away when forgotten (here, or by Forget itself).
	a.res.Forgotten += a.count - count
	a.count, *removedTotal = count, len(removed)-len(drop)
	return nil
}
