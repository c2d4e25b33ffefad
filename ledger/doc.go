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
//	P{ledger}:sent:KEY          STRING  the index of sent invitations (sent.go):
//	                                    "1 ACCOUNT PERSON SENT ANSWER" for the
//	                                    delivered invitation KEY (PERSON a salted
//	                                    pseudonym, SENT unix ms, ANSWER or "-")
//	P{ledger}:seen:H            STRING  a signature the events endpoint accepted
//	                                    (H: its SHA-256), until its window ends
//	P{ledger}:rejected          HASH    refusals of the events endpoint by reason
//
// # What an event is checked against
//
// Every scheduler serves the platform's signed events endpoint, so what an
// event is checked against lives here, shared. When a worker records a
// delivered invitation (AppendOutcome), the same MULTI/EXEC adds it to the
// index of sent invitations under its idempotency key, with its account, a
// pseudonym of the person (forget.Registry.Pseudonym: no key or name) and
// the send time; it lives expire_after and a week (SetSentTTL), a day once
// the invitation is answered, withdrawn or expired. RecordEvent checks an
// event against it and appends it in one Lua script: the key must be a
// delivered invitation of that account and person, the event dated no
// earlier than the send minus a skew, and not answered otherwise (the same
// answer again is taken and not recorded twice). The leading scheduler
// puts the pending invitations of its state back into the index where
// they are missing (BackfillSent: those sent before the index existed).
// Replays (P{ledger}:seen:H, SET NX PX) remembers the requests accepted
// (by webhook-id, or outreach-v1 signature) for their tolerance window, so
// that a request sent again is refused by every scheduler, before and
// after a restart.
//
// A snapshot's pieces are written first, with a TTL, then one MULTI/EXEC
// makes them current (PERSIST), keeps the replaced one as previous and
// deletes the one before: a crash at any point leaves the current and
// previous snapshots usable.
//
// Erasure: Forget deletes every entry naming a person (`outreach forget`),
// and their entries in the index of sent invitations; an outcome or event
// naming a person in the forget.Registry is not appended at all, so that
// their key and note texts never come back.
package ledger
