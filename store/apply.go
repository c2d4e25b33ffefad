package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"iter"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/forget"
	"github.com/outreach-scheduler/outreach/lifecycle"
)

// Row is one prospect given to Apply.
type Row struct {
	Key     string            // normalized key (prospects.NormalizeKey), unique in the campaign
	Account string            // pinned sender, or ""
	Skip    string            // "" or lifecycle.SkipExcluded
	Fields  map[string]string // template fields; only those the templates reference are stored
}

// ApplyOptions tune Apply.
type ApplyOptions struct {
	// SizeHint is the expected number of rows; it sizes the buckets (one
	// per 48 rows, see the package doc). 0 means unknown: one bucket, right
	// for small campaigns only. CSVRows estimates it from the file size;
	// campaigns.Summary.Prospects is exact.
	SizeHint int
}

// ApplyResult is what Apply changed.
type ApplyResult struct {
	Added   int // keys not in the previous version (a removed key coming back is added)
	Kept    int // keys in both versions
	Removed int // keys of the previous version missing from this one
	// Changed counts the kept prospects whose stored data (fields, pin,
	// exclusion, position in the file) differs.
	Changed int
	// Unchanged is true when the file and every prospect are as applied
	// before: nothing was switched.
	Unchanged bool
	// Generation is the version now applied.
	Generation int64
	// Forgotten counts the rows left out because their person was
	// forgotten (`outreach forget`): their key is not stored. (A person
	// forgotten while the apply staged them is counted here and in Added
	// or Kept too.)
	Forgotten int
}

// Apply stores campaign c with the prospects rows yields, as one atomic
// switch: the new version is written to staging keys, then made current in
// one MULTI/EXEC on the campaign's hash tag. An error (from rows, Redis or
// ctx) before the switch leaves the previous version current and intact,
// and the staging keys are deleted (or expire after StagingTTL).
//
// c must be valid (campaigns.Check without errors): Apply only refuses
// rows it cannot store (an empty or repeated key, a pin that is not a
// sender of c, an unknown skip reason). Rows of forgotten people (package
// forget) are left out and counted in ApplyResult.Forgotten.
func (s *Store) Apply(ctx context.Context, c *campaigns.Campaign, rows iter.Seq2[Row, error], opt ApplyOptions) (ApplyResult, error) {
	if c.Name == "" {
		return ApplyResult{}, errors.New("store: campaign has no name")
	}
	yaml, err := os.ReadFile(c.Path)
	if err != nil {
		return ApplyResult{}, fmt.Errorf("store: campaign %s: %w", c.Name, err)
	}
	sum := sha256.Sum256(yaml)
	a := &applier{
		s: s, c: c, k: s.keys(c.Name),
		fields:   TemplateFields(c),
		def:      hex.EncodeToString(sum[:]),
		yaml:     yaml,
		buckets:  bucketsFor(opt.SizeHint),
		senders:  c.Accounts,
		batchMax: max(1, s.Batch),
	}
	a.base, err = s.Info(ctx, c.Name)
	if errors.Is(err, ErrNotApplied) {
		a.base, err = nil, nil
	}
	if err != nil {
		return ApplyResult{}, err
	}
	if err := a.loadForgotten(ctx); err != nil {
		return ApplyResult{}, err
	}
	a.gen, err = s.rdb.HIncrBy(ctx, a.k.meta(), metaNext, 1).Result()
	if err != nil {
		return ApplyResult{}, fmt.Errorf("store: campaign %s: %w", c.Name, err)
	}
	a.touched = make([]bool, a.buckets)
	res, err := a.run(ctx, rows)
	if err != nil || res.Unchanged {
		a.discard(ctx)
	}
	if err != nil {
		return ApplyResult{}, fmt.Errorf("store: applying campaign %s: %w", c.Name, err)
	}
	if err := s.rdb.SAdd(ctx, s.campaignsKey(), c.Name).Err(); err != nil {
		return res, fmt.Errorf("store: campaign %s applied, but not listed (apply again): %w", c.Name, err)
	}
	return res, nil
}

// applier is the state of one Apply.
type applier struct {
	s        *Store
	c        *campaigns.Campaign
	k        keys
	base     *Info // the current version, nil if none
	gen      int64 // the staging generation
	buckets  int
	touched  []bool // staging buckets given a TTL
	fields   []string
	senders  []string
	def      string
	yaml     []byte
	batchMax int
	res      ApplyResult
	count    int         // rows staged
	pos      int         // rows read
	forgot   *forget.Set // forgotten people, left out (see recheckForgotten)
}

