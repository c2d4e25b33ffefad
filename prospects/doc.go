// Package prospects reads prospect CSV files, and exclusion lists, one
// record at a time.
//
// A Reader returns the good rows of a file as Prospects and records every
// problem as a diag.Finding ("FILE:LINE: message", File = Options.DisplayPath,
// Line = the line where the record starts), so that a user fixes a file in
// one pass. Only I/O errors are errors.
//
// # Header
//
// Header cells are normalized to field names by NormalizeHeader: lower case,
// every run of characters that are neither letters nor digits (Unicode)
// becomes "_", leading and trailing "_" trimmed, a UTF-8 byte order mark
// dropped. "First Name" is first_name, so LinkedIn's Connections.csv export
// (First Name,Last Name,URL,Email Address,Company,Position,Connected On) loads
// as is with the key column "url". Its export starts with a "Notes:"
// preamble: single-cell records (up to 10) before the first record that has
// more than one cell or names the key column are skipped.
//
// Header findings: an empty file; a file that is not text (a NUL in its
// first 4 KB, or control characters in the header: binary, UTF-16 without
// a byte order mark, /proc/self/environ; fatal, and nothing of it is
// quoted; UTF-16 is named when its NULs say so); a header past a limit
// (fatal, see Limits);
// a key column that is missing (fatal: no row is read; the message quotes
// the start of the header found); an empty cell or a cell without a letter
// or digit, and two cells with the same normalized name (errors, but the
// rows are still read: an unnamed column is not a field, and of two columns
// with one name the first is used).
//
// A finding quotes at most MaxExcerpt (40) characters of the file, escaped
// (Excerpt: strconv.Quote, then "…" when cut): enough to find the cell,
// never a whole header or record of a file named by mistake.
//
// # Encodings
//
// Options.Encoding is the file's character encoding: UTF8 (the default),
// UTF16, Windows1252 or ISO88591 (decoded with golang.org/x/text). A byte
// order mark wins over it, as in browsers: a UTF-8 one is dropped, a UTF-16
// one (FF FE or FE FF) makes the file UTF-16 in that byte order. UTF-16
// without a mark is little-endian unless the file starts with a NUL byte.
// Findings that name the setting call it Options.EncodingKey
// ("prospects.encoding").
//
// A file read as UTF-8 is checked row by row. The first cell that is not
// UTF-8 is an error at its line; when no row before held UTF-8 text beyond
// ASCII, the file is likely in another encoding: the finding quotes the
// cell as written and as read in windows-1252 when every byte reads as a
// printable character in it ("Jos\xe9" reads as "José"), names the
// setting to change, and the rest of the file is not read (one finding,
// not one per accented row). After UTF-8 rows it is a damaged cell: a
// finding, the row is skipped, reading goes on. A file declared utf-16
// that has no mark and no NUL in its first 4 KB is refused (it is not
// UTF-16); a file declared windows-1252 or iso-8859-1 whose start is UTF-8
// with characters beyond ASCII is a warning ("José" would read as
// "JosÃ©").
//
// # Limits
//
// A file is read in bounded memory whatever it holds: a row (a record, its
// quoted line breaks included) of more than MaxRowBytes (64 KiB) as
// written, a cell of more than MaxCellBytes (8 KiB) of text, or a row of
// more than MaxColumns (256) cells is never held: the parser keeps at most
// the limit, reads the record to its end (following quotes) and drops it.
// Such a data row is an error at its line and skipped, the rows after it
// are read; such a header is an error for the file (nothing is read). A
// cell past the limit that is quoted and runs over several lines is named
// as a probable quote left open. The limits are far above what a prospect
// list holds (LinkedIn's export has 7 columns of a few dozen bytes) and far
// below what exhausts a machine: a 100 MB cell or header, or 100,000,000
// columns, cost under 1 MB (BenchmarkHostile), where they cost 0.3 to 15 GB
// before.
//
// The parser (scan.go) reads what encoding/csv reads, with the same
// records, lines and syntax errors (FuzzScanner checks it against
// encoding/csv).
//
// # Rows
//
// Values are trimmed of surrounding white space. Blank lines, and records
// whose cells are all empty (such as the ",,,," lines spreadsheets leave),
// are skipped and not counted. Quoted fields may hold commas, quotes ("")
// and line breaks; CRLF line ends are read as LF. Row findings: a row whose
// field count differs from the header's, an empty key, a key seen on an
// earlier line (after NormalizeKey, so the two spellings of one profile URL
// are duplicates), a key column named "url" or "*_url" (profile_url,
// linkedin_url) whose value is not a URL as NormalizeKey reads one (or
// holds white space), a row past a limit, a cell that is not UTF-8, and a
// CSV syntax error (a bare or unclosed quote), after which the rest of the
// file is not read. A file with a header and no data row is a warning
// ("no prospects"). Stats counts the outcomes.
//
// Control characters: the key, and the cells of the columns that reach a
// note or a message (Options.NoteFields; every named column when nil),
// must not hold a C0 control character (tab and line feed are allowed in
// the latter, not in keys), DEL, a C1 control character (U+0080 to
// U+009F: ISO-8859-1 text holds them) or U+FFFD (the mark of a character
// lost by an earlier conversion). Such a row is an error at its line and
// skipped, so that no escape sequence, NUL or lost character reaches a
// note, a key or a terminal.
//
// The optional column "account" pins a prospect to a sender account; its
// value is in Prospect.Account ("" when the column is absent or empty). It
// is not checked here: the campaign knows the accounts.
//
// # Keys
//
// NormalizeKey gives a person's identity, used for dedupe and exclusion.
// Every key is trimmed and lower-cased, email addresses and ids included.
// A key that is an http(s) URL with a host, or a scheme-less one starting
// with a domain name and "/" ("linkedin.com/in/jane"), is rewritten as
// "https://HOST/PATH":
//   - http and https are one scheme: a profile does not change with it;
//   - user info and any leading "www." are dropped, other subdomains kept
//     (so "de.linkedin.com" and "linkedin.com" differ), the port is kept;
//   - the query and fragment are dropped (tracking parameters such as
//     ?trk=... or ?originalSubdomain=uk do not name another person);
//   - the path is lower-cased, because LinkedIn's /in/ slugs are
//     case-insensitive; percent-escapes of UTF-8 text and of letters,
//     digits and "-._~" are decoded first (so "jos%C3%A9" and "josé" are one
//     slug), other escapes are kept;
//   - trailing "/" are dropped.
//
// Lower-casing everything is a choice: ids that differ only in case (such as
// LinkedIn member URNs) would be taken for one person, which errs on the side
// of contacting fewer people. A normalized key is an identity, not an address
// to visit: use Prospect.RawKey for that. NormalizeKey is idempotent.
//
// # Streaming and memory
//
// A Reader holds one record at a time, of at most MaxRowBytes, so memory
// does not grow with the file, except for the duplicate check: it
// keeps, per distinct key, a 64-bit hash of the normalized key (hash/maphash,
// with a seed per Reader) and the line where the key first appeared, not the
// key itself. They live in a small open-addressing table (12 bytes a slot, at
// most 3/4 full): 24 MB for 1,000,000 keys, 36 MB while it grows; it is
// faster and smaller than a map[uint64]uint32 here (measured: about 25% less
// time per row and 20% less peak memory on a 1,000,000-row file). Two
// distinct keys with the same hash would be reported as a false duplicate; at
// 1,000,000 keys the odds are about 3 in 100,000,000 (n²/2⁶⁵), with a new seed
// on every run. Findings are bounded too (Options.MaxFindings, default 1000;
// the rest are counted).
//
// Reading costs three allocations a row: the record's text (one string per
// record; fields, and so the Fields values, are substrings of it), the
// normalized key when it differs from the raw one, and the Prospect.
//
// Prospect.Fields is reused by the next call to Next: Clone a Prospect to
// keep it. Its values (and Key, RawKey) are substrings of the record's text,
// so a kept Prospect keeps its line of the file alive, nothing more.
//
// GenerateCSV writes a synthetic file for benchmarks and demos.
package prospects
