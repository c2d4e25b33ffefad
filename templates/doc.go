// Package templates renders the personalized notes (and messages) of a
// campaign from text/template templates, counts their length the way the
// platform does, and chooses, per prospect, the note variant to send and the
// recorded reason for any fallback.
//
// # Fields
//
// A template sees one prospect's CSV fields by normalized header: lower
// case, every run of non-alphanumerics replaced by "_" ("First Name" ->
// first_name), as {{.first_name}}. Fields whose name is not an identifier
// (such as "2nd_degree") are reached with {{index . "2nd_degree"}}.
//
// A template requires the fields it references: {{.f}} or {{.f.g}},
// {{$.f}}, or {{index . "f"}} with a literal key, anywhere in the template,
// including range branches, pipelines, function arguments and {{define}}d
// templates. A field that is absent, empty or white space only is missing:
// Render fails with a *MissingFieldError (errors.Is ErrMissingField) and
// executes nothing, so a note never goes out with a hole in it.
//
// A field is optional where an empty value cannot leave a hole, which is
// text/template's own idiom for optional fields:
//
//	{{if .first_name}}Hi {{.first_name}}{{else}}Hi there{{end}}
//	{{with .company}} at {{.}}{{end}}
//	{{or .first_name "there"}}          every argument of or but the last
//	{{default "there" .first_name}}     Sprig's order: the default first
//	{{.first_name | default "there"}}
//
// that is: anywhere in an if condition ({{if eq .country "FR"}}); in a with
// condition true only with its fields non-empty ({{with .f}}, {{with and .f
// .g}}); in the body of an if or with whose condition is true only with
// the field non-empty, and in the else of {{if not .f}}; as or's arguments
// but the last, as the value given to default; and through and or the
// string functions below into one of these. A field referenced anywhere
// else stays required, even if it is also guarded somewhere: {{or .nick
// .first_name}} requires first_name (it is printed when nick is empty), and
// a guard around {{template "t"}} does not reach inside t. An optional
// field that is absent or blank is the empty string (false in a condition).
// Template.Fields lists the fields, optional or not, with the line of
// each.
//
// Templates parse with missingkey=error and execute on the fields without
// their blank values (and with the optional ones as ""), so an access the
// static check cannot see ({{index . $key}} with a computed key excepted)
// fails too. A note that renders empty also counts as a missing field.
//
// # Length
//
// The rendered note is trimmed of leading and trailing white space
// (strings.TrimSpace) and its length counted by Count in UTF-16 code units,
// as a browser text box counts: a rune up to U+FFFF counts 1, a rune above
// counts 2 (so 😀 is 2, 👍🏽 is 4, the family 👨‍👩‍👧‍👦 is 11), an invalid UTF-8
// byte counts 1. Text is not normalized: é precomposed is 1, e followed by a
// combining acute accent is 2. A note over the account's limit is never cut:
// the variant fails with reason too_long.
//
// # Render budget
//
// No template makes a note slow or large. Parse refuses a template that may
// execute over 10,000 steps (template nodes and commands, counted once per
// execution: {{range 100000000}}), a range over anything but a number (a
// field is text, not a list) and a {{template}} that calls itself; the
// error carries the line, so validate reports it once per variant. While
// it runs, a note is capped at 64 KiB of output, every string a function
// returns too, and the functions of one note handle at most 1 MiB of text
// together (errors, not missing fields). See bounds.go and budget.go.
//
// # Functions
//
// Besides the text/template builtins (and, or, not, len, index, slice,
// print, printf, println, eq, ne, lt, le, gt, ge, html, js, urlquery, call),
// templates may use these string helpers, none of which touches files, the
// environment or the network:
//
//	lower s       s in lower case: {{lower .company}}
//	upper s       s in upper case
//	title s       the first letter of each word upper-cased, the rest left as
//	              is: "jean-luc o'neil" -> "Jean-Luc O'neil"; a word starts
//	              after any rune other than a letter, digit, combining mark
//	              or apostrophe. Use {{title (lower .name)}} for SHOUTED data.
//	trim s        s without leading and trailing white space
//	first s       the first white-space separated word: {{first .full_name}}
//	truncate n s  s cut to at most n UTF-16 code units, at a word boundary
//	              when there is one, without an ellipsis, never splitting a
//	              surrogate pair or separating a combining mark from its
//	              letter: {{.headline | truncate 40}}. A negative n is an
//	              error.
//	default d s   s, or d when s is empty or white space only:
//	              {{default "there" .first_name}}, {{.first_name | default
//	              "there"}}. It makes s's field optional (see Fields).
//
// # Choosing a note
//
// A Set holds the variants of one connect step and its fallback order.
// Set.Choose tries, in order:
//
//  1. ChooseOptions.Preferred, or the first variant when it is "" (the A/B
//     test picks Preferred);
//  2. the fallback list in order, skipping names already tried; when no
//     fallback list was given, the remaining variants in list order.
//
// Blank ("blank", no note) always fits but is only tried when the fallback
// list names it: a silent fallback to a blank invitation is what users
// complain about. A set without variants (note omitted) always chooses
// blank. A variant fails with note_allowance when the account's monthly
// note allowance is spent (ChooseOptions.NoNotes), missing_field when a
// field is missing, and too_long when the note exceeds
// ChooseOptions.Limit. The chosen Note records the reason the preferred
// variant was not used and every failed attempt; when nothing fits, Choose
// returns a *NoFitError:
//
//	no note fits: event: missing field "event"; short: too long (312 > 300 chars)
//
// Set.Fits lists the variants that would fit a prospect, for the A/B test.
package templates
