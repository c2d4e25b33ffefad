// Package app runs outreach as a service: the planner on a cron tick, the
// asynq worker that delivers, the platform driver and the progress report,
// wired over one Redis (an embedded in-process one when none is
// configured). cmd/outreach turns flags and signals into Options and a
// context; everything else lives here.
//
// The planner loses no planned action: a task the queue does not take
// (Redis down) is kept and offered again with backoff until it is, and a
// task a worker handed back late is replaced in the queue under its key
// (enqueue.go).
//
// Every scheduler serves the platform's signed events endpoint
// (events.go): an event is recorded only when it answers an invitation the
// ledger's index shows as delivered by that account to that person, dated
// between the send and now; signatures are remembered in Redis, so a
// replay is refused by every scheduler. Ledger entries of accounts not in
// the configuration are skipped and counted, never an error.
package app
