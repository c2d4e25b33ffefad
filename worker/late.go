package worker

import (
	"time"

	"github.com/outreach-scheduler/outreach/pacing"
	"github.com/outreach-scheduler/outreach/wire"
)

// handBack is the check Deliverer.Do makes before anything else: a task
// that comes at or after its NotAfter (the end of the working time it was
// planned in: workers were down, the queue was behind) is not performed.
// Nothing is reserved nor sent; the outcome, Denied with pacing.DenyHours,
// hands it back to the planner, which plans it again in the next open
// period. An expiry (no platform call) and a task without NotAfter (planned
// by a version-1 planner) are never late.
func handBack(t wire.Task, now time.Time) (wire.Outcome, bool) {
	if t.Kind == wire.KindExpire || t.NotAfter.IsZero() || now.Before(t.NotAfter) {
		return wire.Outcome{}, false
	}
	return wire.Outcome{Kind: wire.Denied, At: now, Denial: pacing.DenyHours}, true
}