// pending is one staged row of a batch and its replies.
type pending struct {
	key   string
	value []byte
	old   *redis.StringCmd // HGET in the base version, nil without one
	set   *redis.IntCmd    // HSET in the staging bucket
}

func (a *applier) run(ctx context.Context, rows iter.Seq2[Row, error]) (ApplyResult, error) {
	batch := make([]pending, 0, a.batchMax)
	for r, err := range rows {
		if err != nil {
			return ApplyResult{}, err
		}
		if err := a.check(&r); err != nil {
			return ApplyResult{}, err
		}
		a.pos++ // a forgotten row keeps its place: the others' positions do not change
		if a.forgot.Has(r.Key) {
			a.res.Forgotten++
			continue
		}
		batch = append(batch, pending{key: r.Key, value: encodeRow(nil, a.pos-1, &r, a.fields)})
		a.count++
		if len(batch) == a.batchMax {
			if err := a.flush(ctx, batch); err != nil {
				return ApplyResult{}, err
			}
			batch = batch[:0]
		}
	}
	if err := a.flush(ctx, batch); err != nil {
		return ApplyResult{}, err
	}
	removedTotal, err := a.stageRemoved(ctx)
	if err != nil {
		return ApplyResult{}, err
	}
	res := a.res
	if b := a.base; b != nil && res.Added == 0 && res.Removed == 0 && res.Changed == 0 && b.DefHash == a.def {
		res.Unchanged, res.Generation = true, b.Generation
		// Unchanged against the version this apply started from, which
		// must still be the current one.
		cur, err := a.s.rdb.HGet(ctx, a.k.meta(), metaGen).Int64()
		if err != nil {
			return ApplyResult{}, err
		}
		if cur != b.Generation {
			return ApplyResult{}, ErrConcurrentApply
		}
		return res, nil
	}
	res.Generation = a.gen
	err = a.commit(ctx, removedTotal)
	res.Forgotten = a.res.Forgotten // with those forgotten while it staged
	return res, err
}

func (a *applier) check(r *Row) error {
	switch {
	case r.Key == "":
		return errors.New("a prospect with an empty key")
	case r.Account != "" && !slices.Contains(a.senders, r.Account):
		return fmt.Errorf("prospect %s: account %q is not a sender of the campaign", r.Key, r.Account)
	case r.Skip != "" && r.Skip != lifecycle.SkipExcluded:
		return fmt.Errorf("prospect %s: skip reason %q cannot be stored", r.Key, r.Skip)
	}
	return nil
}

// flush stages a batch in one pipeline and counts added, kept and changed.
func (a *applier) flush(ctx context.Context, batch []pending) error {
	if len(batch) == 0 {
		return nil
	}
	p := a.s.rdb.Pipeline()
	for i := range batch {
		e := &batch[i]
		if a.base != nil {
			e.old = p.HGet(ctx, a.k.bucket(a.base.Generation, bucketOf(e.key, a.base.Buckets)), e.key)
		}
		b := bucketOf(e.key, a.buckets)
		e.set = p.HSet(ctx, a.k.bucket(a.gen, b), e.key, e.value)
		if !a.touched[b] {
			a.touched[b] = true
			p.Expire(ctx, a.k.bucket(a.gen, b), a.s.StagingTTL)
		}
	}
	if _, err := p.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return err
	}
	for _, e := range batch {
		if e.set.Val() != 1 {
			return fmt.Errorf("prospect %s appears twice", e.key)
		}
		if e.old == nil {
			a.res.Added++
			continue
		}
		old, err := e.old.Result()
		switch {
		case errors.Is(err, redis.Nil):
			a.res.Added++
		case err != nil:
			return err
		default:
			a.res.Kept++
			if old != string(e.value) {
				a.res.Changed++
			}
		}
	}
	return nil
}

