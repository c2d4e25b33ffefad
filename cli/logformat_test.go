package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/internal/redistest"
	"github.com/outreach-scheduler/outreach/platform/webhook"
)

// TestVersion: --version prints the version, the commit and the Go
// version the toolchain stamped, "devel" and "unknown" when nothing was.
func TestVersion(t *testing.T) {
	info := func(main string, settings ...string) func() (*debug.BuildInfo, bool) {
		return func() (*debug.BuildInfo, bool) {
			bi := &debug.BuildInfo{GoVersion: "go1.99.1", Main: debug.Module{Path: "github.com/outreach-scheduler/outreach", Version: main}}
			for i := 0; i+1 < len(settings); i += 2 {
				bi.Settings = append(bi.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
			}
			return bi, true
		}
	}
	for _, tc := range []struct {
		name    string
		stamp   string
		info    func() (*debug.BuildInfo, bool)
		want    string
		flagArg string
	}{
		{"a checkout, modified", "", info("(devel)", "vcs.revision", "4f9e2b1c0a3d", "vcs.modified", "true"),
			"outreach version devel, commit 4f9e2b1c0a3d (modified), go1.99.1\n", "--version"},
		{"go install at a tag", "", info("v1.4.0", "vcs.revision", "4f9e2b1c0a3d", "vcs.modified", "false"),
			"outreach version v1.4.0, commit 4f9e2b1c0a3d, go1.99.1\n", "--version"},
		{"ldflags stamp", "v1.5.0-rc1", info("v1.4.0"), "outreach version v1.5.0-rc1, commit unknown, go1.99.1\n", "--version"},
		{"no build info", "", func() (*debug.BuildInfo, bool) { return nil, false },
			"outreach version devel, commit unknown, " + runtime.Version() + "\n", "-v"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func(v string) { version = v }(version)
			version = tc.stamp
			var out, errb bytes.Buffer
			g := &globals{stdout: &out, stderr: &errb, now: time.Now, buildInfo: tc.info}
			if code := execute(context.Background(), g, []string{tc.flagArg}); code != ExitOK {
				t.Fatalf("exit %d: %s", code, errb.String())
			}
			if out.String() != tc.want {
				t.Errorf("got %q, want %q", out.String(), tc.want)
			}
		})
	}
}

