// Package keyspace is the one place of outreach's Redis key layout: the
// prefix every key starts with, and the keys that belong to no package
// of their own. Each package that owns keys builds them from Prefix and
// documents their layout in its doc.go; this list is the map.
//
// Every key starts with Prefix; the keys a transaction touches together
// carry the same hash tag, so that they share a Redis Cluster slot
// (Pcampaigns and the forgotten set, each used alone, carry none):
//
//	P{camp:NAME}:...        package store: a campaign's applied prospects
//	Pcampaigns              package store: the applied campaign names
//	P{ledger}:...           package ledger: the stream, snapshots, epoch,
//	                        sent index, replay window, rejections, pauses
//	P{ledger}:stats         package metrics: the durable statistics
//	Pforgotten, ...:salt    package forget: the forgotten people, the salt
//	P{acct:ID}:...          package pacing: an account's limiter log
//	P{install}, ...:recovery package install: the install marker and lock
//	P{scheduler}:lease      the scheduler daemons' leader lease (LeaseKey)
//	asynq:{default}:...     asynq's own keys (its queue, outside Prefix)
package keyspace

// Prefix starts every key outreach writes (asynq's keys aside).
const Prefix = "outreach:"

// LeaseKey is the key of the scheduler daemons' leader lease.
const LeaseKey = Prefix + "{scheduler}:lease"
