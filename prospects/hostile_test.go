package prospects

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"
)

// repeatReader reads n copies of the byte c, then io.EOF.
type repeatReader struct {
	c byte
	n int64
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.n {
		p = p[:r.n]
	}
	for i := range p {
		p[i] = r.c
	}
	r.n -= int64(len(p))
	return len(p), nil
}

const goodRow = "https://www.linkedin.com/in/after,After\n"

// hostile files, each of about n bytes: what an adversarial pass tried.
var hostile = []struct {
	name string
	file func(n int64) io.Reader
	want string // the finding
}{
	{"cell", func(n int64) io.Reader {
		return io.MultiReader(strings.NewReader("profile_url,name\nhttps://www.linkedin.com/in/big,"),
			&repeatReader{'x', n}, strings.NewReader("\n"+goodRow))
	}, "f.csv:2: cell in column 2 (name) is longer than 8 KiB, the limit; the row is skipped"},
	{"quoted cell", func(n int64) io.Reader {
		return io.MultiReader(strings.NewReader("profile_url,name\nhttps://www.linkedin.com/in/big,\""),
			&repeatReader{'\n', n}, strings.NewReader("\"\n"+goodRow))
	}, "f.csv:2: cell in column 2 (name) is longer than 8 KiB, the limit (a quote left open? a quoted cell runs over several lines from here); the row is skipped"},
	{"columns", func(n int64) io.Reader {
		return io.MultiReader(strings.NewReader("profile_url,name\nhttps://www.linkedin.com/in/wide"),
			&repeatReader{',', n}, strings.NewReader("\n"+goodRow))
	}, "f.csv:2: row has more than 256 columns, the limit; the row is skipped"},
	{"header", func(n int64) io.Reader {
		return io.MultiReader(strings.NewReader("profile_url,"), &repeatReader{'h', n}, strings.NewReader("\n"+goodRow))
	}, "f.csv:1: header cell in column 2 is longer than 8 KiB, the limit: is it a prospect CSV file? nothing of it is read"},
	{"header columns", func(n int64) io.Reader {
		return io.MultiReader(strings.NewReader("profile_url"), &repeatReader{',', n}, strings.NewReader("\n"+goodRow))
	}, "f.csv:1: header has more than 256 columns, the limit: is it a prospect CSV file? nothing of it is read"},
}

// readHostile reads a hostile file to the end and returns its findings and
// the number of good prospects.
func readHostile(t testing.TB, rd io.Reader) ([]string, int) {
	r, err := NewReader(rd, Options{DisplayPath: "f.csv"})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		_, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	return r.Findings().Strings(), n
}

// TestHostileFilesAreBounded reads files of 20 MB built to exhaust memory
// (one cell, one quoted cell of line breaks, 20,000,000 columns, a header
// of one cell or of many columns): each gives its finding at its line, the
// rows after a bad row are read, and reading allocates less than 2 MB in
// all (it allocated several times the file's size before the limits).
func TestHostileFilesAreBounded(t *testing.T) {
	const size = 20 << 20
	for _, h := range hostile {
		t.Run(h.name, func(t *testing.T) {
			rd := h.file(size)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			findings, good := readHostile(t, rd)
			runtime.ReadMemStats(&after)
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 2<<20 {
				t.Errorf("reading %d MB allocated %.1f MB", size>>20, float64(alloc)/(1<<20))
			}
			if len(findings) != 1 || findings[0] != h.want {
				t.Errorf("findings %q, want %q", findings, h.want)
			}
			if wantGood := map[bool]int{true: 0, false: 1}[strings.HasPrefix(h.name, "header")]; good != wantGood {
				t.Errorf("%d good prospects, want %d", good, wantGood)
			}
		})
	}
}

// TestRowLimit: a row of cells within the cell limit is skipped past
// MaxRowBytes (its line break included), and a row of exactly MaxRowBytes
// is read.
func TestRowLimit(t *testing.T) {
	header := "profile_url,c1,c2,c3,c4,c5,c6,c7,c8,c9\n"
	row := func(last int) string {
		return "https://www.linkedin.com/in/a," + strings.Repeat(strings.Repeat("y", MaxCellBytes)+",", 7) +
			strings.Repeat("z", 8000) + "," + strings.Repeat("w", last) + "\n"
	}
	fits, over := row(153), strings.Replace(row(154), "/in/a", "/in/b", 1)
	if len(fits) != MaxRowBytes {
		t.Fatalf("the row that fits is %d bytes", len(fits))
	}
	findings, good := readHostile(t, strings.NewReader(header+fits+over))
	want := "f.csv:3: row is longer than 64 KiB, the limit; the row is skipped"
	if len(findings) != 1 || findings[0] != want || good != 1 {
		t.Errorf("findings %q (%d good), want %q", findings, good, want)
	}
}

// BenchmarkHostile reads files of 100 MB built to exhaust memory (see
// TestHostileFilesAreBounded) and reports the bytes allocated per file
// (B/op) and the peak heap in use (peak-heap-MB). Before the limits: 630 MB
// for the cell, 572 MB for the header, 302 MB for 1,000,000 columns.
func BenchmarkHostile(b *testing.B) {
	const size = 100 << 20
	for _, h := range hostile {
		b.Run(h.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(size)
			var peak uint64
			for b.Loop() {
				runtime.GC()
				done := make(chan struct{})
				go watchHeap(done, &peak)
				readHostile(b, h.file(size))
				done <- struct{}{}
				<-done
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
		})
	}
}

// watchHeap samples the heap in use until done, keeping the peak in
// *peak, and answers on done when it stopped.
func watchHeap(done chan struct{}, peak *uint64) {
	var m runtime.MemStats
	for {
		select {
		case <-done:
			done <- struct{}{}
			return
		default:
		}
		runtime.ReadMemStats(&m)
		*peak = max(*peak, m.HeapInuse)
		time.Sleep(time.Millisecond)
	}
}

func ExampleNewReader_limits() {
	rd := io.MultiReader(strings.NewReader("profile_url,name\nhttps://www.linkedin.com/in/big,"),
		&repeatReader{'x', 1 << 20}, strings.NewReader("\n"+goodRow))
	r, _ := NewReader(rd, Options{DisplayPath: "people.csv"})
	for {
		if _, err := r.Next(); err != nil {
			break
		}
	}
	fmt.Println(r.Findings().Strings()[0])
	// Output: people.csv:2: cell in column 2 (name) is longer than 8 KiB, the limit; the row is skipped
}
