// Package daemon is the scheduler daemon: what drives the pure engine
// (package scheduler) in a process, against Redis and asynq.
//
// It holds the scheduler's lease today (Lease: one scheduler plans at a
// time; the holder renews it, another takes over when it lapses). The
// rest of the daemon (the rebuild from the ledger, the plan on the cron,
// the ledger tail, the reconcile, snapshots and stats, the signed events
// endpoint) still lives in app and is to move here.
package daemon
