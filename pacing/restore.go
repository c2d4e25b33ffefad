package pacing

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// restoreScript records a send that already happened, whatever the rules
// say: KEYS as limiter.lua; ARGV id t note(0|1) idleTTL. It returns 1 when
// it recorded the send, 0 when the ID was in the log already (kept as it
// is).
var restoreScript = redis.NewScript(`
local sends, notes, state = KEYS[1], KEYS[2], KEYS[3]
local id, t, note, ttl = ARGV[1], ARGV[2], ARGV[3] == '1', ARGV[4]
if redis.call('HEXISTS', state, id) == 1 then return 0 end
redis.call('ZADD', sends, t, id)
redis.call('HSET', state, id, 'c')
if note then
  redis.call('ZADD', notes, t, id)
  redis.call('PEXPIRE', notes, ttl)
end
redis.call('PEXPIRE', sends, ttl)
redis.call('PEXPIRE', state, ttl)
return 1`)

// Restore records, as confirmed, a send of the account that happened at
// at (with a personalized note when note is set), without checking any
// rule: it rebuilds the log from the platform's own record after Redis
// lost it (package install), so that the caps, the gap and the note
// allowance count the sends again. A restored send is never freed: Release
// returns ErrConfirmed and keeps it. It is idempotent on id (an ID already
// in the log is kept as it is) and reports whether it recorded the send.
// Sends older than SendRetention (NoteRetention for notes) count in no
// window any more: the next Reserve trims them.
func (l *RedisLimiter) Restore(ctx context.Context, account, id string, at time.Time, note bool) (bool, error) {
	if err := checkID(account, id); err != nil {
		return false, err
	}
	if at.Before(minAt) || !at.Before(maxAt) {
		return false, invalid("send time %v out of range", at)
	}
	n := 0
	if note {
		n = 1
	}
	res, err := restoreScript.Run(ctx, l.rdb, l.Keys(account), id, ms(at), n, IdleTTL.Milliseconds()).Int()
	if err != nil {
		return false, fmt.Errorf("pacing: restore %s/%s: %w", account, id, err)
	}
	return res == 1, nil
}
