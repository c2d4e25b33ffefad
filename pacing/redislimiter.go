package pacing

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/outreach-scheduler/outreach/internal/keyspace"
)

//go:embed limiter.lua
var limiterLua string

// limiterScript runs with EVALSHA, falling back to EVAL (and loading it)
// when the server does not know it yet (a new or restarted Redis).
var limiterScript = redis.NewScript(limiterLua)

// DefaultKeyPrefix is the key prefix of RedisLimiter unless WithKeyPrefix
// says otherwise.
const DefaultKeyPrefix = keyspace.Prefix

// IdleTTL is how long the keys of an account live after its last granted
// send: longer than any window or log retention, so expiry only removes
// state nothing reads any more (an account removed from the config). The
// pause key has no TTL. Relative TTLs run on Redis's own clock, which is
// safe whatever the injected clock says.
const IdleTTL = 45 * 24 * time.Hour

// RedisLimiter is the Limiter on Redis: every operation is one call of one
// Lua script (limiter.lua) on the account's keys, so it is atomic across any
// number of workers, and as durable as the server (use AOF). The keys of an
// account share the hash tag {acct:ID} and are passed in KEYS, so it works on
// Redis Cluster; any redis.UniversalClient works (single node, Sentinel,
// Cluster).
//
// Keys of account alice, with the default prefix:
//
//	outreach:{acct:alice}:sends  ZSET member = send ID, score = unix ms
//	outreach:{acct:alice}:notes  ZSET the sends carrying a personalized note
//	outreach:{acct:alice}:state  HASH send ID -> "r" (reserved) | "c" (confirmed: restored, see Restore)
//	outreach:{acct:alice}:pause  STRING pause end, unix ms
type RedisLimiter struct {
	rdb    redis.UniversalClient
	prefix string
}

var _ Limiter = (*RedisLimiter)(nil)

// RedisOption configures a RedisLimiter.
type RedisOption func(*RedisLimiter)

// WithKeyPrefix sets the prefix of every key (default DefaultKeyPrefix). It
// must not contain braces: they would change the keys' hash tag.
func WithKeyPrefix(prefix string) RedisOption {
	return func(l *RedisLimiter) { l.prefix = prefix }
}

// NewRedisLimiter returns a limiter on rdb.
func NewRedisLimiter(rdb redis.UniversalClient, opts ...RedisOption) (*RedisLimiter, error) {
	if rdb == nil {
		return nil, errors.New("pacing: NewRedisLimiter: nil client")
	}
	l := &RedisLimiter{rdb: rdb, prefix: DefaultKeyPrefix}
	for _, o := range opts {
		o(l)
	}
	if strings.ContainsAny(l.prefix, "{}") {
		return nil, fmt.Errorf("pacing: key prefix %q must not contain braces", l.prefix)
	}
	return l, nil
}

// Keys returns the keys of an account, in the script's KEYS order: sends,
// notes, state, pause.
func (l *RedisLimiter) Keys(account string) []string {
	base := l.prefix + "{acct:" + account + "}:"
	return []string{base + "sends", base + "notes", base + "state", base + "pause"}
}

// Reserve implements Limiter.
func (l *RedisLimiter) Reserve(ctx context.Context, r Request) (Decision, error) {
	if err := r.Validate(); err != nil {
		return Decision{}, err
	}
	t, u := ms(r.At), r.Rules
	gap := int64(u.MinGap / time.Millisecond)
	sendCutoff, noteCutoff := cutoffs(t, gap)
	note := 0
	if r.Note {
		note = 1
	}
	daily, dayStart, dayEnd := int64(u.Daily), int64(0), int64(0)
	if u.Daily != Unlimited {
		dayStart, dayEnd = ms(u.DayStart), ms(u.DayEnd)
	}
	npm, monthStart, monthEnd := int64(u.NotesPerMonth), int64(0), int64(0)
	if u.NotesPerMonth != Unlimited && r.Note {
		monthStart, monthEnd = ms(u.MonthStart), ms(u.MonthEnd)
	}
	res, err := limiterScript.Run(ctx, l.rdb, l.Keys(r.Account),
		"reserve", r.ID, t, note, u.Weekly, daily, dayStart, dayEnd, gap,
		npm, monthStart, monthEnd, sendCutoff, noteCutoff, IdleTTL.Milliseconds(),
	).Slice()
	if err != nil {
		return Decision{}, fmt.Errorf("pacing: reserve %s/%s: %w", r.Account, r.ID, err)
	}
	if len(res) != 4 {
		return Decision{}, fmt.Errorf("pacing: reserve %s/%s: unexpected reply %v", r.Account, r.ID, res)
	}
	granted, _ := res[0].(int64)
	denial, _ := res[1].(string)
	retry, _ := res[2].(int64)
	existing, _ := res[3].(int64)
	return Decision{
		Granted:  granted == 1,
		Existing: existing == 1,
		Denial:   Denial(denial),
		RetryAt:  fromMS(retry),
	}, nil
}

// Release implements Limiter.
func (l *RedisLimiter) Release(ctx context.Context, account, id string) error {
	if err := checkID(account, id); err != nil {
		return err
	}
	code, err := limiterScript.Run(ctx, l.rdb, l.Keys(account), "release", id).Int()
	switch {
	case err != nil:
		return fmt.Errorf("pacing: release %s/%s: %w", account, id, err)
	case code == 2:
		return ErrConfirmed
	}
	return nil
}

// Pause implements Limiter.
func (l *RedisLimiter) Pause(ctx context.Context, account string, until time.Time) error {
	if err := checkAccount(account); err != nil {
		return err
	}
	if err := limiterScript.Run(ctx, l.rdb, l.Keys(account), "pause", ms(until)).Err(); err != nil {
		return fmt.Errorf("pacing: pause %s: %w", account, err)
	}
	return nil
}

// Usage implements Limiter.
func (l *RedisLimiter) Usage(ctx context.Context, account string, now time.Time, rules Rules) (Usage, error) {
	if err := checkAccount(account); err != nil {
		return Usage{}, err
	}
	res, err := limiterScript.Run(ctx, l.rdb, l.Keys(account), "usage", ms(now),
		ms(rules.DayStart), ms(rules.DayEnd), ms(rules.MonthStart), ms(rules.MonthEnd),
	).Int64Slice()
	if err != nil {
		return Usage{}, fmt.Errorf("pacing: usage %s: %w", account, err)
	}
	if len(res) != 5 {
		return Usage{}, fmt.Errorf("pacing: usage %s: unexpected reply %v", account, res)
	}
	return Usage{
		Week:        int(res[0]),
		Day:         int(res[1]),
		NotesMonth:  int(res[2]),
		Last:        fromMS(res[3]),
		PausedUntil: fromMS(res[4]),
	}, nil
}
