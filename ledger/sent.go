package ledger

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/outreach-scheduler/outreach/prospects"
	"github.com/outreach-scheduler/outreach/wire"
)

// The index of sent invitations: what a platform event is checked against
// (RecordEvent). One string per delivered invitation, keyed by its
// idempotency key (which carries no personal data):
//
//	P{ledger}:sent:KEY   "1 ACCOUNT PERSON SENT ANSWER"
//
// PERSON is a pseudonym of the person's key (forget.Registry.Pseudonym,
// salted), SENT the delivery time in unix milliseconds, ANSWER the answer
// recorded ("-" none yet). Written with the stream entry of the delivered
// invitation in one MULTI/EXEC; it lives SentTTL (expire_after and a
// margin), then AnsweredTTL once the invitation is answered, withdrawn or
// expired, so the index holds about the pending invitations.
const (
	// DefaultSentTTL is the index's life of a pending invitation by
	// default: the default expire_after (180d) and a week.
	DefaultSentTTL = 187 * 24 * time.Hour
	// AnsweredTTL is how long an entry stays once its invitation is
	// answered, withdrawn or expired: a repeated answer is recognized
	// (answered 2xx, not recorded twice) and an answer racing a withdrawal
	// is still taken.
	AnsweredTTL = 24 * time.Hour
	// sentVersion is the format of an index entry.
	sentVersion = "1"
	// pseudonymDomain names the index's use of forget.Registry.Pseudonym.
	pseudonymDomain = "sent"
)

// EventResult is what RecordEvent did with an event.
type EventResult string

// RecordEvent's results. The first three mean the event is taken (answer
// 2xx); the others are refusals, named as the events endpoint reports
// them.
const (
	EventRecorded  EventResult = "recorded"  // appended to the ledger
	EventDuplicate EventResult = "duplicate" // the same answer is recorded already: not appended again
	EventForgotten EventResult = "forgotten" // names a forgotten person: not recorded (as AppendEvent)

	EventUnknownKey  EventResult = "unknown_key"      // no delivered invitation has that key (or its entry expired)
	EventKeyMismatch EventResult = "key_mismatch"     // the invitation was sent by another account, or to another person
	EventBeforeSend  EventResult = "before_send"      // the event is dated before the invitation was sent (minus the skew)
	EventAnswered    EventResult = "already_answered" // another answer is recorded for the invitation
)

// Taken reports whether the result means the event was taken.
func (r EventResult) Taken() bool {
	return r == EventRecorded || r == EventDuplicate || r == EventForgotten
}

// SetSentTTL sets how long the index keeps a pending invitation (0
// disables the index: `outreach run` on its embedded Redis has no events
// endpoint to check). The daemons set expire_after plus a margin.
func (l *Ledger) SetSentTTL(d time.Duration) { l.sentTTL = d }

// SentTTL returns the index's life of a pending invitation for an
// expire_after: expire_after and a week.
func SentTTL(expireAfter time.Duration) time.Duration {
	if expireAfter <= 0 {
		return DefaultSentTTL
	}
	return expireAfter + 7*24*time.Hour
}

func (l *Ledger) sentKey(invite string) string { return l.base + "sent:" + invite }

// sentPrefix is the prefix of the index's keys.
func (l *Ledger) sentPrefix() string { return l.base + "sent:" }

// sentWrite returns what the index needs of entry e, to queue in the same
// MULTI/EXEC as the entry (nil: nothing): a delivered invitation is added
// (SET NX: a repeated outcome keeps the first, and its answer); a
// delivered withdrawal or expiry shortens the invitation's entry to
// AnsweredTTL.
func (l *Ledger) sentWrite(ctx context.Context, e Entry) (func(redis.Pipeliner), error) {
	if l.sentTTL <= 0 || e.Task == nil || e.Outcome == nil || e.Outcome.Kind != wire.Delivered {
		return nil, nil
	}
	t := e.Task
	switch t.Kind {
	case wire.KindInvite:
		val, err := l.sentValue(ctx, t.Account, t.Person, e.Outcome.At)
		if err != nil {
			return nil, err
		}
		key, ttl := l.sentKey(t.Key), l.sentTTL
		return func(p redis.Pipeliner) { p.SetNX(ctx, key, val, ttl) }, nil
	case wire.KindWithdraw, wire.KindExpire:
		invite, ok := InviteKeyOf(t.Key)
		if !ok {
			return nil, nil
		}
		key := l.sentKey(invite)
		return func(p redis.Pipeliner) { p.PExpire(ctx, key, AnsweredTTL) }, nil
	}
	return nil, nil
}

