package prospects

import (
	"bytes"
	"strings"
	"unicode"
	"unicode/utf8"
)

// NormalizeKey returns the identity of a person, used for dedupe and
// exclusion: two key values name the same person when their normalized keys
// are equal. The result is an identity, not an address to visit: use the raw
// value for that.
//
// Surrounding white space is trimmed and the value is lower-cased (Unicode).
// A value that is an http or https URL with a host ("https://...", or without
// a scheme when it starts with a domain name followed by "/", such as
// "linkedin.com/in/jane") becomes "https://HOST/PATH": the scheme is always
// https, user info and leading "www." are dropped, the port is kept, the query
// and fragment are dropped, percent-escapes of non-ASCII text and of letters,
// digits and "-._~" are decoded, and trailing "/" are dropped. Any other value
// (an email address, an id) is only trimmed and lower-cased.
//
// NormalizeKey is idempotent, and it does not allocate when its argument is
// already normalized.
func NormalizeKey(s string) string {
	k, _ := normalizeKey(s)
	return k
}

// normalizeKey is NormalizeKey, and reports whether s is a URL.
func normalizeKey(s string) (string, bool) {
	s = lower(strings.TrimSpace(s))
	if k, ok := normalizeURL(s); ok {
		return k, true
	}
	return s, false
}

// normalizeURL normalizes s, already trimmed and lower-cased, when it is an
// http(s) URL with a host.
func normalizeURL(s string) (string, bool) {
	rest, ok := strings.CutPrefix(s, "https://")
	if !ok {
		rest, ok = strings.CutPrefix(s, "http://")
	}
	if !ok {
		if !startsWithHost(s) {
			return "", false
		}
		rest = s
	}
	end := indexDelim(rest, true)
	host, path := rest[:end], rest[end:]
	if i := strings.LastIndexByte(host, '@'); i >= 0 {
		host = host[i+1:]
	}
	for len(host) > len("www.") && strings.HasPrefix(host, "www.") {
		host = host[len("www."):]
	}
	if host == "" {
		return "", false
	}
	path = path[:indexDelim(path, false)]

	var buf [128]byte
	b := append(buf[:0], "https://"...)
	b = append(b, host...)
	b = appendPath(b, path)
	// Trailing "/" and white space (also from a decoded escape or before a
	// cut query) do not count.
	b = bytes.TrimRightFunc(b, func(r rune) bool { return r == '/' || unicode.IsSpace(r) })
	if len(b) == len("https://") {
		return "", false
	}
	if string(b) == s { // no allocation: the common already-normalized case
		return s, true
	}
	return string(b), true
}

// indexDelim returns the index of the first '?' or '#' in s, or of the
// first '/' too when slash is set; len(s) when there is none.
func indexDelim(s string, slash bool) int {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '?' || c == '#' || slash && c == '/' {
			return i
		}
	}
	return len(s)
}

// startsWithHost reports whether s (lower case) starts with a domain name
// followed by "/": a scheme-less URL such as "linkedin.com/in/jane".
func startsWithHost(s string) bool {
	slash := strings.IndexByte(s, '/')
	if slash <= 0 {
		return false
	}
	host := s[:slash]
	if i := strings.IndexByte(host, ':'); i >= 0 { // port
		port := host[i+1:]
		if port == "" || strings.Trim(port, "0123456789") != "" {
			return false
		}
		host = host[:i]
	}
	if host == "" || host[0] == '.' || host[0] == '-' || host[len(host)-1] == '.' ||
		!strings.Contains(host, ".") {
		return false
	}
	for i := 0; i < len(host); i++ {
		c := host[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// appendPath appends path (lower case) with percent-escapes of unreserved
// ASCII characters and of UTF-8 text decoded, then lower-cased again. Other
// escapes ("%2f", "%25", "%20", ...) are kept, so that decoding never changes
// the structure of the path and a second pass changes nothing. A path that
// would decode to invalid UTF-8 is kept as written.
func appendPath(b []byte, path string) []byte {
	if strings.IndexByte(path, '%') < 0 {
		return append(b, path...)
	}
	dec := make([]byte, 0, len(path))
	for i := 0; i < len(path); i++ {
		c := path[i]
		if c == '%' && i+2 < len(path) && isHex(path[i+1]) && isHex(path[i+2]) {
			d := unhex(path[i+1])<<4 | unhex(path[i+2])
			if d >= utf8.RuneSelf || isUnreserved(d) {
				dec = append(dec, d)
				i += 2
				continue
			}
		}
		if c == '%' && !(i+2 < len(path) && isHex(path[i+1]) && isHex(path[i+2])) {
			// A stray '%' is written as the escape it stands for, so that
			// a decoded byte after it cannot complete a new escape ("%7%30"
			// would read as "%70", then as "p").
			dec = append(dec, "%25"...)
			continue
		}
		dec = append(dec, c)
	}
	if !utf8.Valid(dec) && utf8.ValidString(path) {
		return append(b, path...)
	}
	return appendLower(b, string(dec))
}

func isUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// lower is strings.ToLower that keeps invalid UTF-8 bytes as they are (so
// distinct byte strings stay distinct) and returns s itself when it has no
// upper case.
func lower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || 'A' <= c && c <= 'Z' {
			var buf [128]byte
			b := appendLower(buf[:0], s)
			if string(b) == s {
				return s
			}
			return string(b)
		}
	}
	return s
}

// appendLower appends s lower-cased; invalid UTF-8 bytes are copied as is.
func appendLower(b []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			b = append(b, c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, c)
		} else {
			b = utf8.AppendRune(b, unicode.ToLower(r))
		}
		i += size
	}
	return b
}
