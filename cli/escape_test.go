package cli

import "testing"

func TestTerminalSafe(t *testing.T) {
	cases := []struct{ in, keep, want string }{
		{"plain https://x.com/in/a", "", "plain https://x.com/in/a"},
		{"José Müller – “Bau” 😀", "", "José Müller – “Bau” 😀"},
		{"\x1b[2J\x1b]0;owned\x07", "", `\x1b[2J\x1b]0;owned\a`},
		{"a\u009b2Jb", "", `a\u009b2Jb`},
		{"nul\x00 del\x7f", "", `nul\x00 del\x7f`},
		{"bad \xe9 byte", "", `bad \xe9 byte`},
		{"lost \ufffd char", "", `lost \ufffd char`},
		{"rtl \u202e txt", "", `rtl \u202e txt`},
		{"line\nbreak\ttab\r", "\n\t", "line\nbreak\ttab\\r"},
		{"line\nbreak", "", `line\nbreak`},
		{"nbsp\u00a0kept", "", "nbsp\u00a0kept"},
	}
	for _, c := range cases {
		if got := terminalSafe(c.in, c.keep); got != c.want {
			t.Errorf("terminalSafe(%q, %q) = %q, want %q", c.in, c.keep, got, c.want)
		}
	}
}
