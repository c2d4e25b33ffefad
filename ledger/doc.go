// Package ledger is the durable record of what happened: every outcome a
// worker reports and every event the platform reports, appended to one
// Redis stream in the order they arrive. The scheduler applies the stream to
// its planner as it grows, and rebuilds its whole state from it after a
// restart or a change of leader, so nothing is lost when a process dies:
// workers on other machines only ever append.
//
// One stream is one ordered log; its key carries the hash tag {ledger} so
// that it lives on one slot of a Redis Cluster. Its entries are
// wire.Entry records (versioned JSON); Read returns the entries before one
// that does not decode together with a *BadEntryError naming its stream ID.
//
// # Snapshots and retention
//
// The stream would grow with all history. The leading scheduler therefore
// writes, every ledger.snapshot_every, a snapshot of the planner's state as
// of a stream position (WriteSnapshot: opaque bytes, written by package
// scheduler), and then trims the stream (Trim, XTRIM MINID) before the
// older of the previous snapshot's position and ledger.retention ago. A
// rebuild restores the newest snapshot that loads and verifies (current,
// then previous) and reads the stream after its position.
//
// Keys, all with the hash tag {ledger} (P is the prefix, "outreach:"):
//
//	P{ledger}:stream            STREAM  the entries, field "e"
//	P{ledger}:snapshots         HASH    seq (generation counter), current and
//	                                    previous (JSON Snapshot), trimmed (the
//	                                    MINID of the last trim that deleted)
//	P{ledger}:snapshot:GEN:I    STRING  piece I (1 MB) of snapshot GEN
//	P{ledger}:epoch             STRING  the workspace's change counter (apply,
//	                                    forget): the leader rebuilds when it moves
//
// A snapshot's pieces are written first, with a TTL, then one MULTI/EXEC
// makes them current (PERSIST), keeps the replaced one as previous and
// deletes the one before: a crash at any point leaves the current and
// previous snapshots usable.
//
// Erasure: Forget deletes every entry naming a person (`outreach forget`),
// and an outcome or event naming a person in the forget.Registry is not
// appended at all, so that their key and note texts never come back.
package ledger
