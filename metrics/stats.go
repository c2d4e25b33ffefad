package metrics

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/outreach-scheduler/outreach/internal/keyspace"
	"github.com/outreach-scheduler/outreach/lifecycle"
)

// Stats are the durable statistics: per campaign, account and variant, the
// invitations sent and how they ended, and per account the oldest pending
// invitation. They live in one Redis hash, written only by the scheduler
// that leads (from the lifecycle events it applies) and read by every
// daemon's collector at scrape time.
//
// Each write carries the ID of the last ledger entry it accounts for (the
// checkpoint) and applies only if the hash's checkpoint is the one the
// writer started from, so a ledger entry is counted once, across restarts
// and changes of leader: a new leader counts the events of the entries
// after the checkpoint as it replays the ledger.
type Stats struct {
	rdb redis.UniversalClient
	key string
}

// NewStats returns the statistics under prefix (default "outreach:"). The
// hash shares the ledger's hash tag.
func NewStats(rdb redis.UniversalClient, prefix string) *Stats {
	if prefix == "" {
		prefix = keyspace.Prefix
	}
	return &Stats{rdb: rdb, key: prefix + "{ledger}:stats"}
}

// Key is the hash's key.
func (s *Stats) Key() string { return s.key }

// Hash fields: counts "n|campaign|account|variant|kind", oldest pending
// "o|account" (unix seconds, 0 none), and the two below. Names of campaigns,
// accounts and variants never hold '|' (config and campaign validation).
const (
	fieldCheckpoint = "_checkpoint"
	fieldUpdated    = "_updated" // unix ms of the last write
)

// The kinds of counted events.
const (
	kindInvited   = "invited"
	kindAccepted  = "accepted"
	kindDeclined  = "declined"
	kindWithdrawn = "withdrawn"
	kindExpired   = "expired"
	kindMessaged  = "messaged"
)

func kindOf(t lifecycle.Event) string {
	switch t {
	case lifecycle.EvInvited:
		return kindInvited
	case lifecycle.EvAccepted:
		return kindAccepted
	case lifecycle.EvDeclined:
		return kindDeclined
	case lifecycle.EvWithdrawn:
		return kindWithdrawn
	case lifecycle.EvExpired:
		return kindExpired
	case lifecycle.EvMessaged:
		return kindMessaged
	}
	return ""
}

// Batch collects the increments of one write, and the values it sets.
type Batch struct {
	incr map[batchKey]int64
	sets map[string]string
}

// batchKey is a count's field: "n|campaign|account|variant|kind".
type batchKey struct{ campaign, account, variant, kind string }

func (k batchKey) field() string {
	return "n|" + k.campaign + "|" + k.account + "|" + k.variant + "|" + k.kind
}

// Add counts one lifecycle event; events that are not counted (skipped,
// followed, failed) are ignored.
func (b *Batch) Add(ev Lifecycle) {
	k := kindOf(ev.Type)
	if k == "" || ev.Account == "" {
		return
	}
	if b.incr == nil {
		b.incr = map[batchKey]int64{}
	}
	b.incr[batchKey{ev.Campaign, ev.Account, ev.Variant, k}]++
}

// SetOldest records when account's oldest pending invitation was sent
// (zero: none pending).
func (b *Batch) SetOldest(account string, t time.Time) {
	var v int64
	if !t.IsZero() {
		v = t.Unix()
	}
	b.set("o|"+account, strconv.FormatInt(v, 10))
}

// VariantEstimate is the A/B test's evidence on one note variant (see
// package abtest): the acceptance rate with pending invitations weighted
// by age, its Wilson 95% interval, and the probability of being the best.
type VariantEstimate struct {
	Rate, Low, High, PBest float64
}

// SetVariant records a variant's estimate.
func (b *Batch) SetVariant(campaign, variant string, v VariantEstimate) {
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', 6, 64) }
	b.set("v|"+campaign+"|"+variant, f(v.Rate)+" "+f(v.Low)+" "+f(v.High)+" "+f(v.PBest))
}

// HealthEstimate is the safety governor's view of an account (package
// scheduler, Health): its health and the pace factor on its caps.
type HealthEstimate struct {
	Health, Pace float64
}

// SetHealth records an account's health and pace factor.
func (b *Batch) SetHealth(account string, h HealthEstimate) {
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', 6, 64) }
	b.set("h|"+account, f(h.Health)+" "+f(h.Pace))
}

func (b *Batch) set(field, value string) {
	if b.sets == nil {
		b.sets = map[string]string{}
	}
	b.sets[field] = value
}

// Len is the number of fields the batch writes.
func (b *Batch) Len() int { return len(b.incr) + len(b.sets) }

// ErrCheckpointMoved reports a write refused because another process
// wrote the statistics since this one read the checkpoint.
var ErrCheckpointMoved = fmt.Errorf("metrics: the stats checkpoint moved (another scheduler wrote)")

