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
package app
