// Package forget keeps the one fact about an erased person that must
// outlive their data: never contact them again.
//
// `outreach forget` removes a person's profile key, fields and note texts
// from everything outreach keeps (the store, the ledger, the queue; see
// app.Forget) and records only a salted hash of their normalized key here,
// so that a campaign CSV that still lists them can be recognized without
// keeping who they are:
//
//	Pforgotten:salt   STRING  32 random bytes, hex; created once (SETNX) by the
//	                          first Add or Pseudonym
//	Pforgotten        SET     hex HMAC-SHA256(salt, prospects.NormalizeKey(key))
//
// (P is the key prefix, default "outreach:".) The salt makes the hashes
// useless to anyone without this Redis: a list of candidate profile URLs
// cannot be matched against the set elsewhere. It must never be deleted or
// evicted: without it the set can no longer be read, and every reader
// (Load, Has, Add) refuses rather than letting a forgotten person through.
//
// Pseudonym gives other records a salted hash of a person under the same
// salt and a domain of their own (the ledger's index of sent invitations),
// so that they tell people apart without naming them.
//
// Readers: store.Apply leaves forgotten prospects out (their key never
// comes back into Redis) and counts them; `outreach run` marks them skipped
// with reason lifecycle.SkipForgotten; the worker drops a queued action
// naming one without performing it, and the ledger does not record
// entries naming one.
package forget
