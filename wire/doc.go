// Package wire is the durable format of outreach: the records that outlive
// a process. A Task is the payload of an asynq task (planned by the
// scheduler, performed by a worker); an Outcome is what the worker reports;
// an Event is what the platform reports about an invitation (or, replied,
// about the conversation after it); a Command is
// an operator's decision; an Entry is one record of the ledger stream (a
// task with its outcome, an event, or a command).
//
// Every record is JSON with explicit lower-case field names and carries the
// schema version it was written with ("v"). A record is applied by identity
// (campaign name, the person's normalized key, and for messages the step),
// never by a position in a slice: the prospects of a campaign may be
// reordered, inserted or removed between the moment a task is planned and
// the moment its outcome is applied, by another scheduler.
//
// # Versions
//
//   - 0: the format before versions (Go field names, numeric kinds, and an
//     engine index "Ref" that is ignored now). Decode still reads it, so
//     that tasks queued and ledger entries written by an older outreach
//     are applied after an upgrade.
//   - 1: explicit lower-case field names and a version.
//   - 2: adds Task.NotAfter (the end of the working period a task may be
//     performed in) and Entry.Command (an operator's decision).
//   - 3: adds the pause and resume commands (Command.Until, All, Source),
//     which are also the records of the paused campaigns and accounts.
//   - 4: adds the replied event (Event.Type "replied": the person answered
//     in the conversation; the prospect's message sequence ends).
//
// Each record is stamped with the lowest version that can carry it, so a
// record that uses nothing version 2 added is still written as version 1
// and read by processes not yet upgraded; only the records that need the
// newer fields wait for them.
//
// A record of a version newer than Version is refused with an
// *ErrVersion naming both versions, so that a rolling upgrade never has an
// older process misread what a newer one wrote: the older process leaves
// the record alone (the task is retried later; the ledger entry stops the
// replay) until it is upgraded.
//
// The golden files in testdata pin the encoding of each record.
package wire
