package prospects

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
)

// readAll reads every prospect of csv (cloned) with opt.
func readAll(t *testing.T, csv string, opt Options) ([]*Prospect, *Reader) {
	t.Helper()
	if opt.DisplayPath == "" {
		opt.DisplayPath = "p.csv"
	}
	r, err := NewReader(strings.NewReader(csv), opt)
	if err != nil {
		t.Fatal(err)
	}
	var ps []*Prospect
	for {
		p, err := r.Next()
		if err == io.EOF {
			return ps, r
		}
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p.Clone())
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := Open(filepath.Join(t.TempDir(), "missing.csv"), Options{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open(missing) = %v, want a not-exist error", err)
	}
	if _, err := NewReader(strings.NewReader("profile_url\n"), Options{}); err == nil {
		t.Error("NewReader without DisplayPath: want an error")
	}
	if _, err := NewReader(strings.NewReader("profile_url\n"), Options{DisplayPath: "p", Key: "--"}); err == nil {
		t.Error("NewReader with key \"--\": want an error")
	}
}

func TestDisplayPath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.csv")
	if err := os.WriteFile(path, []byte("profile_url\n,\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ display, want string }{{"", path}, {"campaigns/p.csv", "campaigns/p.csv"}} {
		r, err := Open(path, Options{DisplayPath: c.display, Key: "Profile URL"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Next(); err != io.EOF {
			t.Fatalf("Next = %v", err)
		}
		f := r.Findings()
		if want := c.want + ":1: warning: no prospects: the file has a header and no rows"; len(f) != 1 || f[0].String() != want {
			t.Errorf("findings %q, want only %q (a row of empty cells is blank)", f.Strings(), want)
		}
		if err := r.Close(); err != nil {
			t.Error(err)
		}
		if err := r.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
	}
	r, _ := Open(path, Options{})
	r.Close()
	if _, err := r.Next(); err != io.EOF {
		t.Errorf("Next after Close = %v, want io.EOF", err)
	}
}

func TestFieldsReusedAndClone(t *testing.T) {
	r, err := NewReader(strings.NewReader("id,name,account\na,Ann,alice\nb,Bob,\n"), Options{DisplayPath: "p", Key: "id"})
	if err != nil {
		t.Fatal(err)
	}
	p1, _ := r.Next()
	kept := p1.Clone()
	p1.Fields["extra"] = "x" // a caller may change the map: the next row must not see it
	p2, _ := r.Next()
	if p1 == p2 {
		t.Error("Next returned the same *Prospect twice")
	}
	if p2.Fields["name"] != "Bob" || p2.Fields["extra"] != "" || len(p2.Fields) != 3 {
		t.Errorf("second row fields = %v", p2.Fields)
	}
	if kept.Fields["name"] != "Ann" || kept.Account != "alice" || kept.Key != "a" || kept.Line != 2 {
		t.Errorf("clone changed: %+v", kept)
	}
	if p2.Account != "" {
		t.Errorf("empty account = %q", p2.Account)
	}
}

func TestExclude(t *testing.T) {
	ex := make(KeySet)
	ex.Add("https://www.linkedin.com/in/B/", "", "  ")
	if len(ex) != 1 || !ex.Has("linkedin.com/in/b") || ex.Has("linkedin.com/in/a") {
		t.Fatalf("KeySet = %v", ex)
	}
	ps, r := readAll(t, "profile_url\nlinkedin.com/in/a\nhttps://linkedin.com/in/b\nlinkedin.com/in/b\n", Options{Exclude: ex})
	if len(ps) != 1 || ps[0].Key != "https://linkedin.com/in/a" {
		t.Errorf("prospects = %v", ps)
	}
	if s := r.Stats(); s != (Stats{Rows: 3, Good: 1, Excluded: 2}) || len(r.Findings()) != 0 {
		t.Errorf("stats %+v, findings %v", s, r.Findings().Strings())
	}
}

func TestMaxFindings(t *testing.T) {
	var b strings.Builder
	b.WriteString("profile_url,name\n")
	for range 10 {
		b.WriteString(",x\n") // empty key
	}
	b.WriteString("linkedin.com/in/ok,y\n")
	for _, c := range []struct {
		max, kept int
		last      string
	}{
		{3, 4, "p.csv:5: 7 more problems not listed (only the first 3 are)"},
		{-1, 10, "p.csv:11: empty profile_url"},
		{0, 10, "p.csv:11: empty profile_url"},
	} {
		ps, r := readAll(t, b.String(), Options{MaxFindings: c.max})
		f := r.Findings()
		if len(ps) != 1 || len(f) != c.kept || f[len(f)-1].String() != c.last {
			t.Errorf("MaxFindings %d: %d prospects, findings %q", c.max, len(ps), f.Strings())
		}
		if s := r.Stats(); s.Invalid != 10 {
			t.Errorf("MaxFindings %d: stats %+v", c.max, s)
		}
	}
}

func TestPreamble(t *testing.T) {
	cases := []struct{ name, csv, key, want string }{
		{"notes then header", "Notes:\n\"a note, with a comma\"\n\nName,URL\nAnn,linkedin.com/in/ann\n", "url", ""},
		{"one-column file", "profile_url\nlinkedin.com/in/x\nlinkedin.com/in/y\n", "", ""},
		{"one-column file, wrong header", "email\nx\ny\n", "", `p.csv:1: key column "profile_url" not found (headers: "email")`},
		{"preamble, header without key", "Notes:\nName,Email\nAnn,x\n", "",
			`p.csv:2: key column "profile_url" not found (headers: "name, email")`},
		{"preamble then syntax error", "Notes:\na\"b\n", "",
			"p.csv:1: key column \"profile_url\" not found (headers: \"notes\")\n" +
				"p.csv:2: invalid CSV: bare \" in non-quoted-field (column 2); the rest of the file is not read"},
		{"only blank lines", "\n\n\r\n", "", "p.csv:1: empty file: no header line"},
		{"BOM only", "\ufeff", "", "p.csv:1: empty file: no header line"},
	}
	for _, c := range cases {
		_, r := readAll(t, c.csv, Options{Key: c.key})
		if got := strings.Join(r.Findings().Strings(), "\n"); got != c.want {
			t.Errorf("%s: findings\n%s\nwant\n%s", c.name, got, c.want)
		}
	}
}

func TestLongPreambleIsNotSkipped(t *testing.T) {
	csv := strings.Repeat("note\n", maxPreamble+1) + "profile_url,name\nx,y\n"
	_, r := readAll(t, csv, Options{})
	if f := r.Findings(); len(f) != 1 || f[0].Line != 1 {
		t.Errorf("findings %q", f.Strings())
	}
}

func TestIOError(t *testing.T) {
	boom := errors.New("boom")
	rd := io.MultiReader(strings.NewReader("id\na\n"), iotest.ErrReader(boom))
	r, err := NewReader(rd, Options{DisplayPath: "p", Key: "id"})
	if err != nil {
		t.Fatal(err)
	}
	if p, err := r.Next(); err != nil || p.Key != "a" {
		t.Fatalf("Next = %v, %v", p, err)
	}
	for range 2 {
		if _, err := r.Next(); !errors.Is(err, boom) {
			t.Errorf("Next = %v, want %v", err, boom)
		}
	}
	if _, err := NewReader(iotest.ErrReader(boom), Options{DisplayPath: "p"}); !errors.Is(err, boom) {
		t.Errorf("NewReader on a failing reader = %v", err)
	}
}

func TestHeaderIsACopy(t *testing.T) {
	_, r := readAll(t, "Profile URL,First Name\n", Options{})
	h := r.Header()
	h[0] = "changed"
	if got := r.Header(); got[0] != "profile_url" || got[1] != "first_name" || r.Key() != "profile_url" {
		t.Errorf("Header = %v", got)
	}
}

func TestLoadKeySetErrors(t *testing.T) {
	if _, _, err := LoadKeySet(filepath.Join(t.TempDir(), "none.csv"), Options{}); err == nil {
		t.Error("LoadKeySet(missing file): want an error")
	}
	set, f, err := ReadKeySet(strings.NewReader("Email,x\nA@B.io,1\na@b.io,2\n"), Options{Key: "email", DisplayPath: "x.csv"})
	if err != nil || len(f) != 0 || len(set) != 1 || !set.Has("a@b.io") {
		t.Errorf("ReadKeySet = %v, %v, %v", set, f.Strings(), err)
	}
}

// TestFindingsQuoteExcerpts: a finding quotes at most MaxExcerpt
// characters of a line, escaped; a file that is not text (here the shape
// of /proc/self/environ, NUL-separated, with a secret in it) is refused
// without quoting any of it, as a prospect list and as an exclusion list.
func TestFindingsQuoteExcerpts(t *testing.T) {
	const secret = "s3cr3t-do-not-print"
	long := strings.Repeat("very long column name ", 20)
	cases := map[string]string{
		"environ":     "HOME=/root\x00OUTREACH_WEBHOOK_SECRET=" + secret + "\x00PATH=/usr/bin\x00",
		"environ nl":  "OUTREACH_WEBHOOK_SECRET=" + secret + "\x00\nHOME=/root\x00\n",
		"utf16":       "\xff\xfep\x00r\x00o\x00f\x00i\x00l\x00e\x00_\x00u\x00r\x00l\x00\n\x00",
		"long header": long + "," + long + "\nx,y\n",
		"dup keys":    "profile_url\nhttps://example.com/in/" + strings.Repeat("x", 200) + "\nhttps://example.com/in/" + strings.Repeat("x", 200) + "/\n",
		"terminal":    "\x1b[2J\x1b]0;owned\x07,b\n",
		"bad header":  strings.Repeat("-", 100) + ",a,a\nx,y,z\n",
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			r, err := NewReader(strings.NewReader(data), Options{DisplayPath: "f.csv"})
			if err != nil {
				t.Fatal(err)
			}
			for {
				if _, err := r.Next(); err != nil {
					break
				}
			}
			_, ks, err := ReadKeySet(strings.NewReader(data), Options{DisplayPath: "f.csv"})
			if err != nil {
				t.Fatal(err)
			}
			all := append(r.Findings(), ks...)
			if len(all) == 0 {
				t.Fatal("no finding")
			}
			for _, f := range all {
				msg := f.String()
				if strings.Contains(msg, secret[:6]) || strings.Contains(msg, "\x00") || strings.Contains(msg, "\x1b") {
					t.Errorf("finding shows what it must not: %q", msg)
				}
				if err := noLongQuote([]byte(data), msg); err != nil {
					t.Error(err)
				}
				if strings.Contains(msg, strings.Repeat("x", MaxExcerpt+1)) || strings.Contains(msg, strings.Repeat("-", MaxExcerpt+1)) {
					t.Errorf("finding quotes more than %d characters: %q", MaxExcerpt, msg)
				}
			}
		})
	}
}
