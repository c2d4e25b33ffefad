package app

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/internal/redistest"
	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/platform/sandbox"
	"github.com/outreach-scheduler/outreach/platform/sandbox/server"
	"github.com/outreach-scheduler/outreach/platform/webhook"
	"github.com/outreach-scheduler/outreach/wire"
)

// evWaitFor polls cond every 50ms until it holds or within passes.
func evWaitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", within, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// evRequests returns the sandbox's record of op requests naming person.
func evRequests(m *sandbox.Model, op sandbox.Op, person string) []sandbox.Entry {
	var out []sandbox.Entry
	for _, e := range m.Record() {
		if e.Op == op && e.Person == person {
			out = append(out, e)
		}
	}
	return out
}

// TestForgedAcceptanceSendsNothing is the example of issue 12: a signed
// "accepted" naming a pending person with a key of no invitation (or of
// another account's) used to accept the invitation, and the follow-up
// message went out, refused by the platform (not_connected). The daemons
// run on a real Redis against `outreach sandbox`'s server over HTTP, the
// sandbox accepting every invitation within a second, but its answers
// held back: the forged events are refused (422), and the sandbox's own
// record shows no message to the person. Then the sandbox's genuine
// answers are pushed: the message goes out, so the pipeline the forged
// events were refused from works. No log line at INFO or above names a
// person or carries a note.
func TestForgedAcceptanceSendsNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the daemons")
	}
	rs := redistest.Start(t)
	const ann, bo = "https://example.com/in/ann", "https://example.com/in/bo"
	cfg, camp := loadWorkspace(t, t.TempDir(), map[string]string{
		"p.csv": "profile_url,first_name\n" + ann + ",Ann\n" + bo + ",Bo\n",
		"config.yaml": `
redis: {addr: "` + rs.Addr() + `"}
platform:
  sandbox: {accept_rate: 1, decline_rate: 0}
defaults:
  min_gap: 1s
  jitter: 0
  days: [mon, tue, wed, thu, fri, sat, sun]
  hours: "00:00-24:00"
accounts:
  - {id: alice, tier: premium, limits: {weekly: 1000000, daily: 500000}}
  - {id: bob, tier: premium, limits: {weekly: 1000000, daily: 500000}}
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
          - name: hi
            text: "Hi {{.first_name}}, great to meet you at the summit."
  - message:
      wait: 1s
      text: "Thanks for connecting, {{.first_name}}!"
`,
	})
	rig := startWebhookRig(t, cfg, camp, false, "great to meet you", "thanks for connecting")
	model, srv, eventsURL, logs, ctx := rig.model, rig.srv, rig.eventsURL, rig.logs, rig.ctx

	evWaitFor(t, 60*time.Second, "both invited", func() bool {
		return len(evRequests(model, sandbox.OpInvite, ann)) > 0 && len(evRequests(model, sandbox.OpInvite, bo)) > 0
	})
	annKey := evRequests(model, sandbox.OpInvite, ann)[0].Key
	now := time.Now()
	for _, c := range []struct {
		name, account, key, reason string
	}{
		{"a key of no invitation", "alice", "c/forged/connect", webhook.ReasonUnknownKey},
		{"ann's key from another account", "bob", annKey, webhook.ReasonKeyMismatch},
		{"bo's key for ann", "alice", evRequests(model, sandbox.OpInvite, bo)[0].Key, webhook.ReasonKeyMismatch},
	} {
		ev := wire.Event{Type: platform.EventAccepted, Account: c.account, Person: ann, Key: c.key, At: now}
		status, er := signedEvent(t, ev, now, evSecret).post(t, eventsURL)
		if status != 422 || er.Reason != c.reason {
			t.Errorf("%s: HTTP %d %+v; want 422 %s", c.name, status, er, c.reason)
		}
	}
	// Long enough for a message planned 1s after an acceptance to go out
	// (several planning ticks and worker polls).
	time.Sleep(5 * time.Second)
	if ms := evRequests(model, sandbox.OpMessage, ann); len(ms) > 0 {
		t.Fatalf("forged acceptances made outreach message ann: %+v", ms)
	}
	for _, ev := range evEvents(t, rs.Client()) {
		if ev.Person == ann {
			t.Errorf("the ledger took a forged event: %+v", ev)
		}
	}

	// The sandbox's genuine answers: ann accepts, and the message follows.
	evWaitFor(t, 30*time.Second, "the sandbox's answers pushed", func() bool {
		n, err := srv.Flush(ctx, time.Now())
		return err == nil && n > 0 && len(evEvents(t, rs.Client())) >= 2
	})
	evWaitFor(t, 60*time.Second, "the message to ann after her acceptance", func() bool {
		for _, m := range evRequests(model, sandbox.OpMessage, ann) {
			if m.Refused == "" {
				return true
			}
		}
		return false
	})
	for _, m := range append(evRequests(model, sandbox.OpMessage, ann), evRequests(model, sandbox.OpMessage, bo)...) {
		if m.Refused != "" {
			t.Errorf("a message refused by the platform: %+v", m)
		}
	}
	if v := model.Violations(); len(v) > 0 {
		t.Errorf("the sandbox refused %d requests: %+v", len(v), v)
	}
	if !strings.Contains(logs.String(), "event refused") {
		t.Error("no WARN line for the refused events")
	}
}

