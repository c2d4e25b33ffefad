package prospects

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

// csvRecords reads data with encoding/csv as a Reader once did: each record
// with the line where it starts, then the syntax error that stopped it.
// With limits other than bigLimits, a record that may exceed one (its text
// as written, blank lines before it included, is longer than lim.row) is
// "LINE over?".
func csvRecords(data []byte, lim limits) (recs []string, stop error) {
	c := csv.NewReader(bytes.NewReader(data))
	c.FieldsPerRecord = -1
	for {
		before := c.InputOffset()
		rec, err := c.Read()
		if err == io.EOF {
			return recs, nil
		}
		if err != nil {
			return recs, err
		}
		line, _ := c.FieldPos(0)
		over := len(rec) > lim.columns || c.InputOffset()-before > int64(lim.row)
		for _, cell := range rec {
			over = over || len(cell) > lim.cell
		}
		if over {
			recs = append(recs, fmt.Sprintf("%d over?", line))
			continue
		}
		recs = append(recs, fmt.Sprintf("%d %q", line, rec))
	}
}

// scanRecords reads data with a scanner, with lim and a small buffer so
// that lines are read in pieces.
func scanRecords(t testing.TB, data []byte, lim limits, size int) (recs []string, stop error) {
	s := newScanner(bufio.NewReaderSize(bytes.NewReader(data), size), lim)
	for {
		err := s.read()
		if err == io.EOF {
			return recs, nil
		}
		if err != nil {
			t.Fatal(err)
		}
		if s.syntax != nil {
			return recs, s.syntax
		}
		if s.over != overNone {
			recs = append(recs, fmt.Sprintf("%d over %d col %d", s.start, s.over, s.overCol))
			if len(s.buf) > lim.row || len(s.ends) > lim.columns {
				t.Fatalf("kept %d bytes and %d cells", len(s.buf), len(s.ends))
			}
			continue
		}
		recs = append(recs, fmt.Sprintf("%d %q", s.start, s.rec))
	}
}

// bigLimits lets the scanner keep whatever encoding/csv keeps.
var bigLimits = limits{row: 1 << 30, cell: 1 << 30, columns: 1 << 30}

// FuzzScanner checks the scanner against encoding/csv: the same records,
// lines and syntax errors (line and column included), whatever the size of
// the buffer the lines are read through. With small limits, a record past
// one is reported once and the records after it are read as without it.
func FuzzScanner(f *testing.F) {
	for _, s := range []string{
		"a,b\nc,d\n", "a,\"b\r\nc\"\r\n\r\nd\r", "\"a\"\"b\",c\n", "a\"b\n", "\"ab\"c,d\n",
		"x\n\"open,\nmore\n", "x\n\"open\n", "\"a\"\r\"\n", "a\rb,c\r\r\n", "\r", "\"x\r\r\n\"\n",
		",,\n\n,\n", "\"\"\n\"", "a,\"b\"\r", "a,b\"\n",
	} {
		f.Add([]byte(s), uint8(16))
	}
	f.Fuzz(func(t *testing.T, data []byte, size uint8) {
		want, wantErr := csvRecords(data, bigLimits)
		got, gotErr := scanRecords(t, data, bigLimits, 16+int(size))
		if strings.Join(got, "\n") != strings.Join(want, "\n") || fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
			t.Fatalf("input %q\nscanner: %q %v\ncsv:     %q %v", data, got, gotErr, want, wantErr)
		}
		var pe *csv.ParseError
		if wantErr != nil && (!errors.As(gotErr, &pe) || pe.StartLine != wantErr.(*csv.ParseError).StartLine) {
			t.Fatalf("input %q: error %#v, want %#v", data, gotErr, wantErr)
		}

		small := limits{row: 24, cell: 6, columns: 3}
		want, wantErr = csvRecords(data, small)
		got, gotErr = scanRecords(t, data, small, 16+int(size))
		if len(got) != len(want) || fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
			t.Fatalf("input %q, small limits\nscanner: %q %v\ncsv:     %q %v", data, got, gotErr, want, wantErr)
		}
		for i := range got {
			line, _, _ := strings.Cut(want[i], " ")
			if got[i] != want[i] && !(strings.HasSuffix(want[i], " over?") && strings.HasPrefix(got[i], line+" ")) {
				t.Fatalf("input %q, small limits: record %d is %s, want %s", data, i, got[i], want[i])
			}
		}
	})
}

// TestClassify compares classify with the byte table, byte by byte, for
// every byte value at every place of a word.
func TestClassify(t *testing.T) {
	for c := range 256 {
		for at := range 11 {
			b := []byte("abcdefghijk")
			b[at] = byte(c)
			want := byte(0)
			for _, x := range b {
				want |= byteClass[x]
			}
			if got := classify(b); got != want {
				t.Fatalf("classify(%q) = %b, want %b", b, got, want)
			}
		}
	}
}
