package config

import (
	"time"

	"github.com/outreach-scheduler/outreach/internal/strictyaml"
)

// Ledger is the `ledger` section: how long the ledger of outcomes and
// platform events is kept, and how often the planner's state is written as
// a snapshot so that the ledger before it can go.
type Ledger struct {
	// Retention (`retention`) is how long ledger entries (and the note
	// texts they carry) are kept: the leading scheduler trims entries older
	// than this once a snapshot covers them. Default 14d; at least 1d.
	Retention time.Duration
	// SnapshotEvery (`snapshot_every`) is how often the leading scheduler
	// writes a snapshot of the planner's state. Default 10m; at least 10s.
	SnapshotEvery time.Duration
}

// Defaults of the ledger section.
const (
	DefaultLedgerRetention     = 14 * Day
	DefaultLedgerSnapshotEvery = 10 * time.Minute
)

func (l *Ledger) decode(m *strictyaml.Map) {
	if positiveDuration(m, "retention", &l.Retention) && l.Retention < Day {
		m.Errorf("retention", "must be at least 1d (a snapshot every snapshot_every must cover what is trimmed), got %s", FormatDuration(l.Retention))
	}
	if positiveDuration(m, "snapshot_every", &l.SnapshotEvery) && l.SnapshotEvery < 10*time.Second {
		m.Errorf("snapshot_every", "must be at least 10s, got %s", FormatDuration(l.SnapshotEvery))
	}
}
