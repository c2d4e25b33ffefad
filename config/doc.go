// Package config loads config.yaml, the daemon configuration: Redis,
// metrics, the platform driver, defaults, the sender accounts and the
// campaign globs (docs/design.md, "config.yaml — contract").
//
// Load decodes strictly (internal/strictyaml) and validates, reporting
// every problem at once as a diag.Finding, "FILE:LINE: message" naming the
// key path:
//
//	config.yaml:14: unknown key "teir" in accounts[0] (did you mean "tier"?)
//	config.yaml:15: accounts[0].connections: want an integer, got "many"
//	config.yaml:22: accounts[1].id: duplicate account "alice" (first on line 12)
//	config.yaml:30: accounts[1].limits.daily: 40 is above the weekly cap 30
//
// Load's error is for I/O only (the CLI exits 2 on it); findings with an
// error make the input invalid (exit 1); warnings do not.
//
// Defaults are written down once, in setDefaults; each field's comment
// repeats its default. Accounts inherit timezone, days, hours, max_pending
// and min_gap from `defaults:`, and their effective limits are computed at
// load time (Account.Limits).
//
// Decisions worth knowing:
//   - Durations (ParseDuration) are whole numbers with units s, m, h, d, w;
//     a day is 24h, a week 7d.
//   - Days are three-letter lower-case names, mon to sun; hours are
//     "HH:MM-HH:MM" with start before end (no windows across midnight;
//     "24:00" ends a day).
//   - metrics.listen `off` (or "") disables the endpoint.
//   - limits.notes_per_month is a count >= 0 or `unlimited`.
//   - redis: at most one of addr, cluster_addrs and sentinel; none means
//     the embedded Redis.
//   - A webhook section is accepted, and checked, with the sandbox driver
//     too; the sandbox section is used by `simulate` whatever the driver.
//   - Time zones come from the embedded tz database; "Local" is refused.
//   - platform.sandbox.refuse (refusals the sandbox injects, for tests and
//     demos) takes RFC 3339 times for from and until, and people as the
//     prospects' key column writes them (normalized the same way).
//   - Files stay in their place: campaign files matched by the globs, and
//     the CSVs campaigns name, must resolve (symlinks followed) inside the
//     config file's directory or a directory allow_paths lists (absolute,
//     or relative to the config file); CheckPath says so, CampaignFiles
//     reports a glob matching a file elsewhere as an error at its line.
//     allow_paths entries need not exist.
//   - The keys of the file are defined once, in schema.go (Schema): the
//     decoder checks every mapping against them and `outreach schema
//     config` writes them as a JSON Schema; tests fail when they drift.
//   - A bad duration's message ends with the unit syntax, or with the value
//     rewritten in it when that is clear (SuggestDuration: "3 weeks" ->
//     "3w").
package config
