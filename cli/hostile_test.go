package cli

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/outreach-scheduler/outreach/internal/golden"
)

// TestHostileFiles runs validate and preview on testdata/hostile: a
// windows-1252 CSV without and with prospects.encoding, control characters
// and keys that are not URLs, a CSV without rows. Output goes to
// testdata/golden/hostile_NAME.txt (go test -update rewrites); no escape
// sequence from a file may reach it.
func TestHostileFiles(t *testing.T) {
	const cfg = "testdata/hostile/config.yaml"
	cases := []struct {
		name string
		args []string
		code int
	}{
		{"validate_latin1", []string{"validate", "testdata/hostile/campaigns/latin1.yaml"}, ExitInvalid},
		{"validate_declared", []string{"validate", "testdata/hostile/campaigns/declared.yaml"}, ExitOK},
		{"preview_declared", []string{"preview", "testdata/hostile/campaigns/declared.yaml"}, ExitOK},
		{"validate_hostile", []string{"validate", "testdata/hostile/campaigns/hostile.yaml"}, ExitInvalid},
		{"preview_hostile", []string{"preview", "testdata/hostile/campaigns/hostile.yaml"}, ExitInvalid},
		{"validate_empty", []string{"validate", "testdata/hostile/campaigns/empty.yaml"}, ExitOK},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"--config", cfg}, tc.args...)
			code, stdout, stderr := runCLI(t, args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d", code, tc.code)
			}
			for _, bad := range []string{"\x1b", "\x00", "\x07", "\u202e", "\ufffd"} {
				if strings.Contains(stdout+stderr, bad) {
					t.Errorf("output holds %q", bad)
				}
			}
			got := fmt.Sprintf("$ outreach %s\nexit: %d\n--- stdout\n%s--- stderr\n%s", strings.Join(args, " "), code, stdout, stderr)
			golden.Check(t, filepath.Join("testdata", "golden", "hostile_"+tc.name+".txt"), got)
		})
	}
}
