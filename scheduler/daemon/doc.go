// Package daemon is the scheduler daemon: what drives the pure engine
// (package scheduler) in a process, against Redis and asynq.
//
// It holds today:
//   - Lease: one scheduler plans at a time; the holder renews it, another
//     takes over when it lapses.
//   - Rebuild and RebuildWith: a fresh engine brought to the state the
//     ledger describes (the newest usable snapshot, then the ledger after
//     it), as a scheduler taking the lead does, and as status, retry and
//     export read the state; ApplyEntry and SkipReason apply one ledger
//     entry as the live scheduler does.
//
// The rest of the daemon (the plan on the cron, the ledger tail, the
// reconcile, snapshots and stats, the signed events endpoint, the pause
// refresh) still lives in app and is to move here.
package daemon
