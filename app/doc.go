// Package app composes outreach's processes from their parts: `run` (the
// scheduler's leader, the worker and the sandbox platform in one process,
// on an embedded Redis by default), the scheduler daemon (the lease, the
// leader each time it leads, the signed events endpoint) and the worker
// daemon (the asynq server around the deliverer and the webhook driver),
// with their telemetry, the install marker, and the one-shot commands on
// the shared Redis (status, retry, pause, export, forget). cmd/outreach
// turns flags and signals into Options and a context.
//
// The parts live with their roles: the pure engine in package scheduler
// and what drives it (Leader, Lease, Rebuild) in scheduler/daemon; the
// deliverer in package worker and its asynq handler in worker/daemon.
//
// Every scheduler serves the platform's signed events endpoint
// (scheduler/daemon.Events): an event is recorded only when it answers an invitation the
// ledger's index shows as delivered by that account to that person, dated
// between the send and now; signatures are remembered in Redis, so a
// replay is refused by every scheduler. Ledger entries of accounts not in
// the configuration are skipped and counted, never an error.
package app
