package templates

import "testing"

func TestTitle(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"ana", "Ana"},
		{"jean-luc picard", "Jean-Luc Picard"},
		{"o'neil", "O'neil"},
		{"o’neil", "O’neil"},
		{"  two  spaces", "  Two  Spaces"},
		{"ÉCOLE normale", "ÉCOLE Normale"},
		{"élodie", "Élodie"},
		{"3d printing", "3d Printing"},
		{"(acme) corp", "(Acme) Corp"},
		{"e\u0301cole", "E\u0301cole"},
		{"bad\xffbyte", "Bad\xffByte"},
		{"Already Title", "Already Title"},
	}
	for _, tt := range tests {
		if got := title(tt.in); got != tt.want {
			t.Errorf("title(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFirst(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"   ", ""},
		{"Ana", "Ana"},
		{"Ana Lima", "Ana"},
		{"  Jean-Luc Picard ", "Jean-Luc"},
		{"Ana\tLima", "Ana"},
	}
	for _, tt := range tests {
		if got := first(tt.in); got != tt.want {
			t.Errorf("first(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		n        int
		in, want string
	}{
		{10, "short", "short"},
		{5, "short", "short"},
		{0, "short", ""},
		{4, "short", "shor"},                     // one word: hard cut
		{11, "hello world again", "hello world"}, // cut just before a space
		{13, "hello world again", "hello world"}, // cut inside "again": back to the space
		{12, "hello world again", "hello world"}, // trailing space trimmed
		{7, "hello world", "hello"},              // back to the word boundary
		{3, "ab 😀", "ab"},                        // the emoji needs 2 units
		{4, "ab😀c", "ab😀"},                       // hard cut after the pair
		{3, "ab😀c", "ab"},                        // never splits the pair
		{1, "😀", ""},                             // nothing fits
		{5, "Andre\u0301", "Andr"},               // mark stays with its letter
		{6, "Andre\u0301x", "Andre\u0301"},       // cut after the mark
		{2, "1️⃣", ""},                           // keycap not split
		{4, "👨‍👩", "👨"},                          // no trailing joiner
		{3, "👨‍👩", "👨"},                          // cut at the joiner
		{5, "a\xffb\xffcd", "a\xffb\xffc"},       // invalid bytes count 1 and stay
		{9, "ab cd\u00a0ef", "ab cd\u00a0ef"},    // fits
		{7, "ab cd\u00a0efgh", "ab cd"},          // NBSP is white space
		{20, "你好 世界 你好 世界 你好 世界", "你好 世界 你好 世界 你好 世界"}, // 17 units
		{8, "你好 世界 你好 世界", "你好 世界 你好"},
		{7, "你好 世界 你好 世界", "你好 世界"},
	}
	for _, tt := range tests {
		got, err := truncate(tt.n, tt.in)
		if err != nil {
			t.Errorf("truncate(%d, %q): %v", tt.n, tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("truncate(%d, %q) = %q, want %q", tt.n, tt.in, got, tt.want)
		}
		if Count(got) > tt.n {
			t.Errorf("truncate(%d, %q) = %q: %d units", tt.n, tt.in, got, Count(got))
		}
	}
	if _, err := truncate(-1, "x"); err == nil {
		t.Error("truncate(-1, ...): no error")
	}
}
