package ledger

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Snapshot is the description of a stored snapshot of the planner's state
// (the bytes are opaque here; package scheduler writes and reads them).
type Snapshot struct {
	V        int       `json:"v"`        // version of this description
	Gen      int64     `json:"gen"`      // unique, increasing
	Position string    `json:"position"` // the last ledger entry the state covers ("0": none)
	At       time.Time `json:"at"`       // when it was written
	Bytes    int       `json:"bytes"`
	Chunks   int       `json:"chunks"`
	SHA256   string    `json:"sha256"` // of the bytes, hex
}

const snapshotMetaVersion = 1

// ErrSnapshotDamaged is returned by LoadSnapshot when the stored bytes are
// missing, truncated or do not match their checksum.
var ErrSnapshotDamaged = errors.New("snapshot damaged")

// ErrSnapshotRace is returned by WriteSnapshot when another writer switched
// the snapshots meanwhile (two leaders for a moment): nothing was switched.
var ErrSnapshotRace = errors.New("snapshots changed by another writer meanwhile")

// snapshotChunk is the size of one stored piece: big values block Redis
// while they are copied, and a Redis string holds at most 512 MB.
const snapshotChunk = 1 << 20

// stagingTTL bounds the life of the pieces of a write that never switched
// (a process killed mid-write): the previous snapshots stay current.
const stagingTTL = time.Hour

// The keys share the stream's hash tag, so that the switch is one
// MULTI/EXEC on Redis Cluster too.
func (l *Ledger) snapIndex() string { return l.base + "snapshots" }

func (l *Ledger) snapChunk(gen int64, i int) string {
	return l.base + "snapshot:" + strconv.FormatInt(gen, 10) + ":" + strconv.Itoa(i)
}

func (l *Ledger) snapChunks(s *Snapshot) []string {
	if s == nil {
		return nil
	}
	keys := make([]string, s.Chunks)
	for i := range keys {
		keys[i] = l.snapChunk(s.Gen, i)
	}
	return keys
}

// Fields of the index hash.
const (
	idxSeq      = "seq"      // generation counter
	idxCurrent  = "current"  // JSON Snapshot
	idxPrevious = "previous" // JSON Snapshot
	idxTrimmed  = "trimmed"  // the MINID of the last trim: entries before it are gone
)

// Snapshots returns the current and the previous snapshot (nil when
// none), newest first.
func (l *Ledger) Snapshots(ctx context.Context) (current, previous *Snapshot, err error) {
	m, err := l.rdb.HGetAll(ctx, l.snapIndex()).Result()
	if err != nil {
		return nil, nil, fmt.Errorf("reading the snapshot index: %w", err)
	}
	parse := func(f string) (*Snapshot, error) {
		if m[f] == "" {
			return nil, nil
		}
		var s Snapshot
		if err := json.Unmarshal([]byte(m[f]), &s); err != nil {
			return nil, fmt.Errorf("snapshot index %s: %w", f, err)
		}
		if s.V > snapshotMetaVersion {
			return nil, fmt.Errorf("snapshot index %s has version %d, newer than %d: upgrade this process", f, s.V, snapshotMetaVersion)
		}
		return &s, nil
	}
	if current, err = parse(idxCurrent); err != nil {
		return nil, nil, err
	}
	if previous, err = parse(idxPrevious); err != nil {
		return current, nil, err
	}
	return current, previous, nil
}

// WriteSnapshot stores data as the current snapshot, covering the ledger up
// to position, and keeps the one it replaces as the previous. The pieces
// are written first under keys of their own, then one MULTI/EXEC makes
// them current and drops the snapshot before the previous: a crash at any
// point leaves the current and previous snapshots as they were.
func (l *Ledger) WriteSnapshot(ctx context.Context, position string, at time.Time, data []byte) (Snapshot, error) {
	gen, err := l.rdb.HIncrBy(ctx, l.snapIndex(), idxSeq, 1).Result()
	if err != nil {
		return Snapshot{}, fmt.Errorf("writing a snapshot: %w", err)
	}
	sum := sha256.Sum256(data)
	s := Snapshot{V: snapshotMetaVersion, Gen: gen, Position: position, At: at.UTC(), Bytes: len(data),
		Chunks: (len(data) + snapshotChunk - 1) / snapshotChunk, SHA256: hex.EncodeToString(sum[:])}
	keys := l.snapChunks(&s)
	cleanup := func() { l.rdb.Del(context.WithoutCancel(ctx), keys...) }
	for i := 0; i < s.Chunks; i += 16 {
		pipe := l.rdb.Pipeline()
		for j := i; j < min(i+16, s.Chunks); j++ {
			pipe.Set(ctx, keys[j], data[j*snapshotChunk:min((j+1)*snapshotChunk, len(data))], stagingTTL)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			cleanup()
			return Snapshot{}, fmt.Errorf("writing snapshot %d: %w", gen, err)
		}
	}
	meta, _ := json.Marshal(s)
	err = l.rdb.Watch(ctx, func(tx *redis.Tx) error {
		cur, prev, err := l.Snapshots(ctx)
		if err != nil && cur == nil {
			return err
		}
		if cur != nil && cur.Gen > gen {
			return ErrSnapshotRace
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			f := []any{idxCurrent, string(meta)}
			if cur != nil {
				b, _ := json.Marshal(cur)
				f = append(f, idxPrevious, string(b))
			}
			p.HSet(ctx, l.snapIndex(), f...)
			for _, k := range keys {
				p.Persist(ctx, k)
			}
			if old := l.snapChunks(prev); len(old) > 0 {
				p.Del(ctx, old...)
			}
			return nil
		})
		return err
	}, l.snapIndex())
	if errors.Is(err, redis.TxFailedErr) {
		err = ErrSnapshotRace
	}
	if err != nil {
		cleanup()
		return Snapshot{}, fmt.Errorf("switching to snapshot %d: %w", gen, err)
	}
	return s, nil
}

