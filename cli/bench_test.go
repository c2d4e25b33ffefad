package cli

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/outreach-scheduler/outreach/prospects"
)

// writeBigWorkspace writes a config, a campaign and a generated CSV of rows
// prospects under dir and returns the config path.
func writeBigWorkspace(tb testing.TB, dir string, rows int) string {
	tb.Helper()
	f, err := os.Create(filepath.Join(dir, "prospects.csv"))
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if err := prospects.GenerateCSV(w, rows); err != nil {
		tb.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	files := map[string]string{
		"config.yaml": "accounts:\n  - id: alice\n    tier: premium\n  - id: bob\n    tier: free\ncampaigns: [big.yaml]\n",
		"big.yaml": `name: big
accounts: [alice, bob]
prospects:
  csv: prospects.csv
steps:
  - connect:
      note:
        variants:
          - name: event
            text: "Hi {{.first_name}}, great meeting you at {{.event}}. I enjoyed hearing about {{.company}} and would love to stay in touch."
          - name: short
            text: "Hi {{.first_name}}, enjoyed {{.event}} too. Would love to connect!"
        fallback: [short, blank]
  - message:
      wait: 1d
      text: "Thanks for connecting, {{.first_name}}!"
`,
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return filepath.Join(dir, "config.yaml")
}

// BenchmarkValidate1M validates a campaign of 1,000,000 generated prospects
// end to end (load, stream the CSV, render and count every note and message)
// and reports the cost per prospect. Peak memory is measured on the built
// binary with /usr/bin/time -v (see the README's Development section).
func BenchmarkValidate1M(b *testing.B) {
	const rows = 1_000_000
	cfg := writeBigWorkspace(b, b.TempDir(), rows)
	b.ResetTimer()
	for b.Loop() {
		var out lineCounter
		if code := Main(b.Context(), []string{"--config", cfg, "validate"}, &out, io.Discard); code != ExitOK {
			b.Fatalf("validate exit %d", code)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/prospect")
}

type lineCounter struct{ n int }

func (c *lineCounter) Write(p []byte) (int, error) { c.n += len(p); return len(p), nil }

// TestBigWorkspaceValidates keeps the benchmark's workspace honest on a
// small size: it must validate cleanly, so the benchmark measures real work.
func TestBigWorkspaceValidates(t *testing.T) {
	cfg := writeBigWorkspace(t, t.TempDir(), 2000)
	code, stdout, stderr := runCLI(t, "--config", cfg, "validate")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	if want := "2000 prospects, 2000 rendered"; !strings.Contains(stdout, want) {
		t.Errorf("summary lacks %q:\n%s", want, stdout)
	}
}
