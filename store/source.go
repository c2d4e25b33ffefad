package store

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/redis/go-redis/v9"

	"github.com/outreach-scheduler/outreach/lifecycle"
	"github.com/outreach-scheduler/outreach/templates"
)

// Source is an applied campaign's prospects, read into memory: it
// implements scheduler.Source. The members come first, in the order of the
// CSV applied last (excluded ones with Skip lifecycle.SkipExcluded), then
// the removed keys, sorted, with Skip lifecycle.SkipRemoved and no fields.
type Source struct {
	info    *Info
	keys    []string
	pins    []string
	skips   []string
	values  []string // len(keys) * len(info.Fields); removed keys have none
	scratch templates.Fields
}

// openAttempts bounds the re-reads when an apply switched the campaign and
// its grace period ended while Open was reading it.
const openAttempts = 3

// Open reads the applied version of campaign name (ErrNotApplied if none).
// It is a consistent snapshot: it reads the generation current when it
// starts, which an apply keeps readable for Store.Grace after replacing it,
// and checks the counts it read against the generation's meta.
func (s *Store) Open(ctx context.Context, name string) (*Source, error) {
	var err error
	for range openAttempts {
		var info *Info
		if info, err = s.Info(ctx, name); err != nil {
			return nil, err
		}
		var src *Source
		if src, err = s.read(ctx, info); err == nil {
			return src, nil
		}
		if !errors.Is(err, errShort) {
			break
		}
	}
	return nil, fmt.Errorf("store: reading campaign %s: %w", name, err)
}

var errShort = errors.New("generation changed while reading")

func (s *Store) read(ctx context.Context, info *Info) (*Source, error) {
	k := s.keys(info.Name)
	nf := len(info.Fields)
	src := &Source{info: info}
	pos := make([]uint64, 0, info.Prospects)
	src.keys = make([]string, 0, info.Prospects+info.Removed)
	src.pins = make([]string, 0, info.Prospects)
	src.values = make([]string, 0, info.Prospects*nf)
	var d decoded
	const group = 64 // buckets per round trip
	for first := 0; first < info.Buckets; first += group {
		p := s.rdb.Pipeline()
		var cmds []*redis.MapStringStringCmd
		for b := first; b < min(first+group, info.Buckets); b++ {
			cmds = append(cmds, p.HGetAll(ctx, k.bucket(info.Generation, b)))
		}
		if _, err := p.Exec(ctx); err != nil {
			return nil, err
		}
		for _, cmd := range cmds {
			for key, v := range cmd.Val() {
				if err := decodeRow(v, nf, &d); err != nil {
					return nil, fmt.Errorf("prospect %s: %w", key, err)
				}
				pos = append(pos, d.pos)
				src.keys = append(src.keys, key)
				src.pins = append(src.pins, d.account)
				src.skips = append(src.skips, skipOf(d.excluded))
				src.values = append(src.values, d.values...)
			}
		}
	}
	if len(src.keys) != info.Prospects {
		return nil, fmt.Errorf("%w: read %d prospects, want %d", errShort, len(src.keys), info.Prospects)
	}
	src.sortByPosition(pos, nf)

	removed, err := scanSet(ctx, s.rdb, k.removed(info.Generation))
	if err != nil {
		return nil, err
	}
	if len(removed) != info.Removed {
		return nil, fmt.Errorf("%w: read %d removed, want %d", errShort, len(removed), info.Removed)
	}
	slices.Sort(removed)
	for _, key := range removed {
		src.keys = append(src.keys, key)
		src.pins = append(src.pins, "")
		src.skips = append(src.skips, lifecycle.SkipRemoved)
	}
	return src, nil
}

func skipOf(excluded bool) string {
	if excluded {
		return lifecycle.SkipExcluded
	}
	return ""
}

// sortByPosition puts the members in file order.
func (s *Source) sortByPosition(pos []uint64, nf int) {
	perm := make([]int, len(pos))
	for i := range perm {
		perm[i] = i
	}
	slices.SortFunc(perm, func(a, b int) int { return compareUint(pos[a], pos[b]) })
	keys, pins, skips := make([]string, len(perm)), make([]string, len(perm)), make([]string, len(perm))
	values := make([]string, len(s.values))
	for i, j := range perm {
		keys[i], pins[i], skips[i] = s.keys[j], s.pins[j], s.skips[j]
		copy(values[i*nf:(i+1)*nf], s.values[j*nf:(j+1)*nf])
	}
	s.keys, s.pins, s.skips, s.values = keys, pins, skips, values
}

func compareUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func scanSet(ctx context.Context, rdb redis.UniversalClient, key string) ([]string, error) {
	var out []string
	var cursor uint64
	for {
		keys, next, err := rdb.SScan(ctx, key, cursor, "", 1000).Result()
		if err != nil {
			return nil, err
		}
		out = append(out, keys...)
		if cursor = next; cursor == 0 {
			return out, nil
		}
	}
}

// Info is the applied version the source was read from.
func (s *Source) Info() *Info { return s.info }

// Len implements scheduler.Source.
func (s *Source) Len() int { return len(s.keys) }

// Key implements scheduler.Source.
func (s *Source) Key(i int) string { return s.keys[i] }

// Account implements scheduler.Source.
func (s *Source) Account(i int) string { return s.pins[i] }

// Skip implements scheduler.Source: "", lifecycle.SkipExcluded or
// lifecycle.SkipRemoved.
func (s *Source) Skip(i int) string { return s.skips[i] }

// Fields implements scheduler.Source; the map is reused by the next call.
// It holds the fields the campaign's templates reference, those not empty.
func (s *Source) Fields(i int) templates.Fields {
	if s.scratch == nil {
		s.scratch = make(templates.Fields, len(s.info.Fields))
	}
	clear(s.scratch)
	nf := len(s.info.Fields)
	if (i+1)*nf > len(s.values) {
		return s.scratch // a removed key
	}
	for j, f := range s.info.Fields {
		if v := s.values[i*nf+j]; v != "" {
			s.scratch[f] = v
		}
	}
	return s.scratch
}
