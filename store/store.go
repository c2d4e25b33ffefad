package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/outreach-scheduler/outreach/internal/keyspace"
)

// DefaultPrefix starts every key the store writes.
const DefaultPrefix = keyspace.Prefix

// Store is the applied campaigns and their prospects in Redis. It is safe
// for concurrent use; Apply on one campaign from two processes at once is
// detected (one fails with ErrConcurrentApply), never mixed.
type Store struct {
	rdb    redis.UniversalClient
	prefix string
	// Grace is how long a replaced generation stays readable after a
	// switch, for readers that started before it (see Open). Default 15m.
	Grace time.Duration
	// StagingTTL bounds the life of the keys of an apply that never
	// finished (a killed process). Default 24h.
	StagingTTL time.Duration
	// Batch is the number of prospects sent per pipeline. Default 1000.
	Batch int
}

// New returns a store on rdb whose keys start with prefix ("" means
// DefaultPrefix).
func New(rdb redis.UniversalClient, prefix string) *Store {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	return &Store{rdb: rdb, prefix: prefix, Grace: 15 * time.Minute, StagingTTL: 24 * time.Hour, Batch: 1000}
}

// ErrNotApplied is returned by Open and Info for a campaign never applied.
var ErrNotApplied = errors.New("campaign not applied")

// ErrConcurrentApply is returned by Apply when another apply of the same
// campaign committed while this one was staging. Nothing of this apply was
// kept; run it again.
var ErrConcurrentApply = errors.New("campaign changed by a concurrent apply; nothing applied, try again")

// keys names the keys of one campaign; all share the hash tag {camp:NAME}.
type keys struct{ base string }

func (s *Store) keys(name string) keys { return keys{base: s.prefix + "{camp:" + name + "}:"} }

// meta is the campaign's HASH: the current generation and its layout.
func (k keys) meta() string { return k.base + "meta" }

// bucket is bucket b of generation gen: a HASH of normalized key -> row.
func (k keys) bucket(gen int64, b int) string {
	return k.base + "g" + strconv.FormatInt(gen, 10) + ":p:" + strconv.Itoa(b)
}

// removed is the SET of keys removed from the campaign, as of generation gen.
func (k keys) removed(gen int64) string {
	return k.base + "g" + strconv.FormatInt(gen, 10) + ":removed"
}

// genKeys are every key of generation gen with n buckets.
func (k keys) genKeys(gen int64, n int) []string {
	out := make([]string, 0, n+1)
	for b := range n {
		out = append(out, k.bucket(gen, b))
	}
	return append(out, k.removed(gen))
}

// campaignsKey is the SET of applied campaign names (its own slot).
func (s *Store) campaignsKey() string { return s.prefix + "campaigns" }

// Fields of the meta hash.
const (
	metaGen     = "gen"     // current generation, "0" or absent: none
	metaNext    = "next"    // generation counter (HINCRBY)
	metaBuckets = "buckets" // buckets of the current generation
	metaCount   = "count"   // prospects in the current generation
	metaRemoved = "removed" // members of its removed set
	metaFields  = "fields"  // template fields stored, comma-separated, in value order
	metaDef     = "def"     // sha256 of the campaign file, hex
	metaYAML    = "yaml"    // the campaign file as applied
	metaPath    = "path"    // the campaign file's path when applied
)

// Info describes the applied version of a campaign.
type Info struct {
	Name       string
	Generation int64
	Buckets    int
	Prospects  int      // members (excluded ones included), not removed ones
	Removed    int      // keys in the removed set
	Fields     []string // template fields stored for each prospect
	DefHash    string   // sha256 of the campaign file, hex
	Path       string   // the campaign file's path on the machine that applied it
	YAML       []byte   // the campaign file as applied (campaigns.Parse reads it)
}

// Info returns the applied version of campaign name, or ErrNotApplied.
func (s *Store) Info(ctx context.Context, name string) (*Info, error) {
	m, err := s.rdb.HGetAll(ctx, s.keys(name).meta()).Result()
	if err != nil {
		return nil, fmt.Errorf("store: campaign %s: %w", name, err)
	}
	return parseInfo(name, m)
}

func parseInfo(name string, m map[string]string) (*Info, error) {
	gen, _ := strconv.ParseInt(m[metaGen], 10, 64)
	if gen == 0 {
		return nil, fmt.Errorf("store: campaign %s: %w", name, ErrNotApplied)
	}
	in := &Info{Name: name, Generation: gen, DefHash: m[metaDef], Path: m[metaPath], YAML: []byte(m[metaYAML])}
	var errs []error
	for _, f := range []struct {
		key string
		dst *int
	}{{metaBuckets, &in.Buckets}, {metaCount, &in.Prospects}, {metaRemoved, &in.Removed}} {
		n, err := strconv.Atoi(m[f.key])
		if err != nil || n < 0 {
			errs = append(errs, fmt.Errorf("meta %s = %q", f.key, m[f.key]))
		}
		*f.dst = n
	}
	if in.Buckets < 1 {
		errs = append(errs, fmt.Errorf("meta %s = %q", metaBuckets, m[metaBuckets]))
	}
	if m[metaFields] != "" {
		in.Fields = strings.Split(m[metaFields], ",")
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("store: campaign %s: corrupt meta: %w", name, err)
	}
	return in, nil
}

// Campaigns returns the names of the applied campaigns, sorted.
func (s *Store) Campaigns(ctx context.Context) ([]string, error) {
	names, err := s.rdb.SMembers(ctx, s.campaignsKey()).Result()
	if err != nil {
		return nil, fmt.Errorf("store: listing campaigns: %w", err)
	}
	slices.Sort(names)
	return names, nil
}
