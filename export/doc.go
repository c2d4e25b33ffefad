// Package export writes the results of the campaigns, one row per
// prospect, for a CRM or a spreadsheet: `outreach export`.
//
// A Row is one prospect of one campaign: its key, campaign, sender, state,
// note variant and length, fallback, the times of its invitation, answer
// and last message, and why it failed or was skipped. Columns lists the
// columns in their order with their meaning (README, "Exporting results").
//
// # Formats
//
// CSV (a header row, then one row a prospect; a cell with a comma, a
// quote or a line break is quoted, as encoding/csv does; lines end with
// \n) is what a spreadsheet opens. Every cell that begins with =, +, -, @, a tab or a
// carriage return is prefixed with a single quote ('), as OWASP's "CSV
// Injection" advises: a spreadsheet would otherwise run it as a formula
// (=HYPERLINK(...) in a first name, +1... in a key), and the quote makes
// it text. Every cell goes through the escaping, not only those from the
// prospect file: campaign, account and variant names and the platform's
// reason codes are user data too. The cost is that such a cell reads back
// with its quote: a consumer that wants the original strips one leading
// quote from a cell whose second character is one of those.
//
// JSONL (one JSON object a line) is not escaped: it is not a spreadsheet
// format, and its consumers (scripts, CRM importers) read the values as
// strings. A missing note length or time is null there; other missing
// values are empty strings, as they are empty cells in CSV.
//
// # Times
//
// RFC 3339 in UTC, whole seconds (2026-11-02T09:00:00Z); empty when none.
//
// Writers stream: each row is written as it is given (buffered), nothing
// is kept.
package export
