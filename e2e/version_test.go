package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

// TestVersionStamped builds the binary the way the README says to stamp a
// release (-ldflags -X .../cli.version=...) and runs `outreach --version`:
// it names that version, the commit the toolchain stamped from the
// checkout (or "unknown" outside one) and the Go version.
func TestVersionStamped(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "outreach")
	build := exec.Command("go", "build", "-ldflags", "-X github.com/outreach-scheduler/outreach/cli.version=v9.9.9-test", "-o", bin, "../cmd/outreach")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatalf("building the binary: %v", err)
	}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	got := string(out)
	re := regexp.MustCompile(`^outreach version v9\.9\.9-test, commit ([0-9a-f]{40}|unknown)( \(modified\))?, go\S+\n$`)
	m := re.FindStringSubmatch(got)
	if m == nil {
		t.Fatalf("--version printed %q", got)
	}
	if !strings.Contains(got, runtime.Version()) {
		t.Errorf("--version printed %q; built with %s", got, runtime.Version())
	}
	if head, err := exec.Command("git", "rev-parse", "HEAD").Output(); err == nil && m[1] != "unknown" && m[1] != strings.TrimSpace(string(head)) {
		t.Errorf("commit %s, the checkout is at %s", m[1], head)
	}
}
