package platform

import "unicode/utf8"

// ValidKey reports whether key can be an idempotency key: not empty, valid
// UTF-8, without control characters (U+0000 to U+001F, U+007F; tab
// included) and without a space at either end. Every driver refuses a
// request with another key with CodeInvalid, before acting: the key must
// reach the platform unchanged wherever a driver carries it, and the
// webhook protocol carries it in an HTTP header (Idempotency-Key) too,
// which cannot hold control characters and loses the spaces at its ends.
// The keys outreach makes (campaign/person-token/step) are letters,
// digits, '-', '/' and '.'.
func ValidKey(key string) bool {
	if key == "" || key[0] == ' ' || key[len(key)-1] == ' ' {
		return false
	}
	for i := 0; i < len(key); i++ {
		if key[i]-0x20 >= 0x7f-0x20 { // a control character, DEL, or not ASCII
			return validTail(key[i:])
		}
	}
	return true
}

// validTail is ValidKey's check of the rest of a key from its first byte
// that is not printable ASCII.
func validTail(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}
