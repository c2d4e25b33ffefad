package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRunLogsNameNobody runs `outreach run -v` (the embedded Redis, the
// sandbox refusing a profile and answering within seconds) and reads
// every log line it writes: none at INFO or above names a prospect (their
// profile URL or name) or carries a note or a message, and none is longer
// than the truncating handler allows; nor does the progress output.
func TestRunLogsNameNobody(t *testing.T) {
	if testing.Short() {
		t.Skip("runs outreach run for a few seconds")
	}
	dir := t.TempDir()
	var csv strings.Builder
	csv.WriteString("profile_url,first_name,company\n")
	var urls, names []string
	for i := range 12 {
		u := fmt.Sprintf("https://www.linkedin.com/in/zelda-quorn-%d", i)
		n := fmt.Sprintf("Zelda%dQuorn", i)
		urls, names = append(urls, u), append(names, n)
		fmt.Fprintf(&csv, "%s,%s,Acme%d\n", u, n, i)
	}
	files := map[string]string{
		"p.csv": csv.String(),
		"config.yaml": `
metrics: {listen: "off"}
platform:
  sandbox:
    accept_rate: 0.8
    decline_rate: 0.1
    delay_scale: 0.000002
    refuse:
      - {code: invalid_profile, persons: ["` + urls[3] + `"]}
      - {code: unavailable, account: bob, rate: 0.3}
defaults:
  min_gap: 1s
  jitter: 0
  days: [mon, tue, wed, thu, fri, sat, sun]
  hours: "00:00-24:00"
accounts:
  - {id: alice, tier: premium, limits: {weekly: 100000, daily: 50000}}
  - {id: bob, tier: premium, limits: {weekly: 100000, daily: 50000}}
campaigns: [c.yaml]
`,
		"c.yaml": `
name: c
accounts: [alice, bob]
prospects: {csv: p.csv}
steps:
  - connect:
      note:
        variants:
          - name: hi
            text: "Hi {{.first_name}}, loved the Quornfield panel at {{.company}}."
  - message:
      wait: 1s
      text: "Thanks {{.first_name}}, Quornfield follow-up."
`,
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var out, errb lockedBuffer
	g := &globals{stdout: &out, stderr: &errb, now: time.Now}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- execute(ctx, g, []string{"--config", filepath.Join(dir, "config.yaml"), "run", "-v", "--progress", "1s"})
	}()
	deadline := time.Now().Add(60 * time.Second)
	for strings.Count(out.String(), "invited ") < 6 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(2 * time.Second) // answers, messages, refusals
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("run exited %d\n%s", code, errb.String())
	}
	if n := strings.Count(out.String(), "invited "); n < 6 {
		t.Fatalf("%d invitations in 60s:\n%s\n%s", n, out.String(), errb.String())
	}
	logs := errb.String()
	lines := 0
	for _, line := range strings.Split(logs, "\n") {
		if line == "" {
			continue
		}
		lines++
		if len(line) > 2048 {
			t.Errorf("a %d-byte log line", len(line))
		}
		if strings.Contains(line, "level=DEBUG") {
			continue
		}
		low := strings.ToLower(line)
		for _, needle := range append(append([]string{"linkedin.com/in/", "quornfield"}, names...), urls...) {
			if strings.Contains(low, strings.ToLower(needle)) {
				t.Errorf("a log line names %q: %s", needle, line)
			}
		}
	}
	if lines == 0 {
		t.Error("no log lines read: nothing was checked")
	}
	for _, needle := range append(append([]string{"linkedin.com/in/", "quornfield"}, names...), urls...) {
		if strings.Contains(strings.ToLower(out.String()), strings.ToLower(needle)) {
			t.Errorf("the progress output names %q", needle)
		}
	}
	t.Logf("%d log lines checked; %d invitations", lines, strings.Count(out.String(), "invited "))
}
