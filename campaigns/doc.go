// Package campaigns loads campaign files (docs/design.md, "Campaign
// YAML — contract"): who to contact (a prospect CSV, an exclusion CSV),
// from which accounts, when, and the steps: follow, one connect with its
// note variants and fallback order, then messages.
//
// Load decodes strictly (internal/strictyaml) and reports every problem at
// once as "FILE:LINE: message" naming the key path:
//
//	c.yaml:2: accounts[1]: unknown account "carl" (did you mean "carol"?)
//	c.yaml:9: steps[0].wait: bad duration "7x": unknown unit "x"; write whole numbers with units s, m, h, d (days) or w (weeks), e.g. 90s, 3m, 1h30m, 21d, 3w
//	c.yaml:14: steps[1].connect.note.variants[0].text: template: line 1: unexpected "}" in operand
//	c.yaml:19: steps[1].connect.note.fallback[0]: "shorty" names no variant (variants: event, short)
//
// Durations, days, hours and time zones are read by the config package's
// decoders, so both files accept and report them alike.

// The keys of the file are defined once, in schema.go (Schema): the decoder
// checks every mapping against them and `outreach schema campaign` writes
// them as a JSON Schema; tests fail when the two drift.
//
// Check renders every prospect's first invitation as the planner will,
// including the monthly note allowance of the senders (NotePlan, with the
// planner's rule pacing.NoteAllowance): prospects past it get the fallback
// with reason note_allowance, or wait when blank is not a fallback.
//
// Decisions worth knowing:
//   - A step is a mapping with exactly one of follow, connect, message;
//     `follow:` may be empty. Follow steps come before the one connect
//     step, message steps after it.
//   - The step-level `wait` is allowed on follow steps only; a message's
//     delay is its own `message.wait`, counted from acceptance (or from the
//     previous message).
//   - A template syntax error is reported at the line of its text; in a
//     literal block scalar (|) at the exact line inside it.
//   - prospects.key (and exclude.key, which defaults to the prospects'
//     key) must be a normalized header (`profile_url`, not `Profile URL`).
//   - prospects.csv and exclude.csv must be inside the config file's
//     directory or its allow_paths, symlinks followed
//     (config.Config.CheckPath): elsewhere (/proc/self/environ, ../..)
//     they are an error at the csv key and never read; Check refuses them
//     too.
//   - A variant cannot be named "blank" (the fallback name for no note);
//     fallback entries must each name a variant or blank, once.
//   - Variant weights only matter with ab_test.strategy uniform, where at
//     least one enabled variant needs a positive weight.
//   - A message step has a single text (one variant named "text") or
//     variants and a fallback like a note's, without weight or blank. It
//     is not A/B tested: Message.Choose takes the first variant that
//     renders (first, then the fallback order, by default the list
//     order), so the choice depends only on the prospect's fields. When
//     none renders, the prospect skips that message (MessageSkipReason,
//     event lifecycle.EvMessageSkipped) and the sequence goes on.
//
// Check reads the prospect CSV and reports what only the rows tell: a
// template field that is not a column (an error at the template's line,
// with a did-you-mean), one finding per cause shared by every prospect (a
// variant no prospect can use, a message some prospects skip: at its YAML
// line, with the count), and per-prospect findings for causes that vary,
// MaxProspectFindings per cause unless CheckOptions.All.
package campaigns
