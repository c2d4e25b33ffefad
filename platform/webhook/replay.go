package webhook

import (
	"context"
	"time"
)

// Replays remembers the signatures a receiver accepted until their
// timestamps leave the tolerance window. The events endpoint of every
// scheduler shares one (ledger.Replays, in Redis), so that a request
// refused as replayed by one is refused by all, before and after a
// restart; a ReplayCache (MemoryReplays) serves one process.
type Replays interface {
	// Add records sig until `until` and reports whether it was new:
	// false means it was recorded before (a replay).
	Add(ctx context.Context, sig string, until, now time.Time) (bool, error)
	// Forget removes sig, so that the same request may come again.
	Forget(ctx context.Context, sig string) error
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
