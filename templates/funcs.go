package templates

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"
)

// unary holds the functions of funcs that take and return one string; the
// fast renderer (see plan.go) applies them directly, with the same bounds.
var unary = map[string]func(string) string{
	"lower": strings.ToLower,
	"upper": strings.ToUpper,
	"title": title,
	"trim":  strings.TrimSpace,
	"first": first,
}

// title upper-cases (title-cases) the first letter of each word and leaves
// every other rune alone. A word starts at a letter whose preceding rune is
// not a letter, digit, combining mark or apostrophe: "jean-luc o'neil" ->
// "Jean-Luc O'neil".
func title(s string) string {
	var b strings.Builder
	prev := ' '
	for i, r := range s {
		if startsWord(prev) && unicode.IsLetter(r) {
			if t := unicode.ToTitle(r); t != r {
				if b.Cap() == 0 {
					b.Grow(len(s))
					b.WriteString(s[:i])
				}
				b.WriteRune(t)
				prev = r
				continue
			}
		}
		if b.Cap() != 0 {
			if r == utf8.RuneError {
				// Keep invalid bytes as they are.
				_, size := utf8.DecodeRuneInString(s[i:])
				b.WriteString(s[i : i+size])
			} else {
				b.WriteRune(r)
			}
		}
		prev = r
	}
	if b.Cap() == 0 {
		return s
	}
	return b.String()
}

func startsWord(prev rune) bool {
	switch {
	case prev == '\'' || prev == '’':
		return false
	case unicode.IsLetter(prev), unicode.IsDigit(prev), unicode.IsMark(prev):
		return false
	}
	return true
}

// first returns the first white-space separated word of s, or "" if s has
// none: {{first .full_name}}.
func first(s string) string {
	s = strings.TrimLeftFunc(s, unicode.IsSpace)
	if i := strings.IndexFunc(s, unicode.IsSpace); i >= 0 {
		return s[:i]
	}
	return s
}

var errNegative = errors.New("negative length")

// truncate cuts s to at most n UTF-16 code units (see Count), at a word
// boundary when there is one, without an ellipsis. It never splits a
// surrogate pair, never leaves a combining mark or zero-width joiner without
// the rune it attaches to, and trims trailing white space from a cut string.
// An s that already fits is returned unchanged.
func truncate(n int, s string) (string, error) {
	if n < 0 {
		return "", errNegative
	}
	// cut: byte offset of the first rune that does not fit.
	cut, used := -1, 0
	for i, r := range s {
		if used+units(r) > n {
			cut = i
			break
		}
		used += units(r)
	}
	if cut < 0 {
		return s, nil
	}
	next, _ := utf8.DecodeRuneInString(s[cut:])
	if unicode.IsSpace(next) {
		return strings.TrimRightFunc(s[:cut], unicode.IsSpace), nil
	}
	head := s[:cut]
	if i := strings.LastIndexFunc(head, unicode.IsSpace); i >= 0 {
		if w := strings.TrimRightFunc(head[:i], unicode.IsSpace); w != "" {
			return w, nil
		}
	}
	// One word longer than n: cut inside it, but not between a rune and
	// the combining marks that follow it, nor after a zero-width joiner.
	for len(head) > 0 && unicode.IsMark(next) {
		var size int
		next, size = utf8.DecodeLastRuneInString(head)
		head = head[:len(head)-size]
	}
	head = strings.TrimRight(head, "\u200d")
	return strings.TrimRightFunc(head, unicode.IsSpace), nil
}
