package cli

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// terminalSafe returns s with every character that a terminal would not
// show as itself escaped the way strconv.Quote escapes it, without the
// quotes: control characters (ESC as \x1b, so no escape sequence from a
// file reaches the terminal, C1 ones as \u009b), invalid UTF-8 bytes as
// \xNN, format characters such as U+202E, and U+FFFD as \ufffd (it looks
// like an invalid byte). The characters in keep stay as they are (a note's
// line breaks). s itself is returned when there is nothing to escape.
func terminalSafe(s, keep string) string {
	i := 0
	for i < len(s) && ' ' <= s[i] && s[i] < 0x7f {
		i++
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\x`)
			b.WriteString(strconv.FormatUint(uint64(s[i])|0x100, 16)[1:])
		case strings.ContainsRune(keep, r) || r != utf8.RuneError && strconv.IsGraphic(r):
			b.WriteString(s[i : i+size])
		case r == utf8.RuneError:
			b.WriteString(`\ufffd`)
		default:
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		}
		i += size
	}
	return b.String()
}
