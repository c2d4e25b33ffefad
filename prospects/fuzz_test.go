package prospects

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzReader reads arbitrary bytes as a prospect CSV, in the encoding
// mode%4 of Encodings, with small limits when mode&4 is set and only some
// columns checked for control characters when mode&8 is: it must not panic,
// every finding must have a file and a line and quote no more of the file
// than an excerpt (noLongQuote), every prospect a key and a line after the
// header, UTF-8 values without the control characters refused where they
// reach a note or the key, and a URL in a URL key column; the stats must
// add up, and the memory kept for a record stay within the limits.
func FuzzReader(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.csv")
	more, _ := filepath.Glob("testdata/keysets/*.csv")
	for _, path := range append(files, more...) {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		for mode := range uint8(16) {
			f.Add(b, mode)
		}
	}
	f.Add([]byte("\ufeffprofile_url,a\r\n\"x\r\ny\",\"\"\"\"\r\n"), uint8(0))
	f.Add([]byte("\xff\xfep\x00r\x00o\x00f\x00i\x00l\x00e\x00_\x00u\x00r\x00l\x00\n\x00"), uint8(0))
	f.Add([]byte("profile_url,a\nlinkedin.com/in/x,Jos\xe9\n"), uint8(0))
	f.Add([]byte("profile_url,a\nlinkedin.com/in/x,Jos\xe9\x85\n"), uint8(3))
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		ex := KeySet{"x": {}}
		opt := Options{DisplayPath: "f.csv", Exclude: ex, MaxFindings: 20, Encoding: Encodings[mode%4]}
		if mode&4 != 0 {
			opt.lim = limits{row: 48, cell: 12, columns: 4}
		}
		if mode&8 != 0 {
			opt.NoteFields = []string{"a", "first_name"}
		}
		lim := opt.lim
		if lim == (limits{}) {
			lim = defaultLimits
		}
		r, err := NewReader(bytes.NewReader(data), opt)
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
			if badControl(p.RawKey, false) >= 0 || !utf8.ValidString(p.RawKey) {
				t.Fatalf("key %q has a refused character", p.RawKey)
			}
			if _, ok := normalizeURL(lower(p.RawKey)); !ok && isURLColumn(r.Key()) {
				t.Fatalf("key %q is not a URL", p.RawKey)
			}
			for name, v := range p.Fields {
				if len(v) > lim.cell || !utf8.ValidString(v) {
					t.Fatalf("field %s = %q: over the limit or not UTF-8", name, v)
				}
				if (opt.NoteFields == nil || slices.Contains(opt.NoteFields, name)) && badControl(v, true) >= 0 {
					t.Fatalf("field %s = %q has a refused character", name, v)
				}
			}
			if len(r.sc.buf) > lim.row || len(r.sc.ends) > lim.columns {
				t.Fatalf("kept %d bytes and %d cells", len(r.sc.buf), len(r.sc.ends))
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

		opt.Exclude = nil
		set, findings, err := ReadKeySet(bytes.NewReader(data), opt)
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
