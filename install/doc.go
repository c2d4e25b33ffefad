// Package install notices when Redis loses outreach's state, and rebuilds
// that state from the platform's own record.
//
// # The marker
//
// Redis holds one install marker, the HASH outreach:{install} with the
// fields id (a random 128-bit hex ID), created (RFC 3339), version (of this
// format, 1), origin (how the install began: "new", "recovered" from the
// platform, "init" by `outreach init`, "import" by `outreach init
// --recover FILE`) and recovered (the invitations rebuilt then). It is
// written once, atomically, and only when absent (Create), when an
// install begins. Every process reads it at start and remembers its ID; a
// watcher re-reads it every few seconds (Check). A marker that vanished
// means Redis lost its data (restarted without persistence, flushed,
// evicted keys); one with another ID means another install took this Redis
// over. Either way the process stops sending at once and exits with a
// *LostError: carrying on would re-invite people and send past the caps,
// as the state it relies on (the limiter's send log, the ledger) is gone.
//
// # Starting without a marker
//
// A daemon that starts on a Redis without a marker asks the platform for
// its record of the invitations it accepted (platform.Sent; the sandbox
// model, the sandbox server and the webhook protocol's optional "sent
// invitations" request answer it). With sends for the configured accounts
// it rebuilds from them what the caps, gaps and dedupe need (Rebuild):
//
//   - the ledger gets, per invitation, a delivered invite task with its
//     outcome, and its answer (a platform event for accepted, declined or
//     expired; a delivered withdraw task for withdrawn), in time order, so
//     that the planner's normal replay restores dedupe, pending
//     invitations, cooldowns and the planner's own send log;
//   - the Redis limiter gets every send of the last 40 days at its time
//     (pacing.RedisLimiter.Restore), so that the rolling weekly cap, the
//     daily cap, the gap and the notes allowance hold for the workers.
//
// The recovery is logged at ERROR with its counts and counted in
// outreach_recoveries_total; the marker is written last (origin
// "recovered"), so a recovery cut short is simply done again (every step
// is idempotent). Only one process recovers at a time (a lock key,
// outreach:{install}:recovery, with a TTL); the others wait for the
// marker. With no sends for these accounts, the install is new. A driver
// that cannot answer (platform.ErrNoSentRecord) makes the daemon refuse to
// start until the operator runs `outreach init` (an empty start, or the
// adoption of a Redis from before markers) or `outreach init --recover
// FILE` (ReadExport: an export of the sent invitations).
//
// What is not rebuilt: follows and messages (their idempotency keys make
// the platform answer a repeat as the first time), pauses after a
// restriction, the statistics behind the durable gauges (recounted from
// the rebuilt ledger), and the campaigns (the scheduler applies its files
// at start).
//
// # Eviction
//
// CheckEviction reads maxmemory-policy (CONFIG GET, on every master of a
// cluster). Any policy but noeviction lets Redis drop keys when it is full,
// so the daemons, `run` on a real Redis and `apply` refuse to start with
// it (*EvictionError); where CONFIG is refused (managed Redis: unknown
// command, NOPERM) it returns ErrConfigRefused and the caller only warns.
package install
