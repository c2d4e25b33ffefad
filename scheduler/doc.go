// Package scheduler is the engine: for every sender account it decides
// which prospect to act on next, with which note, and when, so that the
// account uses the capacity its caps, working hours and gaps allow at a
// natural pace and never more.
//
// The Engine is pure and clock-driven: it does no I/O and never reads a
// clock. Its caller (the scheduler daemon, or the simulator) calls Plan with
// the current time to get the tasks due within the planning horizon, hands
// them to workers, and feeds back what happened through Done (a task's
// outcome) and Observe (an event reported by the platform). The same code
// runs in production and in `outreach simulate`.
//
// What crosses a process boundary is package wire's: a task names its
// campaign and person, and Done, Replay and Observe find the prospect by
// them (an engine built over the same campaigns in another order, by
// another scheduler, applies the outcome to the right person). Snapshot
// writes the state as the ledger taught it, Restore loads it into a fresh
// engine: restored and then given the rest of the ledger, an engine plans
// exactly what an engine given the whole ledger plans (snapshot_test.go).
//
// Every task that acts on the platform carries NotAfter, the end of the
// working time it was planned in; a worker that gets it later hands it back
// (Denied, pacing.DenyHours) and Done plans it again in the next open period
// (late.go): nothing is sent outside working hours, however late the
// workers come back, and a late message does not fail its prospect.
//
// Next says what an account does next and what holds its invitations
// back (caps, working hours, pauses, no prospects), with the engine's own
// code in a look-only mode (next.go): asking changes nothing.
//
// Cost per tick does not grow with the number of queued prospects: accounts
// wait in a heap ordered by their next slot, prospects in FIFO queues, and
// pending invitations in per-account FIFOs ordered by age.
package scheduler
