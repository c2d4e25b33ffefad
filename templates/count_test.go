package templates

import (
	"testing"
	"unicode/utf16"
)

func TestCount(t *testing.T) {
	tests := []struct {
		name string
		s    string
		want int
	}{
		{"empty", "", 0},
		{"ascii", "Hi Ana, great meeting you!", 26},
		{"precomposed accent", "Andr\u00e9", 5},
		{"combining accent", "Andre\u0301", 6},
		{"cjk", "你好世界", 4},
		{"hangul", "안녕", 2},
		{"emoji", "😀", 2},
		{"emoji in text", "Hi 😀!", 6},
		{"skin tone modifier", "👍🏽", 4},
		{"zwj family", "👨‍👩‍👧‍👦", 11},
		{"flag", "🇫🇷", 4},
		{"keycap", "1️⃣", 3},
		{"math bold", "𝐀", 2},
		{"last BMP rune", "\uffff", 1},
		{"first astral rune", "\U00010000", 2},
		{"literal U+FFFD", "\ufffd", 1},
		{"invalid byte", "a\xffb", 3},
		{"truncated sequence", "\xe2\x82", 2},
		{"encoded surrogate", "\xed\xa0\x80", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Count(tt.s); got != tt.want {
				t.Errorf("Count(%q) = %d, want %d", tt.s, got, tt.want)
			}
			if ref := len(utf16.Encode([]rune(tt.s))); ref != tt.want {
				t.Errorf("reference utf16 length of %q = %d, test table says %d", tt.s, ref, tt.want)
			}
		})
	}
}
