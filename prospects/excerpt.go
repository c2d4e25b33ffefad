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
// backslashes), followed by "…" when it was cut.
func Excerpt(s string) string {
	n := 0
	for i := range s {
		if n == MaxExcerpt {
			return strconv.Quote(s[:i]) + "…"
		}
		n++
	}
	return strconv.Quote(s)
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
func (r *Reader) notTextFile(line int) {
	r.addf(line, "not a UTF-8 text CSV file (a NUL, another control character or invalid UTF-8 near the start: binary, or UTF-16?); nothing of it is read or shown")
	r.stop(io.EOF)
}

// notText reports whether a record cannot come from a text CSV file: it
// holds a NUL or another control character (tab, carriage return and line
// feed excepted: quoted cells may hold them) or is not UTF-8. Such a file
// (a binary file, UTF-16, /proc/self/environ) is refused without quoting
// any of it.
func notText(rec []string) bool {
	for _, cell := range rec {
		if !utf8.ValidString(cell) {
			return true
		}
		for i := 0; i < len(cell); i++ {
			if c := cell[i]; (c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f {
				return true
			}
		}
	}
	return false
}
