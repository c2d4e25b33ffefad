package forget

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"

	"github.com/redis/go-redis/v9"

	"github.com/outreach-scheduler/outreach/internal/keyspace"
	"github.com/outreach-scheduler/outreach/prospects"
)

// DefaultPrefix starts the registry's keys, as every other package's.
const DefaultPrefix = keyspace.Prefix

// saltBytes is the length of the salt.
const saltBytes = 32

// Registry is the set of forgotten people in Redis. It is safe for
// concurrent use; the salt, once read, is cached (it never changes).
type Registry struct {
	rdb     redis.UniversalClient
	setKey  string
	saltKey string

	mu   sync.Mutex
	salt []byte // nil until read
}

// New returns the registry under prefix ("" means DefaultPrefix).
func New(rdb redis.UniversalClient, prefix string) *Registry {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	return &Registry{rdb: rdb, setKey: prefix + "forgotten", saltKey: prefix + "forgotten:salt"}
}

// Key is the key of the set of hashes.
func (r *Registry) Key() string { return r.setKey }

// SaltKey is the key of the salt.
func (r *Registry) SaltKey() string { return r.saltKey }

// ErrSaltLost is returned when the set has members but the salt is gone
// (deleted or evicted): the hashes can no longer be matched, and nothing
// may be decided from them.
var ErrSaltLost = errors.New("the forgotten set has members but its salt key is missing (deleted or evicted?): " +
	"forgotten people cannot be recognized; restore the salt from a backup")

// readSalt returns the salt, or nil when none was ever created (then
// nobody was ever forgotten, which it checks).
func (r *Registry) readSalt(ctx context.Context) ([]byte, error) {
	r.mu.Lock()
	salt := r.salt
	r.mu.Unlock()
	if salt != nil {
		return salt, nil
	}
	// One round trip: the salt, and the set's size in case it is missing.
	p := r.rdb.Pipeline()
	get := p.Get(ctx, r.saltKey)
	card := p.SCard(ctx, r.setKey)
	if _, err := p.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("forget: reading the salt: %w", err)
	}
	s, err := get.Result()
	if errors.Is(err, redis.Nil) {
		if card.Val() > 0 {
			return nil, ErrSaltLost
		}
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("forget: reading the salt: %w", err)
	}
	salt, err = hex.DecodeString(s)
	if err != nil || len(salt) != saltBytes {
		return nil, fmt.Errorf("forget: the salt at %s is corrupt (want %d hex bytes)", r.saltKey, saltBytes)
	}
	r.mu.Lock()
	r.salt = salt
	r.mu.Unlock()
	return salt, nil
}

// ensureSalt returns the salt, creating it when there is none (SETNX: the
// first of concurrent creators wins, the others read its salt).
func (r *Registry) ensureSalt(ctx context.Context) ([]byte, error) {
	salt, err := r.readSalt(ctx)
	if err != nil || salt != nil {
		return salt, err
	}
	b := make([]byte, saltBytes)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("forget: creating the salt: %w", err)
	}
	if err := r.rdb.SetNX(ctx, r.saltKey, hex.EncodeToString(b), 0).Err(); err != nil {
		return nil, fmt.Errorf("forget: creating the salt: %w", err)
	}
	salt, err = r.readSalt(ctx)
	if err == nil && salt == nil {
		err = fmt.Errorf("forget: the salt at %s vanished right after it was created", r.saltKey)
	}
	return salt, err
}

// hash is the hex HMAC-SHA256 of a normalized key.
func hash(salt []byte, key string) string {
	m := hmac.New(sha256.New, salt)
	m.Write([]byte(key))
	return hex.EncodeToString(m.Sum(nil))
}

// Add records the people named by keys (raw or normalized; empty ones are
// ignored) as forgotten, creating the salt on first use, and returns how
// many were not forgotten before.
func (r *Registry) Add(ctx context.Context, keys ...string) (int, error) {
	var members []any
	for _, k := range keys {
		if k = prospects.NormalizeKey(k); k != "" {
			members = append(members, k)
		}
	}
	if len(members) == 0 {
		return 0, nil
	}
	salt, err := r.ensureSalt(ctx)
	if err != nil {
		return 0, err
	}
	for i, k := range members {
		members[i] = hash(salt, k.(string))
	}
	n, err := r.rdb.SAdd(ctx, r.setKey, members...).Result()
	if err != nil {
		return 0, fmt.Errorf("forget: recording: %w", err)
	}
	return int(n), nil
}

