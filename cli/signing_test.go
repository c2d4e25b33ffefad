package cli

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/platform/webhook"
)

// TestSigningNames: the config's signing schemes are the webhook
// package's, the default first.
func TestSigningNames(t *testing.T) {
	names := []string{config.SigningStandard, config.SigningOutreachV1}
	var schemes []string
	for _, s := range webhook.Schemes {
		schemes = append(schemes, string(s))
	}
	if !slices.Equal(names, schemes) {
		t.Errorf("config names %v, webhook.Schemes %v", names, schemes)
	}
}

// TestDaemonSecretChecked: a daemon refuses, before it connects to
// anything, a secret its signing scheme cannot use, naming the variable
// and the scheme, never quoting the secret.
func TestDaemonSecretChecked(t *testing.T) {
	dir := t.TempDir()
	write := func(name, signing string) string {
		p := filepath.Join(dir, name)
		body := "redis: {addr: \"127.0.0.1:1\"}\nplatform:\n  driver: webhook\n  webhook: {url: \"http://127.0.0.1:1\", secret_env: SIGNING_TEST_SECRET" + signing + "}\naccounts:\n  - {id: alice, tier: free}\n"
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	std, v1 := write("std.yaml", ""), write("v1.yaml", ", signing: outreach-v1")
	good := webhook.EncodeSecret([]byte("0123456789abcdef"))
	for _, c := range []struct {
		cfg, secret, want string
	}{
		{std, "raw-secret-of-old", `SIGNING_TEST_SECRET (platform.webhook.signing standard): webhook: unusable secret: secret 1 of 1: want "whsec_" and base64`},
		{std, good + " " + good + " " + good, "SIGNING_TEST_SECRET (platform.webhook.signing standard): webhook: unusable secret: want one whsec_ secret, or two (old and new)"},
		{std, "", "the webhook secret is not set: export SIGNING_TEST_SECRET"},
		{v1, "", "the webhook secret is not set: export SIGNING_TEST_SECRET"},
	} {
		t.Setenv("SIGNING_TEST_SECRET", c.secret)
		for _, cmd := range []string{"worker", "scheduler"} {
			code, _, stderr := runCLI(t, "--config", c.cfg, cmd)
			if code != ExitError || !strings.Contains(stderr, c.want) {
				t.Errorf("%s %s with %q: exit %d, stderr %q; want exit %d with %q", filepath.Base(c.cfg), cmd, c.secret, code, stderr, ExitError, c.want)
			}
			if c.secret != "" && strings.Contains(stderr, c.secret) {
				t.Errorf("the error quotes the secret: %s", stderr)
			}
		}
	}
	// outreach-v1 takes the raw secret: the daemon gets past it (and fails
	// later, on the Redis of the file, which listens nowhere).
	t.Setenv("SIGNING_TEST_SECRET", "raw-secret-of-old")
	if code, _, stderr := runCLI(t, "--config", v1, "worker"); code != ExitError || strings.Contains(stderr, "secret") {
		t.Errorf("outreach-v1 with a raw secret: exit %d, stderr %q; want a failure that is not the secret's", code, stderr)
	}
}
