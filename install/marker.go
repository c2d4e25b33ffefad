package install

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/outreach-scheduler/outreach/internal/keyspace"
)

// Key is the install marker's key; LockKey the recovery lock's (one hash
// tag, one cluster slot).
const (
	Key     = keyspace.Prefix + "{install}"
	LockKey = keyspace.Prefix + "{install}:recovery"
)

// Version is the marker format this package writes.
const Version = 1

// Origins of an install (Marker.Origin).
const (
	OriginNew       = "new"       // started on an empty Redis, nothing on the platform
	OriginRecovered = "recovered" // rebuilt from the platform's record
	OriginInit      = "init"      // created by `outreach init`
	OriginImport    = "import"    // rebuilt by `outreach init --recover FILE`
)

// Marker is the install marker.
type Marker struct {
	ID        string
	Created   time.Time
	Version   int
	Origin    string
	Recovered int // invitations rebuilt when the install began
}

// Errors of the marker functions.
var (
	// ErrNoMarker: Redis holds no install marker.
	ErrNoMarker = errors.New("install: no install marker in Redis")
	// ErrExists: Create found a marker already.
	ErrExists = errors.New("install: Redis already has an install marker")
	// ErrLost: the marker vanished or changed under a running process
	// (see LostError).
	ErrLost = errors.New("install: the install marker was lost")
)

// LostError says how the marker was lost.
type LostError struct {
	ID  string // the ID the process started with
	Got string // the ID found now; "" when the marker vanished
}

func (e *LostError) Error() string {
	if e.Got == "" {
		return fmt.Sprintf("the install marker %s (install %s) vanished from Redis: Redis lost its data "+
			"(restarted without persistence, flushed, or evicting keys); stopped sending, since the send log and the ledger "+
			"that keep the caps and the dedupe are gone. Start the daemons again: they rebuild the state from the platform's "+
			"record (or, if the platform cannot list what it sent, run `outreach init --recover FILE`)", Key, e.ID)
	}
	return fmt.Sprintf("the install marker %s changed from install %s to %s: another install took this Redis over, "+
		"or it was recovered meanwhile; stopped sending. Start this process again to join the install that is there now", Key, e.ID, e.Got)
}

// Is makes errors.Is(err, ErrLost) hold.
func (e *LostError) Is(target error) bool { return target == ErrLost }

// NewID returns a random install ID (128 bits, hex).
func NewID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Read returns the marker, or ErrNoMarker.
func Read(ctx context.Context, rdb redis.UniversalClient) (Marker, error) {
	h, err := rdb.HGetAll(ctx, Key).Result()
	if err != nil {
		return Marker{}, fmt.Errorf("install: reading the marker %s: %w", Key, err)
	}
	if len(h) == 0 {
		return Marker{}, ErrNoMarker
	}
	return parse(h)
}

func parse(h map[string]string) (Marker, error) {
	m := Marker{ID: h["id"], Origin: h["origin"]}
	if m.ID == "" {
		return Marker{}, fmt.Errorf("install: the marker %s has no id: %w", Key, ErrNoMarker)
	}
	m.Created, _ = time.Parse(time.RFC3339Nano, h["created"])
	m.Version, _ = strconv.Atoi(h["version"])
	m.Recovered, _ = strconv.Atoi(h["recovered"])
	return m, nil
}

var createScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('HGETALL', KEYS[1]) end
redis.call('HSET', KEYS[1], unpack(ARGV))
return {}`)

// Create writes m as the marker (its ID from NewID when empty, Version set)
// unless one exists: then it returns the marker found and ErrExists.
func Create(ctx context.Context, rdb redis.UniversalClient, m Marker) (Marker, error) {
	if m.ID == "" {
		m.ID = NewID()
	}
	m.Version = Version
	res, err := createScript.Run(ctx, rdb, []string{Key},
		"id", m.ID, "created", m.Created.UTC().Format(time.RFC3339Nano), "version", m.Version,
		"origin", m.Origin, "recovered", m.Recovered).StringSlice()
	if err != nil {
		return Marker{}, fmt.Errorf("install: writing the marker %s: %w", Key, err)
	}
	if len(res) == 0 {
		return m, nil
	}
	h := make(map[string]string, len(res)/2)
	for i := 0; i+1 < len(res); i += 2 {
		h[res[i]] = res[i+1]
	}
	found, err := parse(h)
	if err != nil {
		return Marker{}, err
	}
	return found, ErrExists
}

// Check reads the marker's ID and compares it with id: a *LostError when
// it vanished or changed, nil when it is there, another error when Redis
// could not be read (nothing is known then: check again later).
func Check(ctx context.Context, rdb redis.UniversalClient, id string) error {
	got, err := rdb.HGet(ctx, Key, "id").Result()
	switch {
	case errors.Is(err, redis.Nil):
		return &LostError{ID: id}
	case err != nil:
		return fmt.Errorf("install: checking the marker %s: %w", Key, err)
	case got != id:
		return &LostError{ID: id, Got: got}
	}
	return nil
}

// Lock takes the recovery lock for holder, for ttl; it reports whether it
// got it, and the holder that has it otherwise.
func Lock(ctx context.Context, rdb redis.UniversalClient, holder string, ttl time.Duration) (bool, string, error) {
	ok, err := rdb.SetNX(ctx, LockKey, holder, ttl).Result()
	if err != nil {
		return false, "", fmt.Errorf("install: taking the recovery lock: %w", err)
	}
	if ok {
		return true, holder, nil
	}
	other, err := rdb.Get(ctx, LockKey).Result()
	if errors.Is(err, redis.Nil) {
		return false, "", nil // released meanwhile: try again
	}
	if err != nil {
		return false, "", fmt.Errorf("install: reading the recovery lock: %w", err)
	}
	return false, other, nil
}

var unlockScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`)

// Unlock releases the recovery lock if holder has it.
func Unlock(ctx context.Context, rdb redis.UniversalClient, holder string) error {
	if err := unlockScript.Run(ctx, rdb, []string{LockKey}, holder).Err(); err != nil {
		return fmt.Errorf("install: releasing the recovery lock: %w", err)
	}
	return nil
}
