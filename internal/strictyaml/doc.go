// Package strictyaml decodes YAML strictly, reporting every problem at once.
//
// A file is parsed into a yaml.Node tree (go.yaml.in/yaml/v3) and walked by
// explicit per-field code using the helpers here. Instead of stopping at the
// first error, each helper records a diag.Finding at the line of the
// offending node, naming the key path ("accounts[0].limits.daily"):
//
//   - unknown keys, with the closest known key suggested when it is within
//     edit distance 2: unknown key "teir" in accounts[0] (did you mean "tier"?)
//   - duplicate keys: duplicate key "tier" in accounts[0] (first on line 4)
//   - missing required keys, at the line of the mapping that lacks them
//   - wrong types: accounts[0].connections: want an integer, got "many"
//   - YAML syntax errors, as one finding at the line yaml.v3 names
//   - an empty file, or more than one document in it
//
// Findings without a line (Line 0) are file-level: the file as a whole could
// not be decoded (empty, or a syntax error yaml.v3 gives no line for), and
// such a finding is then the only one.
//
// Conventions: a helper that decodes an optional key leaves its destination
// untouched when the key is absent or invalid, so callers pre-fill defaults.
// A mapping written as an empty value (`limits:` with every child commented
// out) counts as an empty mapping; an empty value anywhere else is a type
// error. Anchors and aliases are resolved (an alias that contains itself, or
// aliases that expand the document enormously, are findings); merge keys
// (<<) are not supported. Explicit tags are not interpreted beyond the
// standard scalar ones (a quoted "30" is a string, not an integer).
//
// A Schema describes a file's keys once: Decoder.Object and Map.Object check
// mappings against it, and JSONSchema writes it out (draft 2020-12) for
// editors. Decoder.Trace and TraceRead let tests compare what the decoding
// code checks and reads with the schema (internal/schematest).
package strictyaml
