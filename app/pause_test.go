package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/internal/redistest"
	"github.com/outreach-scheduler/outreach/ledger"
	"github.com/outreach-scheduler/outreach/metrics"
	"github.com/outreach-scheduler/outreach/platform/sandbox"
	"github.com/outreach-scheduler/outreach/platform/sandbox/server"
	"github.com/outreach-scheduler/outreach/platform/webhook"
	"github.com/outreach-scheduler/outreach/wire"
)

// pauseGrace is how long after a pause is recorded an action that passed
// the worker's check just before may still reach the platform (in flight).
const pauseGrace = 500 * time.Millisecond

// TestPauseEndToEnd runs the scheduler and worker daemons on a real Redis
// against the sandbox server over HTTP (the referee), with two campaigns
// sharing account alice: a (alice, bob) and b (alice).
//
//   - Campaign a is paused while its invitations are queued (the leader
//     plans two minutes ahead): the platform receives nothing of a's from
//     the pause on, while b goes on on the same account; resumed, a
//     continues, and every person is invited at most once.
//   - Account bob is paused for 4s (--for): nothing of bob's reaches the
//     platform meanwhile, outreach_account_paused{bob,reason=manual} reads
//     1; bob resumes by itself, the ledger recording the resume (expired).
//   - Throughout: no account's invitations closer than its minimum gap.
func TestPauseEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: about 30s")
	}
	rs := redistest.Start(t)
	cfg, camps := loadCampaigns(t, t.TempDir(), map[string]string{
		"a.csv": peopleCSV(300, "a", "A"), "b.csv": peopleCSV(300, "b", "B"),
		"config.yaml": fmt.Sprintf(`
redis: {addr: %s}
platform:
  sandbox: {accept_rate: 0, decline_rate: 0}
defaults:
  min_gap: 1s
  jitter: 0
  days: [mon, tue, wed, thu, fri, sat, sun]
  hours: "00:00-24:00"
accounts:
  - {id: alice, tier: premium, limits: {weekly: 1000000, daily: 500000}}
  - {id: bob, tier: premium, limits: {weekly: 1000000, daily: 500000}}
campaigns: [a.yaml, b.yaml]
`, rs.Addr()),
		"a.yaml": "name: a\naccounts: [alice, bob]\nprospects: {csv: a.csv}\nsteps:\n  - connect: {}\n",
		"b.yaml": "name: b\naccounts: [alice]\nprospects: {csv: b.csv}\nsteps:\n  - connect: {}\n",
	}, "a.yaml", "b.yaml")
	sbOpt, err := sandbox.OptionsFromConfig(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	model := sandbox.New(sbOpt)
	hs := httptest.NewServer(server.New(model, server.Options{Keys: webhook.StandardKeys([]byte(integrationSecret))}))
	defer hs.Close()
	cfg.Platform = config.Platform{Driver: config.DriverWebhook, Webhook: &config.Webhook{URL: hs.URL, Timeout: 2 * time.Second}}
	cfg.Metrics.Listen = "" // the test reads the worker's registry
	var wlogs, slogs syncBuffer
	reg, stop := runDaemonsOf(t, cfg, camps,
		slog.New(slog.NewTextHandler(&wlogs, &slog.HandlerOptions{Level: slog.LevelInfo})),
		slog.New(slog.NewTextHandler(&slogs, &slog.HandlerOptions{Level: slog.LevelInfo})))
	defer stop()
	defer func() {
		if t.Failed() {
			t.Logf("worker log:\n%s\nscheduler log:\n%s", wlogs.String(), slogs.String())
		}
	}()
	ctx := context.Background()
	count := func(from, to time.Time, match func(sandbox.Entry) bool) int {
		n := 0
		for _, e := range model.Record() {
			if e.Op == sandbox.OpInvite && !e.Repeat && !e.At.Before(from) && e.At.Before(to) && match(e) {
				n++
			}
		}
		return n
	}
	campaign := func(name string) func(sandbox.Entry) bool {
		return func(e sandbox.Entry) bool { return e.Campaign == name }
	}
	account := func(id string) func(sandbox.Entry) bool {
		return func(e sandbox.Entry) bool { return e.Account == id }
	}
	ever := time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	waitUntil(t, 60*time.Second, "the first invitations of a and b", func() bool {
		return count(time.Time{}, ever, campaign("a")) >= 3 && count(time.Time{}, ever, campaign("b")) >= 2
	})

	// Pause campaign a.
	pausedAt := time.Now().UTC()
	if res, err := Pause(ctx, cfg, wire.Command{At: pausedAt, Campaign: "a", Reason: "typo in the note", By: "test@host", Source: ledger.SourceCommand}); err != nil || res.Prev != nil {
		t.Fatalf("Pause: %+v, %v", res, err)
	}
	if res, err := Pause(ctx, cfg, wire.Command{At: pausedAt, Campaign: "a", Source: ledger.SourceCommand}); err != nil || res.Prev == nil || res.Prev.Reason != "typo in the note" {
		t.Fatalf("second Pause: %+v, %v; want the first back", res, err)
	}
	bBefore := count(time.Time{}, ever, campaign("b"))
	waitUntil(t, 30*time.Second, "b goes on during a's pause", func() bool { return count(time.Time{}, ever, campaign("b")) >= bBefore+4 })
	time.Sleep(2 * time.Second)
	if n := count(pausedAt.Add(pauseGrace), ever, campaign("a")); n != 0 {
		t.Errorf("%d invitations of a reached the platform during its pause", n)
	}
	if _, err := Resume(ctx, cfg, wire.Command{At: time.Now().UTC(), Campaign: "a", By: "test@host", Source: ledger.SourceCommand}); err != nil {
		t.Fatal(err)
	}
	if _, err := Resume(ctx, cfg, wire.Command{At: time.Now().UTC(), Campaign: "a"}); err != ErrNotPaused {
		t.Errorf("second Resume: %v, want ErrNotPaused", err)
	}
	resumedAt := time.Now().UTC()
	waitUntil(t, 30*time.Second, "a continues after its resume", func() bool { return count(resumedAt, ever, campaign("a")) >= 3 })

	// Pause account bob for 4s.
	bobAt := time.Now().UTC()
	until := bobAt.Add(4 * time.Second)
	if _, err := Pause(ctx, cfg, wire.Command{At: bobAt, Account: "bob", Until: until, Source: ledger.SourceCommand}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 10*time.Second, "outreach_account_paused{bob,manual} at 1", func() bool {
		return metricValue(t, reg, metrics.AccountPaused, map[string]string{"account": "bob", "reason": "manual"}) == 1
	})
	waitUntil(t, 30*time.Second, "bob resumes by himself", func() bool { return count(until, ever, account("bob")) >= 2 })
	if n := count(bobAt.Add(pauseGrace), until, account("bob")); n != 0 {
		t.Errorf("%d invitations of bob's during his pause", n)
	}
	if n := count(bobAt.Add(pauseGrace), until, account("alice")); n == 0 {
		t.Error("alice sent nothing during bob's pause")
	}
	stop()

	// The referee's record: every person invited once, each account's
	// invitations at least its minimum gap apart.
	last := map[string]time.Time{}
	seen := map[string]bool{}
	for _, e := range model.Record() {
		if e.Op != sandbox.OpInvite || e.Repeat || e.Refused != "" {
			continue
		}
		if seen[e.Person] {
			t.Errorf("%s invited twice", e.Person)
		}
		seen[e.Person] = true
		if p, ok := last[e.Account]; ok && e.At.Sub(p) < time.Second-50*time.Millisecond {
			t.Errorf("%s: invitations %s apart at %s (min gap 1s)", e.Account, e.At.Sub(p), e.At)
		}
		last[e.Account] = e.At
	}
	if v := model.Violations(); len(v) > 0 {
		t.Errorf("the platform refused %d requests, first %+v", len(v), v[0])
	}
	// The audit trail.
	var trail []string
	eachEntry(t, rs, func(e ledger.Entry) {
		if c := e.Command; c != nil {
			trail = append(trail, fmt.Sprintf("%s %s%s %s", c.Kind, c.Campaign, c.Account, c.Source))
		}
	})
	want := "pause a command|resume a command|pause bob command|resume bob expired"
	if got := strings.Join(trail, "|"); got != want {
		t.Errorf("audit trail %q, want %q", got, want)
	}
	held := 0
	eachEntry(t, rs, func(e ledger.Entry) {
		if e.Outcome != nil && e.Outcome.Denial == "held" {
			held++
		}
	})
	if held == 0 {
		t.Error("no task was handed back: the pause met no queued task (the test does not take the worker's path)")
	}
	t.Logf("handed back %d tasks; a: %d invitations, b: %d", held, count(time.Time{}, ever, campaign("a")), count(time.Time{}, ever, campaign("b")))
}
