// Package integration_test runs the example integration of this folder
// (Node, with the Standard Webhooks reference library) against outreach's
// webhook driver (what the workers send) and events endpoint (what the
// schedulers take).
package integration_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/platform/webhook"
	"github.com/outreach-scheduler/outreach/wire"
)

// needNode returns the path of node, with the library installed (npm ci
// in this folder). Without them the test is skipped on a developer's
// machine, and fails in CI (CI set), where .ci/run installs both.
func needNode(t *testing.T) string {
	t.Helper()
	missing := func(what string) {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s: .ci/run installs Node (apt: nodejs npm) and runs npm ci in examples/integration", what)
		}
		t.Skipf("%s (install Node 18+ and npm; the test runs npm ci in examples/integration)", what)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node is not installed")
	}
	if _, err := os.Stat("node_modules/standardwebhooks/package.json"); err != nil {
		// The one test command runs every test: install the pinned library
		// (package-lock.json) when npm can.
		npm, err := exec.LookPath("npm")
		if err != nil {
			missing("the npm package standardwebhooks is not installed here, and npm is not installed")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--loglevel=error").CombinedOutput()
		if err != nil {
			missing(fmt.Sprintf("npm ci in examples/integration failed (%v): %.500s", err, out))
		}
	}
	return node
}

// lines collects a process's output lines.
type lines struct {
	mu  sync.Mutex
	all []string
}

func (l *lines) add(s string) { l.mu.Lock(); l.all = append(l.all, s); l.mu.Unlock() }

func (l *lines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.all, "\n")
}

// sink is the events endpoint's record.
type sink struct {
	mu      sync.Mutex
	events  []wire.Event
	refused []string
}

func (s *sink) record(_ context.Context, ev wire.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, ev)
	return nil
}

func (s *sink) reject(_ context.Context, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refused = append(s.refused, reason)
}

func (s *sink) snapshot() ([]wire.Event, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]wire.Event(nil), s.events...), append([]string(nil), s.refused...)
}

