package prospects

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzReader reads arbitrary bytes as a prospect CSV: it must not panic,
// every finding must have a file and a line and quote no more of the file
// than an excerpt (noLongQuote), every prospect a key and a line after the
// header, and the stats must add up.
func FuzzReader(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.csv")
	more, _ := filepath.Glob("testdata/keysets/*.csv")
	for _, path := range append(files, more...) {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("\ufeffprofile_url,a\r\n\"x\r\ny\",\"\"\"\"\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ex := KeySet{"x": {}}
		r, err := NewReader(bytes.NewReader(data), Options{DisplayPath: "f.csv", Exclude: ex, MaxFindings: 20})
		if err != nil {
			t.Fatal(err) // only I/O errors, and a bytes.Reader has none
		}
		lastLine := 0
		for {
			p, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Key == "" || p.Line < 2 || p.Line <= lastLine {
				t.Fatalf("bad prospect %+v after line %d", p, lastLine)
			}
			if p.Key != NormalizeKey(p.RawKey) || p.Key == "x" {
				t.Fatalf("key %q of raw %q", p.Key, p.RawKey)
			}
			lastLine = p.Line
		}
		for _, f := range r.Findings() {
			if f.File != "f.csv" || f.Line < 1 {
				t.Fatalf("bad finding %#v", f)
			}
			if err := noLongQuote(data, f.Message); err != nil {
				t.Fatal(err)
			}
		}
		s := r.Stats()
		if s.Rows != s.Good+s.Excluded+s.Invalid+s.Duplicates {
			t.Fatalf("stats do not add up: %+v", s)
		}
		if len(r.Findings()) > 21 {
			t.Fatalf("%d findings kept, bound is 20 (+1)", len(r.Findings()))
		}

		set, findings, err := ReadKeySet(bytes.NewReader(data), Options{DisplayPath: "f.csv"})
		if err != nil {
			t.Fatal(err)
		}
		for k := range set {
			if k == "" {
				t.Fatal("empty key in KeySet")
			}
		}
		for _, f := range findings {
			if f.File != "f.csv" || f.Line < 1 {
				t.Fatalf("bad keyset finding %#v", f)
			}
			if err := noLongQuote(data, f.Message); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// quoteWindow is more than an excerpt's MaxExcerpt characters, with room
// for the escapes and separators an excerpt adds.
const quoteWindow = 3 * MaxExcerpt / 2

// noLongQuote reports a message that holds quoteWindow or more bytes of the
// file in a row: findings quote excerpts, never whole lines.
func noLongQuote(data []byte, msg string) error {
	for i := 0; i+quoteWindow <= len(data); i++ {
		if w := data[i : i+quoteWindow]; strings.Contains(msg, string(w)) {
			return fmt.Errorf("finding %q quotes %q of the file", msg, w)
		}
	}
	return nil
}
