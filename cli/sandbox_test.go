package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/platform/sandbox/server"
	"github.com/outreach-scheduler/outreach/platform/webhook"
)

// lockedBuffer is a bytes.Buffer safe for concurrent use.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startSandbox runs `outreach sandbox` on a free port until the test ends
// and returns its base URL, its stderr and a function that stops it and
// returns the exit code.
func startSandbox(t *testing.T, now time.Time, args ...string) (string, *lockedBuffer, func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	var out, errb lockedBuffer
	done := make(chan int, 1)
	g := &globals{stdout: &out, stderr: pw, now: func() time.Time { return now }}
	go func() {
		done <- execute(ctx, g, append([]string{"--config", "testdata/ws/config.yaml", "sandbox", "--listen", "127.0.0.1:0"}, args...))
		pw.Close()
	}()
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			errb.Write([]byte(line + "\n"))
			if _, a, ok := strings.Cut(line, "addr="); ok && strings.Contains(line, "msg=listening") {
				addr <- strings.Fields(a)[0]
			}
		}
		close(addr)
	}()
	var code *int
	stop := func() int {
		if code == nil {
			cancel()
			c := <-done
			code = &c
		}
		return *code
	}
	t.Cleanup(func() { stop() })
	base, ok := <-addr
	if !ok {
		t.Fatalf("sandbox did not start: exit %d\n%s", stop(), errb.String())
	}
	return base, &errb, stop
}

// sandboxRaw is the raw key of the secret TestSandboxCommand gives the
// sandbox, as whsec_ (sandboxSecret).
var (
	sandboxRaw    = []byte("sandbox-test-secret-0123456789ab")
	sandboxSecret = webhook.EncodeSecret(sandboxRaw)
)

func TestSandboxCommand(t *testing.T) {
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	t.Setenv("SANDBOX_TEST_SECRET", sandboxSecret)
	base, errb, stop := startSandbox(t, now, "--secret-env", "SANDBOX_TEST_SECRET")

	d, err := webhook.New(webhook.Options{URL: base, Keys: webhook.StandardKeys(sandboxRaw), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	inv := platform.Invite{Action: platform.Action{Key: "k1", Account: "alice", Person: "https://example.com/in/ann", At: now}, Note: "secret note text"}
	if err := d.Invite(t.Context(), inv); err != nil {
		t.Fatal(err)
	}
	inv.Key = "k2"
	if err := d.Invite(t.Context(), inv); platform.CodeOf(err) != platform.CodeDuplicate {
		t.Fatalf("second invitation: %v, want duplicate", err)
	}
	// bob is on the free tier: 200-character notes.
	long := platform.Invite{Action: platform.Action{Key: "k3", Account: "bob", Person: "p", At: now}, Note: strings.Repeat("x", 201)}
	if err := d.Invite(t.Context(), long); platform.CodeOf(err) != platform.CodeNoteTooLong {
		t.Fatalf("long note from bob: %v, want note_too_long", err)
	}
	bad, _ := webhook.New(webhook.Options{URL: base, Keys: webhook.StandardKeys([]byte("wrong")), Retries: -1})
	if err := bad.Follow(t.Context(), platform.Action{Key: "f", Account: "alice", Person: "p", At: now}); platform.CodeOf(err) != platform.CodeUnauthorized || !platform.IsNotPerformed(err) {
		t.Fatalf("wrong secret: %v, want unauthorized, not performed", err)
	}

	resp, err := http.Get(base + "/v1/invitations")
	if err != nil {
		t.Fatal(err)
	}
	var got server.Invitations
	err = json.NewDecoder(resp.Body).Decode(&got)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Requests) != 3 || len(got.Violations) != 2 || got.Violations[0].Refused != platform.CodeDuplicate {
		t.Errorf("invitations = %+v", got)
	}
	if code := stop(); code != ExitOK {
		t.Errorf("exit %d after cancel, want 0\n%s", code, errb.String())
	}
	log := errb.String()
	for _, secret := range []string{"secret note text", "example.com/in/ann", sandboxSecret, string(sandboxRaw)} {
		if strings.Contains(log, secret) {
			t.Errorf("the log shows %q:\n%s", secret, log)
		}
	}
	if !strings.Contains(log, "component=sandbox") || !strings.Contains(log, "result=duplicate") || !strings.Contains(log, "bad signature") ||
		!strings.Contains(log, "signing=standard") {
		t.Errorf("log:\n%s", log)
	}
}

// TestSandboxOutreachV1: --signing outreach-v1 takes a raw secret and
// verifies the X-Outreach headers; a standard driver is refused.
func TestSandboxOutreachV1(t *testing.T) {
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	t.Setenv("SANDBOX_TEST_SECRET", "raw s3cret")
	base, _, _ := startSandbox(t, now, "--secret-env", "SANDBOX_TEST_SECRET", "--signing", "outreach-v1")
	v1, _ := webhook.New(webhook.Options{URL: base, Keys: webhook.OutreachV1Keys([]byte("raw s3cret")), Now: func() time.Time { return now }})
	if err := v1.Follow(t.Context(), platform.Action{Key: "f1", Account: "alice", Person: "p", At: now}); err != nil {
		t.Fatalf("outreach-v1 follow: %v", err)
	}
	std, _ := webhook.New(webhook.Options{URL: base, Keys: webhook.StandardKeys([]byte("raw s3cret")), Now: func() time.Time { return now }, Retries: -1})
	if err := std.Follow(t.Context(), platform.Action{Key: "f2", Account: "alice", Person: "p", At: now}); platform.CodeOf(err) != platform.CodeUnauthorized {
		t.Fatalf("standard follow to an outreach-v1 sandbox: %v, want unauthorized", err)
	}
}

func TestSandboxUnsigned(t *testing.T) {
	t.Setenv("SANDBOX_TEST_SECRET", "")
	base, errb, _ := startSandbox(t, time.Now(), "--secret-env", "SANDBOX_TEST_SECRET")
	if !strings.Contains(errb.String(), "no secret") {
		t.Errorf("no warning about the missing secret:\n%s", errb.String())
	}
	body := `{"key":"k","account":"alice","person":"p","at":"2026-11-23T09:00:00Z"}`
	resp, err := http.Post(base+"/v1/actions/follow", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Errorf("unsigned follow: HTTP %d, want 204", resp.StatusCode)
	}
}

func TestSandboxErrors(t *testing.T) {
	t.Setenv("SANDBOX_RAW_SECRET", "raw-secret-of-old")
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--config", "testdata/absent.yaml", "sandbox"}, ExitError, "absent.yaml"},
		{[]string{"--config", "testdata/bad-config.yaml", "sandbox"}, ExitInvalid, "unknown tier"},
		{[]string{"--config", "testdata/ws/config.yaml", "sandbox", "--listen", "256.0.0.1:x"}, ExitError, "sandbox:"},
		{[]string{"--config", "testdata/ws/config.yaml", "sandbox", "extra"}, ExitError, "unknown command"},
		{[]string{"--config", "testdata/ws/config.yaml", "sandbox", "--signing", "hmac"}, ExitError, `--signing: webhook: unknown signing scheme "hmac"`},
		{[]string{"--config", "testdata/ws/config.yaml", "sandbox", "--secret-env", "SANDBOX_RAW_SECRET"}, ExitError,
			`SANDBOX_RAW_SECRET (signing standard): webhook: unusable secret: secret 1 of 1: want "whsec_" and base64`},
	} {
		code, _, stderr := runCLI(t, c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d mentioning %q", c.args, code, stderr, c.code, c.want)
		}
	}
}
