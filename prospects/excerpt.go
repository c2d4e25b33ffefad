package prospects

import (
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxExcerpt is how many characters of a file's line a finding quotes at
// most: enough to recognize a column or a key, never a whole header or
// record (a file named by mistake, or on purpose, may hold anything).
const MaxExcerpt = 40

// Excerpt quotes s for a finding: at most MaxExcerpt characters, escaped as
// strconv.Quote does (control characters, invalid UTF-8, quotes and
// backslashes; U+FFFD too, which a terminal shows as it shows an invalid
// byte), followed by "…" when it was cut.
func Excerpt(s string) string {
	n := 0
	for i := range s {
		if n == MaxExcerpt {
			return quote(s[:i]) + "…"
		}
		n++
	}
	return quote(s)
}

func quote(s string) string {
	q := strconv.Quote(s)
	if strings.Contains(q, "\ufffd") {
		q = strings.ReplaceAll(q, "\ufffd", `\ufffd`)
	}
	return q
}

// excerptAt quotes s as Excerpt does, from a little before its byte i so
// that the excerpt shows it, with "…" before when it starts after s's
// start.
func excerptAt(s string, i int) string {
	from := max(0, i-MaxExcerpt/2)
	for from > 0 && from < len(s) && !utf8.RuneStart(s[from]) && i-from < MaxExcerpt {
		from--
	}
	if from == 0 {
		return Excerpt(s)
	}
	return "…" + Excerpt(s[from:])
}

// excerptList quotes names joined by ", " as one excerpt.
func excerptList(names []string) string {
	var b strings.Builder
	for i, n := range names {
		if i > 0 {
			b.WriteString(", ")
		}
		if n == "" {
			n = `""`
		}
		b.WriteString(n)
		if b.Len() > 4*MaxExcerpt {
			break // Excerpt cuts it anyway
		}
	}
	return Excerpt(b.String())
}

// textProbe is how much of a file NewReader looks at for a NUL byte, which
// no text CSV holds (a binary file, UTF-16, /proc/self/environ).
const textProbe = 4096

// notTextFile records that the file is not a text CSV and stops reading.
// start, when not nil, is the start of the file: UTF-16 without a byte
// order mark is named as such.
func (r *Reader) notTextFile(line int, start []byte) {
	if start != nil && looksUTF16(start) {
		r.addf(line, "not a UTF-8 text CSV file: it looks like UTF-16 without a byte order mark; if it is, set %s: utf-16 (or save the file as UTF-8); nothing of it is read or shown", r.encodingKey())
	} else {
		r.addf(line, "not a UTF-8 text CSV file (a NUL, another control character or invalid UTF-8 near the start: binary, or UTF-16?); nothing of it is read or shown")
	}
	r.stop(io.EOF)
}

// notText checks that a record can come from a text CSV file: no NUL or
// other control character (tab, carriage return and line feed excepted:
// quoted cells may hold them), and UTF-8. Such a file (a binary file,
// UTF-16, /proc/self/environ) is refused without quoting any of it. It
// returns ok, or the index of the first cell that is not UTF-8 (but has no
// control character), or -1 for a control character.
func notText(rec []string) (int, bool) {
	invalid := -1
	for i, cell := range rec {
		if invalid < 0 && !utf8.ValidString(cell) {
			invalid = i
		}
		for j := 0; j < len(cell); j++ {
			if c := cell[j]; (c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f {
				return -1, false
			}
		}
	}
	return invalid, invalid < 0
}
