// Package store keeps the applied campaigns and their prospects in Redis,
// so that scheduler and worker daemons on several machines share them.
// `outreach apply` writes it (Apply); the planner reads it (Open, which
// returns a scheduler.Source).
//
// The store holds prospect data and membership only: each prospect's state
// (invited, accepted, ...) is owned elsewhere and never touched here.
//
// # Key layout
//
// With the prefix P (default "outreach:") and campaign NAME, every key of a
// campaign carries the hash tag {camp:NAME}, so on Redis Cluster a
// campaign lives on one slot and its transactions are legal:
//
//	P{camp:NAME}:meta          HASH  gen, buckets, count, removed, fields,
//	                                 def (sha256 of the file), yaml, path, next
//	P{camp:NAME}:gG:p:B        HASH  bucket B of generation G: normalized key -> row
//	P{camp:NAME}:gG:removed    SET   keys once applied, no longer in the CSV
//	Pcampaigns                 SET   applied campaign names (its own slot)
//
// A generation is one applied version. A key's bucket is FNV-1a(key) mod
// the generation's bucket count, which Apply sizes at one bucket per 48
// expected rows: buckets stay under Redis's hash-max-listpack-entries
// (128), so Redis stores them as listpacks (a few bytes of overhead per
// entry) instead of hashtables (about 60). One big HASH per campaign would
// cost about 1.3-1.7x the CSV; buckets cost 0.8x (below).
//
// # Row encoding
//
// Only what the planner needs: the fields the campaign's templates
// reference (connect variants and messages; their names, sorted, are the
// meta "fields"), the pinned account, the exclusion flag and the row's
// position in the CSV (Open returns file order). Columns no template uses
// are not stored; a new template field needs an apply, which the changed
// file triggers anyway. The value is a flags byte, a uvarint position,
// then uvarint-length-prefixed account and field values (see encode.go).
//
// # Apply: staging and one atomic switch
//
// Apply streams the rows (CSVRows reads the CSV one record at a time) in
// pipelined batches into the buckets of a new generation (from HINCRBY
// meta next), which expire after StagingTTL unless committed. Each HSET is
// pipelined with an HGET of the key in the current generation, which
// counts added, kept and changed prospects without holding either version
// in memory. It then builds the new removed set: the current generation's
// members and removed keys that are not in the new one. The switch is one
// MULTI/EXEC under WATCH of meta: point meta at the new generation,
// PERSIST its keys, EXPIRE the old generation's after Store.Grace. If meta
// moved in between (another apply committed), nothing is switched and
// Apply returns ErrConcurrentApply. Any error before the switch (a row
// error, a cancelled context, Redis) leaves the current generation as it
// was; the staging keys are deleted, or expire.
//
// A pointer switch rather than RENAMEs of the live keys: a reader (Open)
// reads a generation in several round trips and must not see half of two
// versions; the old generation stays readable for Grace after the switch,
// and Open checks the counts it read against meta and re-reads if they
// differ.
//
// Re-applying the same file and rows is "unchanged": nothing is switched
// (the staging generation is deleted).
//
// # Memory
//
// Measured (TestBytesPerProspect, redis-server 7.0, 100,000 rows of
// prospects.GenerateCSV at 99.8 bytes a row, MEMORY USAGE SAMPLES 0 over
// the campaign's keys): 80 bytes a prospect when the templates use two
// fields (ratio 0.81; used_memory delta 84 bytes, 0.84). With all five
// columns used, most values pass Redis's default hash-max-listpack-value
// (64 bytes) and the buckets become hashtables: 162 bytes (1.62); with
// hash-max-listpack-value 256, 116 bytes (1.16). A key or value over that
// limit turns only its own bucket into a hashtable: correct, just larger.
//
// # Forgotten people
//
// Apply leaves out the rows of the people `outreach forget` erased
// (package forget holds salted hashes of their keys): their key never
// comes back into Redis; ApplyResult.Forgotten counts them. Forget removes
// people from every campaign: from the applied generation in one
// MULTI/EXEC under WATCH (members and removed set, meta count and removed
// adjusted), then from every other generation still in Redis (replaced
// ones within Grace, staging ones). It also bumps meta "forgets", so that
// an Apply staging at that moment fails its WATCH and, before it switches,
// looks at the forgotten set again and drops from its staging generation
// whoever was forgotten meanwhile (recounting it).
package store
