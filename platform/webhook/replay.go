package webhook

import (
	"context"
	"sync"
	"time"
)

// Replays remembers the requests a receiver accepted, by
// Verified.ReplayKey (the webhook-id with Standard Webhooks, the signature
// with outreach-v1), until their timestamps leave the tolerance window.
// The events endpoint of every scheduler shares one (ledger.Replays, in Redis), so that a request
// refused as replayed by one is refused by all, before and after a
// restart; a ReplayCache (MemoryReplays) serves one process.
type Replays interface {
	// Add records key until `until` and reports whether it was new:
	// false means it was recorded before (a replay).
	Add(ctx context.Context, key string, until, now time.Time) (bool, error)
	// Forget removes key, so that the same request may come again.
	Forget(ctx context.Context, key string) error
}

// MemoryReplays returns c as Replays: one process's memory.
func MemoryReplays(c *ReplayCache) Replays { return memReplays{c} }

type memReplays struct{ c *ReplayCache }

func (m memReplays) Add(_ context.Context, sig string, until, now time.Time) (bool, error) {
	return m.c.Add(sig, until, now) == nil, nil
}

func (m memReplays) Forget(_ context.Context, sig string) error {
	m.c.Forget(sig)
	return nil
}

// DefaultReplayEntries bounds a ReplayCache made with NewReplayCache(0).
const DefaultReplayEntries = 100_000

// ReplayCache remembers the replay keys of verified requests until their
// timestamps leave the tolerance window, so that a captured request sent
// again is refused. Its memory is bounded: when it holds its maximum, the
// oldest entry is dropped first (only a signed request can enter the cache,
// so only a flood of genuine requests can push one out early). It is safe
// for concurrent use.
type ReplayCache struct {
	mu    sync.Mutex
	max   int
	seen  map[string]int64 // signature -> unix ns until which it is remembered
	queue []replayEntry    // insertion order; entries may be stale (forgotten or re-added)
	head  int
}

type replayEntry struct {
	sig   string
	until int64
}

// NewReplayCache returns a cache holding at most max signatures
// (DefaultReplayEntries when max <= 0).
func NewReplayCache(max int) *ReplayCache {
	if max <= 0 {
		max = DefaultReplayEntries
	}
	return &ReplayCache{max: max, seen: map[string]int64{}}
}

// Add records sig, valid until until, and returns ErrReplayed when it is
// already recorded and not yet expired at now.
func (c *ReplayCache) Add(sig string, until, now time.Time) error {
	n, u := now.UnixNano(), until.UnixNano()
	c.mu.Lock()
	defer c.mu.Unlock()
	if t, ok := c.seen[sig]; ok && t >= n {
		return ErrReplayed
	}
	c.evict(n)
	c.seen[sig] = u
	c.queue = append(c.queue, replayEntry{sig, u})
	return nil
}

// Forget removes sig, so that the same request may be sent again (after a
// receiver failed to handle it).
func (c *ReplayCache) Forget(sig string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.seen, sig)
}

// Len returns the number of signatures remembered.
func (c *ReplayCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen)
}

// evict drops entries from the front of the queue while they are expired,
// stale, or the cache is full; then compacts the queue when it is mostly
// dead.
func (c *ReplayCache) evict(now int64) {
	for c.head < len(c.queue) {
		e := c.queue[c.head]
		t, live := c.seen[e.sig]
		live = live && t == e.until
		if live && e.until >= now && len(c.seen) < c.max {
			break
		}
		if live {
			delete(c.seen, e.sig)
		}
		c.queue[c.head] = replayEntry{}
		c.head++
	}
	if c.head > 1024 && c.head > len(c.queue)/2 || len(c.queue)-c.head > 2*c.max {
		q := make([]replayEntry, 0, len(c.seen)+1)
		for _, e := range c.queue[c.head:] {
			if t, ok := c.seen[e.sig]; ok && t == e.until {
				q = append(q, e)
			}
		}
		c.queue, c.head = q, 0
	}
}