// TestLogFormatBadValue: a --log-format other than text or json is a
// usage error, exit 2, before the command runs.
func TestLogFormatBadValue(t *testing.T) {
	var out, errb bytes.Buffer
	g := &globals{stdout: &out, stderr: &errb, now: time.Now}
	code := execute(context.Background(), g, []string{"--log-format", "xml", "validate"})
	if code != ExitError || !strings.Contains(errb.String(), `invalid argument "xml" for "--log-format" flag: must be text or json`) {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
}

// daemonFiles is a workspace for the daemons: webhook to a sandbox at
// sandboxAddr, Redis at redisAddr, one account working around the clock
// with one-second gaps, five prospects at example.com with notes.
func daemonFiles(redisAddr, sandboxAddr string) map[string]string {
	var csv strings.Builder
	csv.WriteString("profile_url,first_name\n")
	for i := range 5 {
		fmt.Fprintf(&csv, "https://example.com/in/zed-%d,Zed%d\n", i, i)
	}
	return map[string]string{
		"p.csv": csv.String(),
		"config.yaml": `
redis: {addr: "` + redisAddr + `"}
metrics: {listen: "off"}
platform:
  driver: webhook
  webhook: {url: "http://` + sandboxAddr + `", secret_env: OUTREACH_TEST_SECRET}
defaults:
  min_gap: 1s
  jitter: 0
  days: [mon, tue, wed, thu, fri, sat, sun]
  hours: "00:00-24:00"
accounts:
  - {id: alice, tier: premium, limits: {weekly: 100000, daily: 50000}}
campaigns: [c.yaml]
`,
		"c.yaml": `
name: c
accounts: [alice]
prospects: {csv: p.csv}
steps:
  - connect:
      note:
        variants:
          - {name: hi, text: "Hi {{.first_name}}, about the Quornfield panel"}
`,
	}
}

// TestDaemonsLogAtInfo runs `outreach sandbox`, `outreach scheduler`
// (--log-format json) and `outreach worker` (text) without -v: each logs
// its start (version, config, Redis), the scheduler its lease and a tick
// summary, at INFO; no DEBUG line; every JSON line decodes; and no line
// names a prospect or carries a note.
func TestDaemonsLogAtInfo(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the daemons for a few seconds")
	}
	rs := redistest.Start(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sandboxAddr := ln.Addr().String()
	ln.Close()
	dir := t.TempDir()
	for name, body := range daemonFiles(rs.Addr(), sandboxAddr) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Two whsec_ secrets (a rotation): the daemons sign with both, the
	// sandbox verifies with either, and signs its events with both.
	t.Setenv("OUTREACH_TEST_SECRET", webhook.EncodeSecret([]byte("logformat-test-old-secret"))+" "+webhook.EncodeSecret([]byte("logformat-test-new-secret")))
	cfgPath := filepath.Join(dir, "config.yaml")
	ctx, cancel := context.WithCancel(context.Background())
	type proc struct {
		name      string
		out, errb lockedBuffer
		done      chan int
		code      int
	}
	var procs []*proc
	stop := func() { // every process ends before Redis does (cleanups run last first)
		cancel()
		for _, p := range procs {
			if p.done != nil {
				p.code = <-p.done
				p.done = nil
			}
		}
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			for _, p := range procs {
				t.Logf("%s (exit %d):\n%s", p.name, p.code, p.errb.String())
			}
		}
	})
	start := func(args ...string) *proc {
		p := &proc{name: strings.Join(args, " "), done: make(chan int, 1)}
		procs = append(procs, p)
		g := &globals{stdout: &p.out, stderr: &p.errb, now: time.Now, buildInfo: debug.ReadBuildInfo}
		go func() { p.done <- execute(ctx, g, append([]string{"--config", cfgPath}, args...)) }()
		return p
	}
	sb := start("sandbox", "--listen", sandboxAddr, "--secret-env", "OUTREACH_TEST_SECRET")
	waitUntil(t, 20*time.Second, "the sandbox", func() bool {
		resp, err := http.Get("http://" + sandboxAddr + "/v1/invitations")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	})
	sched := start("--log-format", "json", "scheduler", "--listen", "127.0.0.1:0")
	work := start("worker")
	waitUntil(t, 90*time.Second, "three invitations and a tick summary", func() bool {
		return strings.Contains(sched.errb.String(), `"msg":"tick"`) && invitationsAt(t, sandboxAddr) >= 3
	})
	time.Sleep(1500 * time.Millisecond) // the outcomes reach the ledger
	stop()
	for _, p := range []*proc{sb, sched, work} {
		if p.code != 0 {
			t.Errorf("%s exited %d", p.name, p.code)
		}
	}
	slog := sched.errb.String()
	wlog := work.errb.String()

	// The scheduler's lines are JSON objects with a level and a message.
	msgs := map[string]map[string]any{}
	for _, line := range strings.Split(strings.TrimSpace(slog), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("a --log-format json line does not decode: %v\n%s", err, line)
		}
		if rec["level"] == nil || rec["msg"] == nil || rec["time"] == nil {
			t.Errorf("a JSON line without time, level or msg: %s", line)
		}
		if rec["level"] == "DEBUG" {
			t.Errorf("a DEBUG line without -v: %s", line)
		}
		msgs[rec["msg"].(string)] = rec
	}
	for _, m := range []string{"scheduler starting", "lease acquired: leading; rebuilding the state from the ledger", "tick"} {
		if rec, ok := msgs[m]; !ok || rec["level"] != "INFO" {
			t.Errorf("no INFO line %q from the scheduler", m)
		}
	}
	if rec := msgs["scheduler starting"]; rec != nil {
		if rec["config"] != cfgPath || rec["redis"] != rs.Addr() || !strings.Contains(fmt.Sprint(rec["version"]), ", commit ") {
			t.Errorf("the start line lacks the config, Redis or version: %v", rec)
		}
	}
	if rec := msgs["tick"]; rec != nil {
		for _, k := range []string{"planned", "enqueued", "kept", "outcomes_applied", "events_applied"} {
			if _, ok := rec[k].(float64); !ok {
				t.Errorf("the tick summary has no count %q: %v", k, rec)
			}
		}
	}
	// The worker's lines are text.
	for _, re := range []string{
		`level=INFO msg="worker starting" component=worker version=".+, commit .+" config=` + regexp.QuoteMeta(cfgPath) + ` redis=` + regexp.QuoteMeta(rs.Addr()),
		`level=INFO msg="worker started" component=worker concurrency=8`,
		`level=INFO msg="worker stopped"`,
	} {
		if !regexp.MustCompile(re).MatchString(wlog) {
			t.Errorf("no worker line matching %s", re)
		}
	}
	if strings.Contains(wlog, "level=DEBUG") {
		t.Error("a DEBUG line from the worker without -v")
	}
	for _, logs := range []string{slog, wlog} {
		for _, needle := range []string{"example.com", "zed-", "Quornfield"} {
			if strings.Contains(logs, needle) {
				t.Errorf("the INFO log names a prospect or carries a note (%q)", needle)
			}
		}
	}
}

func invitationsAt(t *testing.T, addr string) int {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/v1/invitations")
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	var inv struct {
		Requests []json.RawMessage `json:"requests"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&inv); err != nil {
		return 0
	}
	return len(inv.Requests)
}

func waitUntil(t *testing.T, within time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
