package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/outreach-scheduler/outreach/internal/redistest"
	"github.com/outreach-scheduler/outreach/ledger"
	"github.com/outreach-scheduler/outreach/store"
)

// applyWorkspace copies testdata/ws into a temporary directory with a
// config whose redis.addr is addr, and returns the config's path.
func applyWorkspace(t *testing.T, addr string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("testdata/ws")); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "config.yaml")
	data, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, append([]byte("redis:\n  addr: "+addr+"\n"), data...), 0o644); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestApplyInvalidAppliesNothing(t *testing.T) {
	srv := redistest.Start(t)
	cfg := applyWorkspace(t, srv.Addr())
	// All campaigns: good.yaml is valid, bad.yaml is not: neither is applied.
	code, stdout, stderr := runCLI(t, "--config", cfg, "apply")
	if code != ExitInvalid {
		t.Fatalf("apply with an invalid campaign: exit %d, want %d\n%s%s", code, ExitInvalid, stdout, stderr)
	}
	if !strings.Contains(stdout, "bad.yaml") || !strings.Contains(stdout, "nothing applied") || strings.Contains(stdout, "campaign good:") {
		t.Errorf("stdout:\n%s", stdout)
	}
	if n := srv.Client().DBSize(context.Background()).Val(); n != 0 {
		t.Errorf("the store holds %d keys after a refused apply: %v", n, srv.Client().Keys(context.Background(), "*").Val())
	}
}

func TestApplyEmbeddedRedis(t *testing.T) {
	code, stdout, stderr := runCLI(t, "--config", "testdata/ws/config.yaml", "apply", "testdata/ws/campaigns/good.yaml")
	if code != ExitError || !strings.Contains(stderr, "embedded Redis lives only inside `outreach run`") {
		t.Fatalf("apply without redis.addr: exit %d\n%s%s", code, stdout, stderr)
	}
}

func TestApplyAndReapply(t *testing.T) {
	srv := redistest.Start(t)
	cfg := applyWorkspace(t, srv.Addr())
	good := filepath.Join(filepath.Dir(cfg), "campaigns", "good.yaml")
	steps := []struct {
		csv   string // new good.csv, "" to keep it
		want  string
		epoch int64 // the workspace epoch after it: a change tells the leading scheduler to rebuild
	}{
		{"", "campaign good: 3 added, 0 kept, 0 removed\n", 1},
		{"", "campaign good: unchanged\n", 1},
		{"Profile URL,First Name,Event\nhttps://example.com/in/ann,Ann,RetailConf\nhttps://example.com/in/cy,Cy,Expo\n" +
			"https://example.com/in/di,Di,Expo\nhttps://example.com/in/ed,Ed,Expo\n",
			"campaign good: 2 added, 2 kept, 1 removed\n", 2},
	}
	for i, st := range steps {
		if st.csv != "" {
			if err := os.WriteFile(filepath.Join(filepath.Dir(good), "good.csv"), []byte(st.csv), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		code, stdout, stderr := runCLI(t, "--config", cfg, "apply", good)
		if code != ExitOK || stdout != st.want {
			t.Fatalf("step %d: exit %d, stdout %q, want %q\n%s", i, code, stdout, st.want, stderr)
		}
		if e, err := ledger.New(srv.Client(), "").Epoch(context.Background()); err != nil || e != st.epoch {
			t.Errorf("step %d: workspace epoch %d (%v), want %d", i, e, err, st.epoch)
		}
	}
	src, err := store.New(srv.Client(), "").Open(context.Background(), "good")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i := range src.Len() {
		got = append(got, src.Key(i)+" "+src.Skip(i)+" "+src.Fields(i)["first_name"])
	}
	want := "https://example.com/in/ann  Ann|https://example.com/in/cy  Cy|https://example.com/in/di  Di|https://example.com/in/ed  Ed|https://example.com/in/bo removed "
	if strings.Join(got, "|") != want {
		t.Errorf("applied prospects:\n%s\nwant:\n%s", strings.Join(got, "|"), want)
	}
}