// stageRemoved builds the staging removed set: the previous version's
// removed keys and members that are not in the new version. It counts the
// members newly removed and returns the size of the set.
func (a *applier) stageRemoved(ctx context.Context) (int, error) {
	if a.base == nil {
		return 0, nil
	}
	const group = 64 // old buckets read per round trip
	for first := 0; first < a.base.Buckets; first += group {
		p := a.s.rdb.Pipeline()
		var cmds []*redis.StringSliceCmd
		for b := first; b < min(first+group, a.base.Buckets); b++ {
			cmds = append(cmds, p.HKeys(ctx, a.k.bucket(a.base.Generation, b)))
		}
		if _, err := p.Exec(ctx); err != nil {
			return 0, err
		}
		var keys []string
		for _, cmd := range cmds {
			keys = append(keys, cmd.Val()...)
		}
		n, err := a.addMissing(ctx, keys)
		if err != nil {
			return 0, err
		}
		a.res.Removed += n
	}
	var cursor uint64
	for {
		keys, next, err := a.s.rdb.SScan(ctx, a.k.removed(a.base.Generation), cursor, "", int64(a.batchMax)).Result()
		if err != nil {
			return 0, err
		}
		if _, err := a.addMissing(ctx, keys); err != nil {
			return 0, err
		}
		if cursor = next; cursor == 0 {
			break
		}
	}
	n, err := a.s.rdb.SCard(ctx, a.k.removed(a.gen)).Result()
	return int(n), err
}

// addMissing adds to the staging removed set the keys that are not in the
// staging version, and returns how many were added.
func (a *applier) addMissing(ctx context.Context, keys []string) (int, error) {
	if len(keys) == 0 {
		return 0, nil
	}
	p := a.s.rdb.Pipeline()
	cmds := make([]*redis.BoolCmd, len(keys))
	for i, key := range keys {
		cmds[i] = p.HExists(ctx, a.k.bucket(a.gen, bucketOf(key, a.buckets)), key)
	}
	if _, err := p.Exec(ctx); err != nil {
		return 0, err
	}
	var missing []any
	for i, cmd := range cmds {
		if !cmd.Val() && !a.forgot.Has(keys[i]) {
			missing = append(missing, keys[i])
		}
	}
	if len(missing) == 0 {
		return 0, nil
	}
	p = a.s.rdb.Pipeline()
	added := p.SAdd(ctx, a.k.removed(a.gen), missing...)
	p.Expire(ctx, a.k.removed(a.gen), a.s.StagingTTL)
	if _, err := p.Exec(ctx); err != nil {
		return 0, err
	}
	return int(added.Val()), nil
}

// commit makes the staging generation current in one MULTI/EXEC, if the
// current generation is still the one Apply started from.
func (a *applier) commit(ctx context.Context, removedTotal int) error {
	baseGen := int64(0)
	if a.base != nil {
		baseGen = a.base.Generation
	}
	txf := func(tx *redis.Tx) error {
		cur, err := tx.HGet(ctx, a.k.meta(), metaGen).Int64()
		if err != nil && !errors.Is(err, redis.Nil) {
			return err
		}
		if cur != baseGen {
			return ErrConcurrentApply
		}
		if err := a.recheckForgotten(ctx, &removedTotal); err != nil {
			return err
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.HSet(ctx, a.k.meta(),
				metaGen, a.gen, metaBuckets, a.buckets, metaCount, a.count, metaRemoved, removedTotal,
				metaFields, strings.Join(a.fields, ","), metaDef, a.def, metaYAML, a.yaml, metaPath, a.c.Path)
			for _, key := range a.k.genKeys(a.gen, a.buckets) {
				p.Persist(ctx, key)
			}
			if a.base != nil {
				for _, key := range a.k.genKeys(a.base.Generation, a.base.Buckets) {
					p.Expire(ctx, key, a.s.Grace)
				}
			}
			return nil
		})
		return err
	}
	for range 5 {
		err := a.s.rdb.Watch(ctx, txf, a.k.meta())
		if !errors.Is(err, redis.TxFailedErr) {
			return err
		}
		// meta was touched (another apply allocating a generation): look again.
	}
	return ErrConcurrentApply
}

// discard deletes the staging keys, even when ctx is cancelled; what it
// cannot delete expires after StagingTTL.
func (a *applier) discard(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	p := a.s.rdb.Pipeline()
	for _, key := range a.k.genKeys(a.gen, a.buckets) {
		p.Unlink(ctx, key)
	}
	_, _ = p.Exec(ctx)
}

// String formats the result as the apply command prints it.
func (r ApplyResult) String() string {
	s := "unchanged"
	if !r.Unchanged {
		s = strconv.Itoa(r.Added) + " added, " + strconv.Itoa(r.Kept) + " kept, " + strconv.Itoa(r.Removed) + " removed"
	}
	if r.Forgotten > 0 {
		s += "; " + strconv.Itoa(r.Forgotten) + " skipped: forgotten"
	}
	return s
}
