// Package daemon is the scheduler daemon: what drives the pure engine
// (package scheduler) in a process, against Redis and asynq.
//
//   - Lease: one scheduler leads at a time; the holder renews it, another
//     takes over when it lapses.
//   - Leader: the work while this process leads. Rebuild brings a fresh
//     engine to the state the ledger describes; Run (or Start/Stop in the
//     background) plans on the cron tick and enqueues each task at its time
//     under its idempotency key, losing none when the queue is down
//     (enqueue.go); tails the ledger and applies each entry; reads the
//     operator's pauses before every plan (holds.go); reconciles tasks
//     whose outcome never came; writes the statistics and snapshots, and
//     trims the ledger.
//   - Events: the signed inbound events endpoint every scheduler serves,
//     leading or not (Start/Stop): each event checked against what was
//     sent, then recorded in the ledger.
//   - Rebuild and RebuildWith: the same rebuild for the one-shot readers
//     (status, retry, export); ApplyEntry and SkipReason apply one ledger
//     entry as the live leader does.
//
// The install marker and the telemetry are composed around them by
// package app.
package daemon