// LoadSnapshot reads the bytes of s and checks them against its length
// and checksum (ErrSnapshotDamaged).
func (l *Ledger) LoadSnapshot(ctx context.Context, s *Snapshot) ([]byte, error) {
	keys := l.snapChunks(s)
	data := make([]byte, 0, s.Bytes)
	for i := 0; i < len(keys); i += 32 {
		vals, err := l.rdb.MGet(ctx, keys[i:min(i+32, len(keys))]...).Result()
		if err != nil {
			return nil, fmt.Errorf("reading snapshot %d: %w", s.Gen, err)
		}
		for j, v := range vals {
			str, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("%w: snapshot %d: piece %d of %d is missing", ErrSnapshotDamaged, s.Gen, i+j, s.Chunks)
			}
			data = append(data, str...)
		}
	}
	sum := sha256.Sum256(data)
	if len(data) != s.Bytes || hex.EncodeToString(sum[:]) != s.SHA256 {
		return nil, fmt.Errorf("%w: snapshot %d: %d bytes, want %d, or checksum mismatch", ErrSnapshotDamaged, s.Gen, len(data), s.Bytes)
	}
	return data, nil
}

// Trim deletes the entries before minID (XTRIM MINID) and, when there are
// any, first records minID, so that a rebuild knows the ledger no longer
// starts at the beginning.
// It returns the number of entries deleted.
func (l *Ledger) Trim(ctx context.Context, minID string) (int64, error) {
	first, err := l.rdb.XRangeN(ctx, l.key, "-", "+", 1).Result()
	if err != nil {
		return 0, fmt.Errorf("trimming the ledger: %w", err)
	}
	if len(first) == 0 || !After(minID, first[0].ID) {
		return 0, nil // nothing before minID: the ledger stays whole
	}
	if err := l.rdb.HSet(ctx, l.snapIndex(), idxTrimmed, minID).Err(); err != nil {
		return 0, fmt.Errorf("trimming the ledger: %w", err)
	}
	n, err := l.rdb.XTrimMinID(ctx, l.key, minID).Result()
	if err != nil {
		return 0, fmt.Errorf("trimming the ledger before %s: %w", minID, err)
	}
	return n, nil
}

// TrimmedBefore returns the MINID of the last trim ("" if never trimmed):
// the ledger alone cannot rebuild the state then, a snapshot must.
func (l *Ledger) TrimmedBefore(ctx context.Context) (string, error) {
	v, err := l.rdb.HGet(ctx, l.snapIndex(), idxTrimmed).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("reading the snapshot index: %w", err)
	}
	return v, nil
}

// Len is the number of entries in the stream.
func (l *Ledger) Len(ctx context.Context) (int64, error) {
	return l.rdb.XLen(ctx, l.key).Result()
}

// IDAt is the stream ID of the first entry that can be written at t
// (stream IDs are the Redis server's milliseconds).
func IDAt(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) + "-0" }

// Epoch returns the workspace's change counter: `apply` and `forget` bump
// it, and the leading scheduler rebuilds its state when it moves.
func (l *Ledger) Epoch(ctx context.Context) (int64, error) {
	n, err := l.rdb.Get(ctx, l.base+"epoch").Int64()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("reading the workspace epoch: %w", err)
	}
	return n, nil
}

// BumpEpoch tells the leading scheduler that the workspace changed (an
// apply, a forget) and its state must be rebuilt.
// It returns the epoch after the bump.
func (l *Ledger) BumpEpoch(ctx context.Context) (int64, error) {
	n, err := l.rdb.Incr(ctx, l.base+"epoch").Result()
	if err != nil {
		return 0, fmt.Errorf("bumping the workspace epoch: %w", err)
	}
	return n, nil
}

// After reports whether stream ID a comes after b; "" and "0" come before
// every ID.
func After(a, b string) bool {
	am, as := splitID(a)
	bm, bs := splitID(b)
	if am != bm {
		return am > bm
	}
	return as > bs
}

func splitID(id string) (ms, seq uint64) {
	m, s, _ := strings.Cut(id, "-")
	ms, _ = strconv.ParseUint(m, 10, 64)
	seq, _ = strconv.ParseUint(s, 10, 64)
	return ms, seq
}