// sentValue is the index entry of an invitation not answered yet.
func (l *Ledger) sentValue(ctx context.Context, account, person string, at time.Time) (string, error) {
	if account == "" || strings.ContainsAny(account, " \t\r\n") {
		return "", fmt.Errorf("indexing a sent invitation: bad account id of %d bytes", len(account))
	}
	p, err := l.forgotten.Pseudonym(ctx, pseudonymDomain, person)
	if err != nil {
		return "", fmt.Errorf("indexing a sent invitation: %w", err)
	}
	if p == "" {
		return "", errors.New("indexing a sent invitation: no person")
	}
	return strings.Join([]string{sentVersion, account, p, strconv.FormatInt(at.UnixMilli(), 10), "-"}, " "), nil
}

// InviteKeyOf returns the key of the invitation a withdrawal or expiry
// task ends: the planner names them after the invitation's key with the
// step "withdraw" or "expire" in place of "connect" (CAMPAIGN/PERSON/STEP
// with an optional .ATTEMPT); a recovered withdrawal is the invitation's
// key and "~withdrawn" (package install).
func InviteKeyOf(key string) (string, bool) {
	if k, ok := strings.CutSuffix(key, "~withdrawn"); ok {
		return k, k != ""
	}
	i := strings.LastIndexByte(key, '/')
	if i < 0 {
		return "", false
	}
	step, attempt, _ := strings.Cut(key[i+1:], ".")
	if step != "withdraw" && step != "expire" {
		return "", false
	}
	k := key[:i+1] + "connect"
	if attempt != "" {
		k += "." + attempt
	}
	return k, true
}

// recordEvent checks an event against the index and records it, in one
// script (atomic; both keys have the {ledger} tag):
//
//	KEYS[1] the stream, KEYS[2] the invitation's index entry
//	ARGV    account, person pseudonym, event time (ms), skew (ms), answer,
//	        the entry to append, AnsweredTTL (ms)
//
// It returns {result, detail}.
var recordEvent = redis.NewScript(`
local v = redis.call('GET', KEYS[2])
if not v then return {'unknown_key', ''} end
local ver, acct, person, at, answer = string.match(v, '^(%d+) (%S+) (%S+) (%d+) (%S+)$')
if not ver then return {'unknown_key', 'unreadable index entry'} end
if acct ~= ARGV[1] then return {'key_mismatch', 'account'} end
if person ~= ARGV[2] then return {'key_mismatch', 'person'} end
if tonumber(ARGV[3]) < tonumber(at) - tonumber(ARGV[4]) then return {'before_send', at} end
if answer ~= '-' then
  if answer == ARGV[5] then return {'duplicate', ''} end
  return {'already_answered', answer}
end
redis.call('XADD', KEYS[1], '*', 'e', ARGV[6])
redis.call('SET', KEYS[2], ver .. ' ' .. acct .. ' ' .. person .. ' ' .. at .. ' ' .. ARGV[5], 'PX', ARGV[7])
return {'recorded', ''}
`)

// RecordEvent records a platform event if it answers an invitation the
// index shows as delivered: with ev.Key, by ev.Account, to ev.Person, at
// or after the delivery minus skew, and not answered otherwise. It returns
// the result and, for a refusal, a detail without personal data (which of
// account or person differs, the send time, the answer recorded). An
// event naming a forgotten person is not recorded (EventForgotten). The
// check and the append are one script: two schedulers receiving two
// answers for one invitation record one. The caller checks what needs no
// index (the account is configured, the time is not in the future).
func (l *Ledger) RecordEvent(ctx context.Context, ev wire.Event, skew time.Duration) (EventResult, string, error) {
	if l.sentTTL <= 0 {
		return "", "", errors.New("recording an event: the index of sent invitations is disabled")
	}
	e := Entry{Event: &ev}
	if skip, err := l.namesForgotten(ctx, e); err != nil || skip {
		return EventForgotten, "", err
	}
	p, err := l.forgotten.Pseudonym(ctx, pseudonymDomain, ev.Person)
	if err != nil {
		return "", "", fmt.Errorf("recording an event: %w", err)
	}
	b, err := wire.EncodeEntry(e)
	if err != nil {
		return "", "", err
	}
	res, err := recordEvent.Run(ctx, l.rdb, []string{l.key, l.sentKey(ev.Key)},
		ev.Account, p, ev.At.UnixMilli(), skew.Milliseconds(), string(ev.Type), b, AnsweredTTL.Milliseconds()).StringSlice()
	if err != nil {
		return "", "", fmt.Errorf("recording an event: %w", err)
	}
	if len(res) != 2 {
		return "", "", fmt.Errorf("recording an event: unexpected answer %q", res)
	}
	detail := res[1]
	if EventResult(res[0]) == EventBeforeSend {
		if ms, err := strconv.ParseInt(detail, 10, 64); err == nil {
			detail = "sent at " + time.UnixMilli(ms).UTC().Format(time.RFC3339)
		}
	}
	return EventResult(res[0]), detail, nil
}