// TestNodeIntegration: the example integration verifies with the library
// what the driver sends (two signatures during a rotation, the library
// holding the new secret), refuses a forged action, and signs events that
// outreach's events endpoint takes; an event signed with another secret is
// refused.
func TestNodeIntegration(t *testing.T) {
	node := needNode(t)
	oldRaw, newRaw := []byte("example-integration-old-secret!!"), []byte("example-integration-new-secret!!")
	keys := webhook.StandardKeys(oldRaw, newRaw) // outreach's, mid-rotation

	var got sink
	events := httptest.NewServer(webhook.NewEventsHandler(webhook.EventsOptions{Keys: keys, Record: got.record, OnReject: got.reject}))
	defer events.Close()
	env := append(os.Environ(), "OUTREACH_EVENTS_URL="+events.URL+webhook.EventsPath, "HOST=127.0.0.1", "PORT=0")

	cmd := exec.Command(node, "integration.js")
	cmd.Env = append(env, "OUTREACH_WEBHOOK_SECRET="+webhook.EncodeSecret(newRaw))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var logs lines
	cmd.Stderr = &stderrLines{&logs}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			logs.add(sc.Text())
			if u, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				addr <- u
			}
		}
		close(addr)
	}()
	var base string
	select {
	case u, ok := <-addr:
		if !ok {
			t.Fatalf("the integration stopped before listening:\n%s", logs.String())
		}
		base = u
	case <-time.After(20 * time.Second):
		t.Fatalf("the integration did not listen within 20s:\n%s", logs.String())
	}
	defer func() {
		if t.Failed() {
			t.Logf("the integration's output:\n%s", logs.String())
		}
	}()

	drv, err := webhook.New(webhook.Options{URL: base, Keys: keys, Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	now := time.Now()
	inv := platform.Invite{Action: platform.Action{Key: "spring/1u5l5vqvwqikw/connect", Account: "alice", Person: "https://example.com/in/zoë", Campaign: "spring", At: now},
		Variant: "short", Note: "Hi Zoë, 100% worth a chat"}
	if err := drv.Invite(ctx, inv); err != nil {
		t.Fatalf("invite: %v", err)
	}
	if err := drv.Invite(ctx, inv); err != nil { // a retry of the same key: answered alike
		t.Fatalf("invite repeated: %v", err)
	}
	if err := drv.Follow(ctx, platform.Action{Key: "spring/1u5l5vqvwqikw/follow", Account: "alice", Person: inv.Person, At: now}); err != nil {
		t.Fatalf("follow: %v", err)
	}
	if err := drv.Message(ctx, platform.Message{Action: platform.Action{Key: "spring/1u5l5vqvwqikw/message1", Account: "alice", Person: inv.Person, At: now}, Text: "Thanks!"}); err != nil {
		t.Fatalf("message: %v", err)
	}

	// Forged: another secret, or outreach's own secret in outreach-v1.
	forged, _ := webhook.New(webhook.Options{URL: base, Keys: webhook.StandardKeys([]byte("a-forger-s-secret-of-32-bytes!!!")), Retries: -1})
	if err := forged.Follow(ctx, platform.Action{Key: "forged/1/follow", Account: "alice", Person: "p", At: now}); platform.CodeOf(err) != platform.CodeUnauthorized {
		t.Errorf("a forged action: %v, want unauthorized (401)", err)
	}
	v1, _ := webhook.New(webhook.Options{URL: base, Keys: webhook.OutreachV1Keys(newRaw), Retries: -1})
	if err := v1.Follow(ctx, platform.Action{Key: "v1/1/follow", Account: "alice", Person: "p", At: now}); platform.CodeOf(err) != platform.CodeUnauthorized {
		t.Errorf("an outreach-v1 action: %v, want unauthorized (401)", err)
	}

	// The invitation's answer, signed by the library, taken by outreach.
	deadline := time.Now().Add(10 * time.Second)
	for {
		evs, _ := got.snapshot()
		if len(evs) > 0 {
			if len(evs) != 1 || evs[0].Type != platform.EventAccepted || evs[0].Key != inv.Key || evs[0].Account != "alice" || evs[0].Person != inv.Person {
				t.Errorf("events taken: %+v, want one accepted for %s", evs, inv.Key)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no event taken within 10s")
		}
		time.Sleep(50 * time.Millisecond)
	}

	// send-event.js: with the secret, taken; with another, refused.
	sendEvent := func(secret []byte, args ...string) (int, string) {
		c := exec.Command(node, append([]string{"send-event.js"}, args...)...)
		c.Env = append(env, "OUTREACH_WEBHOOK_SECRET="+webhook.EncodeSecret(secret))
		b, err := c.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return code, string(b)
	}
	if code, msg := sendEvent(oldRaw, "declined", "bob", "https://example.com/in/ann", "spring/2x/connect"); code != 0 || !strings.Contains(msg, "HTTP 204") {
		t.Errorf("an event signed with the old secret: exit %d %q, want HTTP 204", code, msg)
	}
	if code, msg := sendEvent([]byte("a-forger-s-secret-of-32-bytes!!!"), "accepted", "bob", "https://example.com/in/ann", "spring/3x/connect"); code != 1 || !strings.Contains(msg, "HTTP 401") || !strings.Contains(msg, `"reason":"signature"`) {
		t.Errorf("a forged event: exit %d %q, want HTTP 401 signature", code, msg)
	}
	evs, refused := got.snapshot()
	if len(evs) != 2 || evs[1].Type != platform.EventDeclined || evs[1].Key != "spring/2x/connect" {
		t.Errorf("events taken: %+v", evs)
	}
	if len(refused) != 1 || refused[0] != webhook.ReasonSignature {
		t.Errorf("events refused: %v, want [signature]", refused)
	}
	log := logs.String()
	for _, want := range []string{
		"action invite spring/1u5l5vqvwqikw/connect done", "action invite spring/1u5l5vqvwqikw/connect repeated",
		"action follow spring/1u5l5vqvwqikw/follow done", "action message spring/1u5l5vqvwqikw/message1 done",
		"refused follow: No matching signature found", "refused follow: Missing required headers",
		"event accepted spring/1u5l5vqvwqikw/connect: HTTP 204",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("the integration did not log %q", want)
		}
	}
}

// stderrLines adds a process's stderr to lines.
type stderrLines struct{ l *lines }

func (w *stderrLines) Write(p []byte) (int, error) {
	for _, s := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		w.l.add("stderr: " + s)
	}
	return len(p), nil
}

var _ io.Writer = (*stderrLines)(nil)
