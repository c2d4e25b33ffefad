package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/install"
	"github.com/outreach-scheduler/outreach/internal/redistest"
	"github.com/outreach-scheduler/outreach/ledger"
	"github.com/outreach-scheduler/outreach/pacing"
)

// initWorkspace is testdata/ws with only the good campaign, on Redis addr.
func initWorkspace(t *testing.T, addr string) string {
	t.Helper()
	cfg := applyWorkspace(t, addr)
	os.Remove(filepath.Join(filepath.Dir(cfg), "campaigns", "bad.yaml"))
	return cfg
}

func TestInit(t *testing.T) {
	srv := redistest.Start(t)
	cfg := initWorkspace(t, srv.Addr())
	code, stdout, stderr := runCLI(t, "--config", cfg, "init")
	if code != ExitOK || !strings.HasPrefix(stdout, "install ") || !strings.Contains(stdout, "(origin init)") || stderr != "" {
		t.Fatalf("init on an empty Redis: exit %d\n%s%s", code, stdout, stderr)
	}
	m, err := install.Read(context.Background(), srv.Client())
	if err != nil || m.Origin != install.OriginInit || !strings.Contains(stdout, m.ID) {
		t.Errorf("marker %+v, %v; init printed %q", m, err, stdout)
	}
	code, stdout, stderr = runCLI(t, "--config", cfg, "init")
	if code != ExitError || !strings.Contains(stderr, "already has an install marker") || !strings.Contains(stderr, m.ID) {
		t.Errorf("a second init: exit %d\n%s%s", code, stdout, stderr)
	}
	code, _, stderr = runCLI(t, "--config", "testdata/ws/config.yaml", "init")
	if code != ExitError || !strings.Contains(stderr, "embedded Redis") {
		t.Errorf("init without redis.addr: exit %d\n%s", code, stderr)
	}
}

// TestInitRecover: init --recover rebuilds the ledger and the limiter from
// an export; a file with a bad row applies nothing.
func TestInitRecover(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	cfg := initWorkspace(t, srv.Addr())
	dir := t.TempDir()
	now := time.Now().UTC()
	at := func(d time.Duration) string { return now.Add(-d).Format(time.RFC3339) }

	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("account,person,campaign,at\n"+
		"alice,https://example.com/in/ann,good,"+at(time.Hour)+"\n"+
		"zoe,https://example.com/in/bo,good,"+at(time.Hour)+"\n"+
		"alice,https://example.com/in/cy,good,last tuesday\n"), 0o644)
	code, stdout, stderr := runCLI(t, "--config", cfg, "init", "--recover", bad)
	want := bad + `:3: account: "zoe" is not an account of the config` + "\n" +
		bad + `:4: at: "last tuesday" is not an RFC 3339 time (such as 2026-03-02T09:00:00Z)` + "\n" +
		"nothing applied: fix the errors above first\n"
	if code != ExitInvalid || stdout != want {
		t.Errorf("init --recover with bad rows: exit %d\n%s\nwant:\n%s%s", code, stdout, want, stderr)
	}
	if n := srv.Client().DBSize(ctx).Val(); n != 0 {
		t.Errorf("a refused recovery left %d keys: %v", n, srv.Client().Keys(ctx, "*").Val())
	}
	if code, _, stderr := runCLI(t, "--config", cfg, "init", "--recover", filepath.Join(dir, "absent.csv")); code != ExitError || !strings.Contains(stderr, "absent.csv") {
		t.Errorf("init --recover with a missing file: exit %d\n%s", code, stderr)
	}

	good := filepath.Join(dir, "sent.jsonl")
	os.WriteFile(good, []byte(
		`{"account":"alice","person":"https://example.com/in/ann","campaign":"good","at":"`+at(2*time.Hour)+`","note":true,"answer":"accepted","answered":"`+at(time.Hour)+`"}`+"\n"+
			`{"account":"alice","person":"https://example.com/in/bo","campaign":"good","at":"`+at(90*time.Minute)+`"}`+"\n"), 0o644)
	code, stdout, stderr = runCLI(t, "--config", cfg, "init", "--recover", good)
	if code != ExitOK || !strings.Contains(stdout, "recovered from "+good+": 2 invitations of 1 accounts (1 accepted, 0 declined, 0 withdrawn, 0 expired, 1 pending); 2 sends back in the limiter") ||
		!strings.Contains(stdout, "(origin import)") {
		t.Fatalf("init --recover: exit %d\n%s%s", code, stdout, stderr)
	}
	m, err := install.Read(ctx, srv.Client())
	if err != nil || m.Origin != install.OriginImport || m.Recovered != 2 {
		t.Errorf("marker %+v, %v", m, err)
	}
	es, err := ledger.New(srv.Client(), "").Read(ctx, "0", 100, 0)
	if err != nil || len(es) != 3 {
		t.Fatalf("ledger: %d entries, %v; want 2 invitations and 1 answer", len(es), err)
	}
	lim, _ := pacing.NewRedisLimiter(srv.Client())
	u, err := lim.Usage(ctx, "alice", now, pacing.Rules{DayStart: now.Add(-24 * time.Hour), DayEnd: now.Add(time.Hour),
		MonthStart: now.Add(-24 * time.Hour), MonthEnd: now.Add(time.Hour)})
	if err != nil || u.Week != 2 || u.NotesMonth != 1 {
		t.Errorf("alice's usage after the recovery: %+v, %v; want 2 sends, 1 note", u, err)
	}
	if code, _, stderr := runCLI(t, "--config", cfg, "init", "--recover", good); code != ExitError || !strings.Contains(stderr, "already has an install marker") {
		t.Errorf("a second init --recover: exit %d\n%s", code, stderr)
	}
}

// TestApplyRefusesEviction: apply refuses a Redis that may evict keys, and
// warns where CONFIG is refused.
func TestApplyRefusesEviction(t *testing.T) {
	lru := redistest.Start(t, redistest.WithArgs("--maxmemory", "64mb", "--maxmemory-policy", "allkeys-lru"))
	cfg := initWorkspace(t, lru.Addr())
	code, stdout, stderr := runCLI(t, "--config", cfg, "apply")
	if code != ExitError || !strings.Contains(stderr, "maxmemory-policy allkeys-lru") || !strings.Contains(stderr, "noeviction") || strings.Contains(stdout, "added") {
		t.Errorf("apply on allkeys-lru: exit %d\n%s%s", code, stdout, stderr)
	}
	if n := lru.Client().DBSize(context.Background()).Val(); n != 0 {
		t.Errorf("the refused apply left %d keys", n)
	}
	if code, _, stderr := runCLI(t, "--config", cfg, "init"); code != ExitError || !strings.Contains(stderr, "allkeys-lru") {
		t.Errorf("init on allkeys-lru: exit %d\n%s", code, stderr)
	}

	managed := redistest.Start(t, redistest.WithArgs("--rename-command", "CONFIG", ""))
	cfg = initWorkspace(t, managed.Addr())
	code, stdout, stderr = runCLI(t, "--config", cfg, "apply")
	if code != ExitOK || !strings.Contains(stdout, "campaign good: 3 added") || !strings.Contains(stderr, "warning") || !strings.Contains(stderr, "maxmemory-policy") {
		t.Errorf("apply where CONFIG is refused: exit %d\n%s%s", code, stdout, stderr)
	}
}