// Has reports whether the person named by key (raw or normalized) was
// forgotten: one round trip once the salt is known.
func (r *Registry) Has(ctx context.Context, key string) (bool, error) {
	if key = prospects.NormalizeKey(key); key == "" {
		return false, nil
	}
	salt, err := r.readSalt(ctx)
	if err != nil || salt == nil {
		return false, err
	}
	ok, err := r.rdb.SIsMember(ctx, r.setKey, hash(salt, key)).Result()
	if err != nil {
		return false, fmt.Errorf("forget: reading the forgotten set: %w", err)
	}
	return ok, nil
}

// Queue adds to pipeline p the check Has makes for key, and returns the
// function that reads its answer once p has run: one round trip shared
// with the caller's own commands. Until the salt is known (nobody was
// forgotten yet, or this process has not read it), it queues the salt's
// read instead, and the answer makes the check itself only when a salt
// appeared (the first time someone is forgotten; the salt is kept then).
func (r *Registry) Queue(ctx context.Context, p redis.Pipeliner, key string) func() (bool, error) {
	if key = prospects.NormalizeKey(key); key == "" {
		return func() (bool, error) { return false, nil }
	}
	r.mu.Lock()
	salt := r.salt
	r.mu.Unlock()
	if salt != nil {
		cmd := p.SIsMember(ctx, r.setKey, hash(salt, key))
		return func() (bool, error) {
			ok, err := cmd.Result()
			if err != nil {
				return false, fmt.Errorf("forget: reading the forgotten set: %w", err)
			}
			return ok, nil
		}
	}
	get := p.Exists(ctx, r.saltKey)
	card := p.SCard(ctx, r.setKey)
	return func() (bool, error) {
		n, err := get.Result()
		if err != nil {
			return false, fmt.Errorf("forget: reading the salt: %w", err)
		}
		if n == 0 && card.Val() == 0 {
			return false, nil // nobody was ever forgotten
		}
		return r.Has(ctx, key) // reads (and keeps) the salt, or reports it lost
	}
}

// Count is the number of people forgotten. It only grows: a reader that
// loaded the set can tell whether someone was forgotten since.
func (r *Registry) Count(ctx context.Context) (int, error) {
	n, err := r.rdb.SCard(ctx, r.setKey).Result()
	if err != nil {
		return 0, fmt.Errorf("forget: reading the forgotten set: %w", err)
	}
	return int(n), nil
}

// Load reads the whole set, to test many keys without a round trip each.
func (r *Registry) Load(ctx context.Context) (*Set, error) {
	salt, err := r.readSalt(ctx)
	if err != nil {
		return nil, err
	}
	s := &Set{salt: salt, hashes: map[string]struct{}{}}
	if salt == nil {
		return s, nil // nobody was ever forgotten
	}
	var cursor uint64
	for {
		hs, next, err := r.rdb.SScan(ctx, r.setKey, cursor, "", 1000).Result()
		if err != nil {
			return nil, fmt.Errorf("forget: reading the forgotten set: %w", err)
		}
		for _, h := range hs {
			s.hashes[h] = struct{}{}
		}
		if cursor = next; cursor == 0 {
			return s, nil
		}
	}
}

// Set is the forgotten set as read by Load. A nil *Set is empty.
type Set struct {
	salt   []byte
	hashes map[string]struct{}
}

// Has reports whether the person named by key was forgotten. key must be
// normalized (prospects.NormalizeKey), as the CSV readers return it.
func (s *Set) Has(key string) bool {
	if s == nil || len(s.hashes) == 0 || key == "" {
		return false
	}
	_, ok := s.hashes[hash(s.salt, key)]
	return ok
}

// Len is the number of people in the set.
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	return len(s.hashes)
}
