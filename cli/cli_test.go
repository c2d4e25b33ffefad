package cli

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/outreach-scheduler/outreach/internal/golden"
)

// runCLI runs the command line in process and returns exit code and output.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// TestGolden runs commands against testdata/ws and compares exit code,
// stdout and stderr with testdata/golden/NAME.txt (go test -update rewrites).
func TestGolden(t *testing.T) {
	const cfg = "testdata/ws/config.yaml"
	cases := []struct {
		name string
		args []string
	}{
		{"validate_all", []string{"--config", cfg, "validate"}},
		{"validate_good", []string{"--config", cfg, "validate", "testdata/ws/campaigns/good.yaml"}},
		{"validate_json", []string{"--config", cfg, "validate", "--json"}},
		{"validate_bad_yaml", []string{"--config", cfg, "validate", "testdata/bad-campaign.yaml"}},
		{"validate_missing_campaign", []string{"--config", cfg, "validate", "testdata/nope.yaml"}},
		{"preview_good", []string{"--config", cfg, "preview", "testdata/ws/campaigns/good.yaml"}},
		{"preview_good_json", []string{"--config", cfg, "preview", "--json", "testdata/ws/campaigns/good.yaml"}},
		{"preview_limit", []string{"--config", cfg, "preview", "--limit", "1", "testdata/ws/campaigns/good.yaml"}},
		{"preview_bad", []string{"--config", cfg, "preview", "--json", "testdata/ws/campaigns/bad.yaml"}},
		{"missing_config", []string{"--config", "testdata/absent.yaml", "validate"}},
		{"bad_config", []string{"--config", "testdata/bad-config.yaml", "validate"}},
		{"idle_accounts", []string{"--config", "testdata/idle-config.yaml", "validate"}},
		{"unknown_flag", []string{"validate", "--frobnicate"}},
		{"unknown_command", []string{"frobnicate"}},
		{"preview_no_args", []string{"--config", cfg, "preview"}},
		{"validate_allowance", []string{"--config", "testdata/allowance/config.yaml", "validate"}},
		{"validate_allowance_json", []string{"--config", "testdata/allowance/config.yaml", "validate", "--json"}},
		{"preview_allowance", []string{"--config", "testdata/allowance/config.yaml", "preview", "testdata/allowance/campaigns/spring.yaml"}},
		{"preview_allowance_json", []string{"--config", "testdata/allowance/config.yaml", "preview", "--json", "testdata/allowance/campaigns/summer.yaml"}},
		{"schema_config", []string{"schema", "config"}},
		{"schema_campaign", []string{"schema", "campaign"}},
		{"schema_unknown", []string{"schema", "campaigns"}},
		{"schema_no_args", []string{"schema"}},
		{"preview_negative_limit", []string{"--config", cfg, "preview", "--limit", "-1", "testdata/ws/campaigns/good.yaml"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tc.args...)
			got := fmt.Sprintf("$ outreach %s\nexit: %d\n--- stdout\n%s--- stderr\n%s", strings.Join(tc.args, " "), code, stdout, stderr)
			golden.Check(t, filepath.Join("testdata", "golden", tc.name+".txt"), got)
		})
	}
}

// TestExitCodes pins the CLI contract independently of the golden text.
func TestExitCodes(t *testing.T) {
	const cfg = "testdata/ws/config.yaml"
	cases := []struct {
		args []string
		want int
	}{
		{[]string{"--config", cfg, "validate", "testdata/ws/campaigns/good.yaml"}, ExitOK},
		{[]string{"--config", cfg, "validate"}, ExitInvalid},
		{[]string{"--config", "testdata/absent.yaml", "validate"}, ExitError},
		{[]string{"validate", "--frobnicate"}, ExitError},
		{[]string{"--config", cfg, "preview"}, ExitError},
	}
	for _, tc := range cases {
		if code, _, stderr := runCLI(t, tc.args...); code != tc.want {
			t.Errorf("outreach %s: exit %d, want %d (stderr: %s)", strings.Join(tc.args, " "), code, tc.want, stderr)
		}
	}
}

// TestShippedExamples keeps the README's quick start true: the shipped
// config and example campaigns validate, and every example previews.
func TestShippedExamples(t *testing.T) {
	root := filepath.Join("..")
	code, stdout, stderr := runCLI(t, "--config", filepath.Join(root, "config.yaml"), "validate")
	if code != ExitOK {
		t.Fatalf("validate of the shipped config: exit %d\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "0 errors, 0 warnings") {
		t.Errorf("summary line missing or not clean:\n%s", stdout)
	}
	files, _ := filepath.Glob(filepath.Join(root, "examples", "campaigns", "*.yaml"))
	if len(files) < 4 {
		t.Fatalf("expected at least 4 example campaigns, found %d", len(files))
	}
	for _, f := range files {
		code, stdout, stderr := runCLI(t, "--config", filepath.Join(root, "config.yaml"), "preview", "--json", f)
		if code != ExitOK || strings.Count(stdout, "\n") == 0 {
			t.Errorf("preview %s: exit %d, %d lines\n%s", f, code, strings.Count(stdout, "\n"), stderr)
		}
	}
	code, _, stderr = runCLI(t, "--config", filepath.Join(root, "examples", "production.yaml"), "validate")
	if code != ExitOK {
		t.Errorf("validate examples/production.yaml: exit %d\n%s", code, stderr)
	}
}