// SentInvitation is a delivered invitation, for BackfillSent.
type SentInvitation struct {
	Key     string // the invitation's idempotency key
	Account string
	Person  string // the person's key
	At      time.Time
}

// BackfillSent adds the invitations the index lacks (SET NX: an entry
// there, answered or not, is kept): the leading scheduler hands it the
// pending invitations of its state, so that those sent before the index
// existed (an upgrade), or whose entry was lost, are answered. It returns
// how many it added.
func (l *Ledger) BackfillSent(ctx context.Context, sent []SentInvitation) (int, error) {
	if l.sentTTL <= 0 {
		return 0, nil
	}
	added := 0
	for start := 0; start < len(sent); start += 500 {
		batch := sent[start:min(start+500, len(sent))]
		cmds := make([]*redis.BoolCmd, 0, len(batch))
		_, err := l.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, s := range batch {
				val, err := l.sentValue(ctx, s.Account, s.Person, s.At)
				if err != nil {
					return err
				}
				cmds = append(cmds, p.SetNX(ctx, l.sentKey(s.Key), val, l.sentTTL))
			}
			return nil
		})
		if err != nil {
			return added, fmt.Errorf("backfilling the index of sent invitations: %w", err)
		}
		for _, c := range cmds {
			if c.Val() {
				added++
			}
		}
	}
	return added, nil
}

// forgetSent deletes the index entries of the people (normalized keys).
// Entries are keyed by invitation, so it reads the whole index (SCAN of
// the node holding the {ledger} slot, MATCH its prefix) and compares the
// pseudonyms; it returns the number deleted.
func (l *Ledger) forgetSent(ctx context.Context, people []string) (int, error) {
	want := map[string]bool{}
	for _, k := range people {
		if prospects.NormalizeKey(k) == "" {
			continue
		}
		p, err := l.forgotten.Pseudonym(ctx, pseudonymDomain, k)
		if err != nil {
			return 0, fmt.Errorf("forgetting in the index of sent invitations: %w", err)
		}
		want[p] = true
	}
	if len(want) == 0 {
		return 0, nil
	}
	var node redis.Cmdable = l.rdb
	if cc, ok := l.rdb.(*redis.ClusterClient); ok {
		c, err := cc.MasterForKey(ctx, l.key)
		if err != nil {
			return 0, fmt.Errorf("forgetting in the index of sent invitations: %w", err)
		}
		node = c
	}
	deleted := 0
	var cursor uint64
	for {
		keys, next, err := node.Scan(ctx, cursor, l.sentPrefix()+"*", 1000).Result()
		if err != nil {
			return deleted, fmt.Errorf("forgetting in the index of sent invitations: %w", err)
		}
		if len(keys) > 0 {
			vals, err := node.MGet(ctx, keys...).Result()
			if err != nil {
				return deleted, fmt.Errorf("forgetting in the index of sent invitations: %w", err)
			}
			var gone []string
			for i, v := range vals {
				s, _ := v.(string)
				if f := strings.Fields(s); len(f) == 5 && want[f[2]] {
					gone = append(gone, keys[i])
				}
			}
			if len(gone) > 0 {
				n, err := node.Del(ctx, gone...).Result()
				if err != nil {
					return deleted, fmt.Errorf("forgetting in the index of sent invitations: %w", err)
				}
				deleted += int(n)
			}
		}
		if cursor = next; cursor == 0 {
			return deleted, nil
		}
	}
}