var commitScript = redis.NewScript(`
local cur = redis.call("HGET", KEYS[1], "_checkpoint") or ""
if cur ~= ARGV[1] then return 0 end
redis.call("HSET", KEYS[1], "_checkpoint", ARGV[2], "_updated", ARGV[3])
local n = tonumber(ARGV[4])
local i = 5
for _ = 1, n do
  redis.call("HINCRBY", KEYS[1], ARGV[i], ARGV[i + 1])
  i = i + 2
end
while i <= #ARGV do
  redis.call("HSET", KEYS[1], ARGV[i], ARGV[i + 1])
  i = i + 2
end
return 1`)

// Commit applies b and moves the checkpoint from prev to next, atomically;
// it returns ErrCheckpointMoved, changing nothing, if the checkpoint is not
// prev any more. A nil or empty b just moves the checkpoint.
func (s *Stats) Commit(ctx context.Context, prev, next string, b *Batch, now time.Time) error {
	args := []any{prev, next, now.UnixMilli(), 0}
	if b != nil {
		args[3] = len(b.incr)
		for k, n := range b.incr {
			args = append(args, k.field(), n)
		}
		for f, v := range b.sets {
			args = append(args, f, v)
		}
	}
	ok, err := commitScript.Run(ctx, s.rdb, []string{s.key}, args...).Int()
	if err != nil {
		return fmt.Errorf("writing the stats: %w", err)
	}
	if ok == 0 {
		return ErrCheckpointMoved
	}
	return nil
}

// Checkpoint returns the ID of the last ledger entry the statistics account
// for ("" for none).
func (s *Stats) Checkpoint(ctx context.Context) (string, error) {
	v, err := s.rdb.HGet(ctx, s.key, fieldCheckpoint).Result()
	if err == redis.Nil {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("reading the stats checkpoint: %w", err)
	}
	return v, nil
}

// Key of a count.
type Key struct{ Campaign, Account, Variant string }

// Counts are the invitations of one Key by how they ended, and the messages.
type Counts struct {
	Invited, Accepted, Declined, Withdrawn, Expired, Messaged int64
}

// Pending is the invitations not answered, withdrawn nor expired.
func (c Counts) Pending() int64 {
	return c.Invited - c.Accepted - c.Declined - c.Withdrawn - c.Expired
}

// Snapshot is the statistics as read at one moment.
type Snapshot struct {
	Counts     map[Key]Counts
	Oldest     map[string]time.Time      // by account: the oldest pending invitation's sending time
	Variants   map[Key]VariantEstimate   // by campaign and variant (Account "")
	Health     map[string]HealthEstimate // by account
	Checkpoint string
	Updated    time.Time // zero: never written
}

// Read returns the statistics.
func (s *Stats) Read(ctx context.Context) (Snapshot, error) {
	h, err := s.rdb.HGetAll(ctx, s.key).Result()
	if err != nil {
		return Snapshot{}, fmt.Errorf("reading the stats: %w", err)
	}
	snap := Snapshot{Counts: map[Key]Counts{}, Oldest: map[string]time.Time{}, Variants: map[Key]VariantEstimate{}, Health: map[string]HealthEstimate{}}
	for f, v := range h {
		switch {
		case f == fieldCheckpoint:
			snap.Checkpoint = v
		case f == fieldUpdated:
			if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
				snap.Updated = time.UnixMilli(ms).UTC()
			}
		case strings.HasPrefix(f, "o|"):
			if sec, err := strconv.ParseInt(v, 10, 64); err == nil && sec > 0 {
				snap.Oldest[f[2:]] = time.Unix(sec, 0).UTC()
			}
		case strings.HasPrefix(f, "h|"):
			var e HealthEstimate
			if _, err := fmt.Sscan(v, &e.Health, &e.Pace); err == nil {
				snap.Health[f[2:]] = e
			}
		case strings.HasPrefix(f, "v|"):
			parts := strings.Split(f, "|")
			var e VariantEstimate
			if _, err := fmt.Sscan(v, &e.Rate, &e.Low, &e.High, &e.PBest); err == nil && len(parts) == 3 {
				snap.Variants[Key{Campaign: parts[1], Variant: parts[2]}] = e
			}
		case strings.HasPrefix(f, "n|"):
			parts := strings.Split(f, "|")
			n, err := strconv.ParseInt(v, 10, 64)
			if len(parts) != 5 || err != nil {
				continue // not ours
			}
			k := Key{Campaign: parts[1], Account: parts[2], Variant: parts[3]}
			c := snap.Counts[k]
			switch parts[4] {
			case kindInvited:
				c.Invited = n
			case kindAccepted:
				c.Accepted = n
			case kindDeclined:
				c.Declined = n
			case kindWithdrawn:
				c.Withdrawn = n
			case kindExpired:
				c.Expired = n
			case kindMessaged:
				c.Messaged = n
			}
			snap.Counts[k] = c
		}
	}
	return snap, nil
}
