// Package ledger is the durable record of what happened: every outcome a
// worker reports and every event the platform reports, appended to one
// Redis stream in the order they arrive. The scheduler applies the stream to
// its planner as it grows, and rebuilds its whole state from it after a
// restart or a change of leader, so nothing is lost when a process dies:
// workers on other machines only ever append.
//
// One stream is one ordered log; its key carries the hash tag {ledger} so
// that it lives on one slot of a Redis Cluster.
//
// Erasure: Forget deletes every entry naming a person (`outreach forget`),
// and an outcome or event naming a person in the forget.Registry is not
// appended at all, so that their key and note texts never come back.
package ledger
