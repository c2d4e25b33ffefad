package prospects

import "testing"

func TestNormalizeHeader(t *testing.T) {
	cases := []struct{ in, want string }{
		{"First Name", "first_name"},
		{"Email Address", "email_address"},
		{"URL", "url"},
		{" Connected On ", "connected_on"},
		{"\ufeffProfile URL", "profile_url"},
		{"\ufeff\ufeffa", "a"},
		{"profile_url", "profile_url"},
		{"__a__b__", "a_b"},
		{"E-mail (work)", "e_mail_work"},
		{"Company / Org.", "company_org"},
		{"Prénom", "prénom"},
		{"ÉVÉNEMENT", "événement"},
		{"名前", "名前"},
		{"2nd Degree", "2nd_degree"},
		{"a\tb\r\nc", "a_b_c"},
		{"", ""},
		{"   ", ""},
		{"!!!", ""},
		{"a\xffb", "a_b"}, // invalid UTF-8 is a separator
	}
	for _, c := range cases {
		if got := NormalizeHeader(c.in); got != c.want {
			t.Errorf("NormalizeHeader(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestNormalizeKey(t *testing.T) {
	cases := []struct{ in, want string }{
		// LinkedIn profile URLs in their usual spellings.
		{"https://www.linkedin.com/in/jane-doe", "https://linkedin.com/in/jane-doe"},
		{"https://www.linkedin.com/in/jane-doe/", "https://linkedin.com/in/jane-doe"},
		{"  https://www.linkedin.com/in/jane-doe  ", "https://linkedin.com/in/jane-doe"},
		{"HTTPS://WWW.LINKEDIN.COM/IN/Jane-Doe", "https://linkedin.com/in/jane-doe"},
		{"http://linkedin.com/in/jane-doe", "https://linkedin.com/in/jane-doe"},
		{"https://www.linkedin.com/in/jane-doe?trk=people-guest#top", "https://linkedin.com/in/jane-doe"},
		{"https://www.linkedin.com/in/jane-doe/?originalSubdomain=uk", "https://linkedin.com/in/jane-doe"},
		{"https://www.linkedin.com/in/jane-doe//", "https://linkedin.com/in/jane-doe"},
		{"https://user:pw@www.linkedin.com/in/jane-doe", "https://linkedin.com/in/jane-doe"},
		{"linkedin.com/in/jane-doe", "https://linkedin.com/in/jane-doe"},
		{"www.linkedin.com/in/jane-doe/", "https://linkedin.com/in/jane-doe"},
		{"https://de.linkedin.com/in/jane-doe", "https://de.linkedin.com/in/jane-doe"}, // country subdomains are kept
		{"https://www.www.example.com/a", "https://example.com/a"},
		{"https://example.com:8443/A", "https://example.com:8443/a"},
		{"https://example.com", "https://example.com"},
		{"https://example.com/", "https://example.com"},
		{"https://example.com?q=1", "https://example.com"},
		// Percent-escapes: UTF-8 and unreserved characters are decoded, others kept.
		{"https://www.linkedin.com/in/jos%C3%A9-garc%C3%ADa", "https://linkedin.com/in/josé-garcía"},
		{"https://www.linkedin.com/in/JOSÉ-GARCÍA", "https://linkedin.com/in/josé-garcía"},
		{"https://www.linkedin.com/in/jos%c3%a9", "https://linkedin.com/in/josé"},
		{"https://example.com/%41%2D%7e", "https://example.com/a-~"},
		{"https://example.com/a%2Fb%20c%25", "https://example.com/a%2fb%20c%25"},
		{"https://example.com/%ff", "https://example.com/%ff"}, // would be invalid UTF-8
		// A stray "%" is written as its escape, the form "%25zz" also takes:
		// both are the same path, and a later escape cannot complete it.
		{"https://example.com/%zz", "https://example.com/%25zz"},
		{"https://example.com/%25zz", "https://example.com/%25zz"},
		{"http://0/a%7%30", "https://0/a%2570"},
		// Not URLs: trimmed and lower-cased.
		{"Jane.Doe@Example.COM", "jane.doe@example.com"},
		{" ACoAAB1234xyz ", "acoaab1234xyz"},
		{"12345", "12345"},
		{"jane.doe", "jane.doe"},
		{"example.com", "example.com"}, // no "/": not taken for a URL
		{"ftp://example.com/a", "ftp://example.com/a"},
		{"https://", "https://"},
		{"https:///in/x", "https:///in/x"},
		{"mailto:Jane@x.io", "mailto:jane@x.io"},
		{"Ünïcode", "ünïcode"},
		{"a\xffB", "a\xffb"}, // invalid UTF-8 kept as is
		{"", ""},
		{"   ", ""},
	}
	for _, c := range cases {
		got := NormalizeKey(c.in)
		if got != c.want {
			t.Errorf("NormalizeKey(%q) = %q, want %q", c.in, got, c.want)
		}
		if again := NormalizeKey(got); again != got {
			t.Errorf("NormalizeKey not idempotent: %q -> %q -> %q", c.in, got, again)
		}
	}
}

func TestNormalizeKeyAllocs(t *testing.T) {
	for _, s := range []string{"https://linkedin.com/in/jane-doe", "jane@example.com"} {
		if n := testing.AllocsPerRun(100, func() { NormalizeKey(s) }); n != 0 {
			t.Errorf("NormalizeKey(%q) allocates %v times; want 0 for a normalized key", s, n)
		}
	}
}

func FuzzNormalizeKey(f *testing.F) {
	for _, s := range []string{"https://www.linkedin.com/in/jos%C3%A9/", "Jane@X.io", "linkedin.com/in/a", "http://www.www./x", "\u212a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k := NormalizeKey(s)
		if again := NormalizeKey(k); again != k {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, k, again)
		}
		if (k == "") != (NormalizeKey(" "+s) == "") {
			t.Fatalf("leading space changes emptiness: %q", s)
		}
	})
}

func FuzzNormalizeHeader(f *testing.F) {
	for _, s := range []string{"First Name", "\ufeffURL", "Prénom", "a\xffb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h := NormalizeHeader(s)
		if again := NormalizeHeader(h); again != h {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, h, again)
		}
	})
}
