package prospects

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/outreach-scheduler/outreach/internal/golden"
)

// goldenOptions are the options of a golden file other than the defaults.
// Files named limits_* are read with small limits, so that they stay small.
func goldenOptions(t *testing.T, name string) Options {
	const key = "prospects.encoding"
	switch name {
	case "linkedin_connections.csv":
		return Options{Key: "URL"}
	case "email_keys.csv":
		return Options{Key: "email"}
	case "windows1252_declared.csv", "utf8_declared_1252.csv":
		return Options{Encoding: Windows1252, EncodingKey: key}
	case "iso88591_declared.csv":
		return Options{Encoding: ISO88591, EncodingKey: key}
	case "utf16_declared_nobom.csv", "utf16_declared_utf8.csv":
		return Options{Encoding: UTF16, EncodingKey: key}
	case "windows1252.csv", "utf16le_nobom.csv":
		return Options{EncodingKey: key}
	case "control_chars.csv":
		return Options{NoteFields: []string{"first_name", "company"}}
	case "with_exclusions.csv":
		set, findings, err := LoadKeySet("testdata/keysets/do-not-contact.csv", Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(findings) != 2 { // the empty key and the ragged row, see keysets/do-not-contact.csv.golden
			t.Fatalf("exclusion list findings: %v", findings.Strings())
		}
		return Options{Exclude: set}
	}
	if strings.HasPrefix(name, "limits_") {
		return Options{lim: limits{row: 100, cell: 40, columns: 8}}
	}
	return Options{}
}

// TestGolden reads each testdata/*.csv and compares what it finds (header,
// findings, prospects, stats) with the sibling .golden file.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.csv")
	if err != nil || len(files) < 10 {
		t.Fatalf("testdata: %v, %d files", err, len(files))
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			got := readGolden(t, path, goldenOptions(t, filepath.Base(path)))
			compareGolden(t, path, got)
		})
	}
}

// TestGoldenKeySets loads each testdata/keysets/*.csv with LoadKeySet.
func TestGoldenKeySets(t *testing.T) {
	files, err := filepath.Glob("testdata/keysets/*.csv")
	if err != nil || len(files) == 0 {
		t.Fatalf("testdata/keysets: %v, %d files", err, len(files))
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			set, findings, err := LoadKeySet(path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			b.WriteString("# findings\n")
			for _, f := range findings {
				fmt.Fprintln(&b, f)
			}
			b.WriteString("# keys\n")
			keys := make([]string, 0, len(set))
			for k := range set {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				fmt.Fprintln(&b, k)
			}
			compareGolden(t, path, b.String())
		})
	}
}

// readGolden reads path to the end and formats everything it returned.
func readGolden(t *testing.T, path string, opt Options) string {
	t.Helper()
	r, err := Open(path, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var b strings.Builder
	fmt.Fprintf(&b, "# header (key %s)\n%s\n", r.Key(), strings.Join(r.Header(), ","))
	b.WriteString("# prospects\n")
	for {
		p, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%d %s raw=%q account=%q\n", p.Line, p.Key, p.RawKey, p.Account)
		done := make(map[string]bool)
		for _, name := range r.Header() {
			if v, ok := p.Fields[name]; ok && !done[name] {
				done[name] = true
				fmt.Fprintf(&b, "    %s=%q\n", name, v)
			}
		}
		if len(done) != len(p.Fields) {
			t.Errorf("line %d: fields %v are not all named in the header %v", p.Line, p.Fields, r.Header())
		}
	}
	if _, err := r.Next(); err != io.EOF {
		t.Errorf("Next after the end = %v, want io.EOF", err)
	}
	b.WriteString("# findings\n")
	for _, f := range r.Findings() {
		if f.File != path || f.Line < 1 {
			t.Errorf("finding without file or line: %#v", f)
		}
		fmt.Fprintln(&b, f)
	}
	s := r.Stats()
	if s.Rows != s.Good+s.Excluded+s.Invalid+s.Duplicates {
		t.Errorf("stats do not add up: %+v", s)
	}
	fmt.Fprintf(&b, "# stats\n%+v\n", s)
	return b.String()
}

func compareGolden(t *testing.T, path, got string) {
	t.Helper()
	golden.Check(t, strings.TrimSuffix(path, ".csv")+".golden", got)
}
