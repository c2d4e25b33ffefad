package prospects

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// readFile reads every prospect of path and returns how many were good.
func readFile(b *testing.B, path string) int {
	r, err := Open(path, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	n := 0
	for {
		_, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		n++
	}
	if len(r.Findings()) != 0 {
		b.Fatalf("findings: %v", r.Findings().Strings()[:1])
	}
	return n
}

// writeSample writes GenerateCSV(rows) to a file in dir.
func writeSample(b *testing.B, dir string, rows int) string {
	path := filepath.Join(dir, "prospects.csv")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	if err := GenerateCSV(w, rows); err != nil {
		b.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return path
}

// BenchmarkRead1MRows validates a 1,000,000-row file (6 columns, ~100 bytes
// a row) per iteration; run it under /usr/bin/time -v to see the peak
// resident memory.
func BenchmarkRead1MRows(b *testing.B) {
	const rows = 1_000_000
	path := writeSample(b, b.TempDir(), rows)
	st, _ := os.Stat(path)
	b.SetBytes(st.Size())
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if n := readFile(b, path); n != rows {
			b.Fatalf("read %d prospects, want %d", n, rows)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
}

// BenchmarkReadRow measures one row: b.N rows of a generated file.
func BenchmarkReadRow(b *testing.B) {
	path := writeSample(b, b.TempDir(), b.N)
	st, _ := os.Stat(path)
	b.SetBytes(st.Size() / int64(b.N))
	b.ReportAllocs()
	b.ResetTimer()
	r, err := Open(path, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	for range b.N {
		if _, err := r.Next(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNormalizeKey(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		NormalizeKey("https://www.linkedin.com/in/jane-doe-1a2b3c")
	}
}
