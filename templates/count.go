package templates

// Count returns the length of s in UTF-16 code units, the way a browser text
// box (and so the platform) counts characters: a rune in the Basic
// Multilingual Plane counts 1 and a rune at or above U+10000 counts 2 (a
// surrogate pair). Each byte of invalid UTF-8 counts 1, as the U+FFFD it
// decodes to. No normalization is applied: "é" precomposed counts 1, "e"
// followed by U+0301 counts 2.
func Count(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// units is the UTF-16 length of one rune.
func units(r rune) int {
	if r >= 0x10000 {
		return 2
	}
	return 1
}