// webhookRig is a scheduler and a worker daemon on one Redis against the
// sandbox server over HTTP, with the webhook driver and the events
// endpoint signed with evSecret: the production setup in one test.
type webhookRig struct {
	model     *sandbox.Model
	srv       *server.Server
	eventsURL string
	schedReg  *prometheus.Registry // the scheduler's metrics
	logs      *evLogs
	ctx       context.Context // ends when the test does
}

// startWebhookRig starts the rig for cfg (its redis section set) and
// camp; the sandbox answers within a second. With push, the sandbox
// server pushes its answers to the events endpoint every 200ms. At the
// test's end the daemons stop, and their logs must hold none of private
// (nor any profile URL).
func startWebhookRig(t *testing.T, cfg *config.Config, camp *campaigns.Campaign, push bool, private ...string) *webhookRig {
	t.Helper()
	sbOpt, err := sandbox.OptionsFromConfig(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	sbOpt.Delays = []sandbox.DelayPoint{{Within: time.Second, Share: 1}}
	r := &webhookRig{model: sandbox.New(sbOpt), logs: &evLogs{}, schedReg: prometheus.NewRegistry()}
	listen := evFreeAddr(t)
	r.eventsURL = "http://" + listen + webhook.EventsPath
	r.srv = server.New(r.model, server.Options{Keys: webhook.StandardKeys(evSecret), EventsURL: r.eventsURL})
	hs := httptest.NewServer(r.srv)
	t.Cleanup(hs.Close)
	cfg.Platform = config.Platform{Driver: config.DriverWebhook, Webhook: &config.Webhook{URL: hs.URL, Timeout: 5 * time.Second}}

	ctx, cancel := context.WithCancel(context.Background())
	r.ctx = ctx
	opt := DaemonOptions{Config: cfg, Campaigns: []*campaigns.Campaign{camp}, Keys: webhook.StandardKeys(evSecret), Logger: r.logs.logger(),
		PlanSpec: "@every 1s", Listen: listen, Concurrency: 2, LeaseTTL: 3 * time.Second}
	so, wo := opt, opt
	so.ID, so.Registry = "scheduler", r.schedReg
	wo.ID, wo.Registry = "worker", prometheus.NewRegistry()
	done := make(chan error, 3)
	n := 2
	go func() { done <- RunScheduler(ctx, so) }()
	go func() { done <- RunWorker(ctx, wo) }()
	if push {
		n++
		go func() {
			for ctx.Err() == nil {
				r.srv.Flush(ctx, time.Now())
				time.Sleep(200 * time.Millisecond)
			}
			done <- nil
		}()
	}
	t.Cleanup(func() {
		cancel()
		for range n {
			if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
				t.Error(err)
			}
		}
		r.logs.check(t, 2048, append([]string{"example.com/in/"}, private...)...)
		if t.Failed() {
			t.Logf("logs:\n%s", r.logs.String())
		}
	})
	return r
}
