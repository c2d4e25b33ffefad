package cli

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// pathsSecret is the webhook secret the subprocess of
// TestFilesStayInTheirPlace has in its environment (so in
// /proc/self/environ); no output may show it.
const pathsSecret = "s3cr3t-webhook-key-7f3a"

// TestPathsHelper is not a test: TestFilesStayInTheirPlace runs the test
// binary again with OUTREACH_PATHS_ARGS set, and this runs the command line
// there, with the secret in the process's environment from its start.
func TestPathsHelper(t *testing.T) {
	raw := os.Getenv("OUTREACH_PATHS_ARGS")
	if raw == "" {
		t.Skip("helper process only")
	}
	var args []string
	if err := json.Unmarshal([]byte(raw), &args); err != nil {
		t.Fatal(err)
	}
	os.Exit(Main(context.Background(), args, os.Stdout, os.Stderr))
}

// runWithSecret runs the command line in a new process whose environment
// holds pathsSecret, and returns its exit code and output.
func runWithSecret(t *testing.T, args ...string) (int, string) {
	t.Helper()
	raw, _ := json.Marshal(args)
	cmd := exec.Command(os.Args[0], "-test.run=^TestPathsHelper$")
	cmd.Env = append(os.Environ(), "OUTREACH_PATHS_ARGS="+string(raw), "OUTREACH_WEBHOOK_SECRET="+pathsSecret)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, string(out)
}

// TestFilesStayInTheirPlace: the issue's `exclude: {csv: /proc/self/environ}`
// with the webhook secret in the environment is refused with FILE:LINE
// naming the key, exit 1, and the secret is never printed, whichever
// command reads the campaign; so are `../` escapes, absolute paths and
// symlinks that lead out. allow_paths lets a directory in: the file is then
// read, and being no text CSV, refused without quoting any of it.
func TestFilesStayInTheirPlace(t *testing.T) {
	if _, err := os.Stat("/proc/self/environ"); err != nil {
		t.Skip("no /proc/self/environ here")
	}
	dir := t.TempDir()
	outside := t.TempDir()
	write := func(name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(outside, "list.csv"), []byte("profile_url\nhttps://example.com/in/x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/proc/self/environ", filepath.Join(dir, "env.csv")); err != nil {
		t.Fatal(err)
	}
	write("p.csv", "profile_url,first_name\nhttps://example.com/in/ann,Ann\n")
	campaign := func(exclude string) string {
		return "name: c\naccounts: [alice]\nprospects: {csv: p.csv}\nexclude: {csv: " + exclude + "}\nsteps:\n  - connect:\n"
	}
	config := func(extra string) string {
		return extra + "platform:\n  driver: webhook\n  webhook: {url: https://example.com/hook, secret_env: OUTREACH_WEBHOOK_SECRET}\n" +
			"accounts:\n  - {id: alice, tier: premium}\ncampaigns: [c.yaml]\n"
	}
	rel, err := filepath.Rel(dir, filepath.Join(outside, "list.csv"))
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "config.yaml")
	for _, tc := range []struct {
		name, exclude, allow, want string
	}{
		{"environ", "/proc/self/environ", "", `c.yaml:4: exclude.csv: "/proc/self/environ" is outside the directory of`},
		{"escape", rel, "", `c.yaml:4: exclude.csv: "` + rel[:min(len(rel), 20)]},
		{"absolute", filepath.Join(outside, "list.csv"), "", "is outside the directory of"},
		{"symlink", "env.csv", "", `c.yaml:4: exclude.csv: "env.csv" leads, through a symlink, outside the directory of`},
		{"allowed, not text", "/proc/self/environ", "allow_paths: [/proc/self]\n", "environ:1: not a UTF-8 text CSV file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			write("c.yaml", campaign(tc.exclude))
			write("config.yaml", config(tc.allow))
			for _, args := range [][]string{
				{"--config", cfgPath, "validate"},
				{"--config", cfgPath, "validate", "--json"},
				{"--config", cfgPath, "preview", filepath.Join(dir, "c.yaml")},
				{"--config", cfgPath, "simulate", "--days", "1"},
			} {
				code, out := runWithSecret(t, args...)
				if code != 1 {
					t.Errorf("%s: exit %d, want 1\n%s", args[2], code, out)
				}
				if strings.Contains(out, pathsSecret) || strings.Contains(out, strings.ReplaceAll(pathsSecret, "-", "_")) {
					t.Errorf("%s printed the secret:\n%s", args[2], out)
				}
				if args[2] == "validate" && len(args) == 3 && !strings.Contains(out, tc.want) {
					t.Errorf("validate: output lacks %q:\n%s", tc.want, out)
				}
			}
		})
	}
}

// TestComposeConfigValidates: the docker compose setup's config reaches
// the example campaigns outside its directory through allow_paths.
func TestComposeConfigValidates(t *testing.T) {
	code, stdout, stderr := runCLI(t, "--config", filepath.Join("..", "deploy", "compose", "config.yaml"), "validate")
	if code != ExitOK || !strings.Contains(stdout, "4 campaigns checked") {
		t.Fatalf("validate deploy/compose/config.yaml: exit %d\n%s%s", code, stdout, stderr)
	}
}
