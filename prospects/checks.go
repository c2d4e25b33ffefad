package prospects

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// badRune returns the index and the first character of s that must not
// reach a note, a message or a key: a C0 control character (tab and line
// feed allowed when text is set: notes and messages may hold them), DEL, a
// C1 control character (U+0080 to U+009F), or U+FFFD, the mark of a
// character lost by an earlier conversion. It returns -1 when there is
// none. s is valid UTF-8.
func badRune(s string, text bool) (int, rune) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c < 0x20:
			if !text || c != '\t' && c != '\n' {
				return i, rune(c)
			}
		case c == 0x7f:
			return i, rune(c)
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRuneInString(s[i:])
			if 0x80 <= r && r <= 0x9f || r == utf8.RuneError {
				return i, r
			}
			i += size - 1
		}
	}
	return -1, 0
}

// badControl returns the index of the first character badRune refuses, or
// -1.
func badControl(s string, text bool) int {
	i, _ := badRune(s, text)
	return i
}

// describeRune names a refused character for a finding.
func describeRune(r rune) string {
	switch {
	case r == utf8.RuneError:
		return "U+FFFD, the mark of a character lost when the file was converted"
	case r == 0:
		return "a NUL byte"
	case r == '\t':
		return "a tab"
	case r == '\n':
		return "a line break"
	case r == 0x1b:
		return "an escape character (U+001B, terminal control sequences)"
	}
	return fmt.Sprintf("a control character (%U)", r)
}

// checkCells reports the first cell of rec, among the key column and the
// columns that reach a note, that holds a character badRune refuses, as a
// finding at line. It reports whether one was found.
func (r *Reader) checkCells(rec []string, line int) bool {
	if r.sc.flags&(classCtl|classHigh|classTabNL) == 0 {
		return false
	}
	bad := func(col int, text bool) bool {
		v := strings.TrimSpace(rec[col])
		i, c := badRune(v, text)
		if i < 0 {
			return false
		}
		r.addf(line, "%s holds %s: %s; the row is skipped", r.hdr.names[col], describeRune(c), excerptAt(v, i))
		return true
	}
	if bad(r.hdr.key, false) {
		return true
	}
	for _, col := range r.noteCols {
		if bad(col, true) {
			return true
		}
	}
	return false
}

// isURLColumn reports whether a key column named name holds profile URLs:
// "url", or a name ending in "_url" (profile_url, linkedin_url).
func isURLColumn(name string) bool {
	return name == "url" || strings.HasSuffix(name, "_url")
}

// checkURL reports a key that is not a URL (isURL, from normalizeKey: http
// or https with a host, or a domain name followed by "/") or that holds
// white space, as a finding at line.
func (r *Reader) checkURL(raw string, isURL bool, line int) bool {
	if isURL && !hasSpace(raw) {
		return false
	}
	r.addf(line, "%s %s is not a URL (want a profile address such as https://www.linkedin.com/in/jane-doe); the row is skipped",
		r.key, Excerpt(raw))
	return true
}

// checkUTF8 checks that every cell of rec is UTF-8 text, in a file read as
// UTF-8. A cell that is not, in a file whose earlier rows held UTF-8 text
// beyond ASCII, is a damaged cell: a finding, and the row is skipped. Else
// the file is likely in another encoding: a finding that names it and the
// setting to change, and the rest of the file is not read. It reports
// whether the row is to be skipped.
func (r *Reader) checkUTF8(rec []string, line int) bool {
	if r.sc.flags&classHigh == 0 {
		return false
	}
	for i, cell := range rec {
		if utf8.ValidString(cell) {
			continue
		}
		name := fmt.Sprintf("column %d", i+1)
		if i < len(r.hdr.names) && r.hdr.names[i] != "" {
			name = r.hdr.names[i]
		}
		if r.sawUTF8 {
			r.addf(line, "not UTF-8 text: %s %s (the rows before are UTF-8: a damaged cell?); the row is skipped",
				name, excerptAt(cell, firstInvalid(cell)))
		} else {
			r.notUTF8(line, name, cell)
		}
		return true
	}
	r.sawUTF8 = true
	return false
}

// hasSpace reports whether s holds white space (Unicode).
func hasSpace(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c <= ' ':
			return true
		case c >= utf8.RuneSelf:
			return strings.ContainsFunc(s[i:], unicode.IsSpace)
		}
	}
	return false
}
