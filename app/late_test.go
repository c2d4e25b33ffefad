package app

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/internal/redistest"
	"github.com/outreach-scheduler/outreach/ledger"
	"github.com/outreach-scheduler/outreach/pacing"
	"github.com/outreach-scheduler/outreach/platform/sandbox"
	schedulerdaemon "github.com/outreach-scheduler/outreach/scheduler/daemon"
	"github.com/outreach-scheduler/outreach/wire"
	"github.com/outreach-scheduler/outreach/worker"
	workerdaemon "github.com/outreach-scheduler/outreach/worker/daemon"
)

// jumpClock is real time shifted by an offset the test moves forward: the
// planner, the worker and the platform read it; asynq counts its delays on
// its own (the leader enqueues each task due in At - now). The offset is
// whole seconds: asynq schedules to the second (a task due at 09:00:00.4
// may start at 09:00:00.0), so a fractional offset would let a task due at
// the opening of a working period start before it.
type jumpClock struct {
	mu  sync.Mutex
	off time.Duration
}

func newJumpClock(at time.Time) *jumpClock { return &jumpClock{off: time.Until(at).Round(time.Second)} }

func (c *jumpClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off).UTC()
}

// set moves the clock to at.
func (c *jumpClock) set(at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.off = time.Until(at).Round(time.Second)
}

// loadCampaigns writes files into dir and loads config.yaml and every
// campaign named, failing on any finding.
func loadCampaigns(tb testing.TB, dir string, files map[string]string, names ...string) (*config.Config, []*campaigns.Campaign) {
	tb.Helper()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	cfg, fs, err := config.Load(filepath.Join(dir, "config.yaml"))
	if err != nil || fs.HasErrors() {
		tb.Fatal(err, fs.Strings())
	}
	var cs []*campaigns.Campaign
	for _, n := range names {
		c, fs, err := campaigns.Load(filepath.Join(dir, n), cfg)
		if err != nil || fs.HasErrors() {
			tb.Fatal(err, fs.Strings())
		}
		cs = append(cs, c)
	}
	return cfg, cs
}

// pollUntil polls cond every 100ms until it holds or the deadline passes.
func pollUntil(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(d); !cond(); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", d, what)
		}
	}
}

// lateOutcomes counts the ledger's hand-backs (Denied, pacing.DenyHours)
// by kind, and the people they name.
func lateOutcomes(t *testing.T, led *ledger.Ledger) (map[wire.Kind]int, map[wire.Kind]map[string]string) {
	t.Helper()
	es, err := led.Read(context.Background(), "0", 100000, 0)
	if err != nil {
		t.Fatal(err)
	}
	n, who := map[wire.Kind]int{}, map[wire.Kind]map[string]string{}
	for _, e := range es {
		if e.Task != nil && e.Outcome.Kind == wire.Denied && e.Outcome.Denial == pacing.DenyHours {
			n[e.Task.Kind]++
			if who[e.Task.Kind] == nil {
				who[e.Task.Kind] = map[string]string{}
			}
			who[e.Task.Kind][e.Task.Person] = e.Task.Key
		}
	}
	return n, who
}

// TestLateTasksHandedBackOnRedis: the leader plans the last seconds of
// Monday's working period (09:00-18:00 UTC) while the workers are down;
// they come back at 18:10. On a real Redis, with the real asynq worker and
// the sandbox platform, each late task is handed back (recorded in the
// ledger, nothing reserved, nothing sent) and planned again on Tuesday
// from 09:00: the invitations under a new key, the follows under the same
// key (the leader replaces the handed-back task in the queue). The
// platform's record shows nothing outside working hours and every late
// task's person served once on Tuesday.
func TestLateTasksHandedBackOnRedis(t *testing.T) {
	rs := redistest.Start(t)
	ctx := context.Background()
	monday := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	clock := newJumpClock(monday.Add(17*time.Hour + 59*time.Minute + 55*time.Second))
	cfg, camps := loadCampaigns(t, t.TempDir(), map[string]string{
		"a.csv": peopleCSV(30, "a", "A"), "b.csv": peopleCSV(30, "b", "B"),
		"config.yaml": fmt.Sprintf(`
redis: {addr: %s}
platform:
  sandbox: {accept_rate: 0, decline_rate: 0}
defaults:
  min_gap: 1s
  jitter: 0
  days: [mon, tue, wed, thu, fri]
  hours: "09:00-18:00"
accounts:
  - {id: alice, tier: premium, limits: {weekly: 100000, daily: 50000}}
  - {id: bob, tier: premium, limits: {weekly: 100000, daily: 50000}}
campaigns: [a.yaml, b.yaml]
`, rs.Addr()),
		"a.yaml": "name: a\naccounts: [alice]\nprospects: {csv: a.csv}\nsteps:\n  - connect: {}\n",
		"b.yaml": "name: b\naccounts: [bob]\nprospects: {csv: b.csv}\nsteps:\n  - follow: {}\n    wait: 1s\n  - connect: {}\n",
	}, "a.yaml", "b.yaml")

	rdb := rs.Client()
	led := ledger.New(rdb, "")
	redisOpt := asynq.RedisClientOpt{Addr: rs.Addr()}
	client := asynq.NewClient(redisOpt)
	defer client.Close()
	insp := asynq.NewInspector(redisOpt)
	defer insp.Close()
	log := slog.New(slog.DiscardHandler)
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	p, err := schedulerdaemon.NewLeader(schedulerdaemon.LeaderOptions{
		Config: cfg, Campaigns: camps, Now: clock.Now, Logger: log, Ledger: led, Client: client, Inspector: insp,
		PlanSpec: "@every 1s", Horizon: 10 * time.Second, Seed: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	lctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- p.Run(lctx) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()

	// Monday 17:59:55: the first plan covers the last five seconds.
	queued := func() int {
		qi, err := insp.GetQueueInfo(wire.QueueName)
		if err != nil {
			return 0
		}
		return qi.Pending + qi.Scheduled
	}
	pollUntil(t, 20*time.Second, "nothing planned before the end of Monday's working hours", func() bool { return queued() >= 6 })
	planned := queued()

	// The workers come back at 18:10, the backlog due at once.
	clock.set(monday.Add(18*time.Hour + 10*time.Minute))
	if _, err := insp.RunAllScheduledTasks(wire.QueueName); err != nil {
		t.Fatal(err)
	}
	sbOpt, err := sandbox.OptionsFromConfig(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	model := sandbox.New(sbOpt)
	lim, err := pacing.NewRedisLimiter(rdb)
	if err != nil {
		t.Fatal(err)
	}
	srv := workerdaemon.NewServer(redisOpt, 4, log)
	h := &workerdaemon.Handler{Deliver: &worker.Deliverer{Limiter: lim, Platform: model, Rules: worker.ConfigRules(cfg), RestrictionPause: time.Hour},
		Ledger: led, Now: clock.Now, Log: log}
	if err := srv.Start(h); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	pollUntil(t, 30*time.Second, "the workers did not take the backlog", func() bool {
		es, err := led.Read(ctx, "0", 100000, 0)
		return err == nil && len(es) >= planned
	})
	if rec := model.Record(); len(rec) != 0 {
		t.Fatalf("the platform got %d requests after the end of working hours, first %s of %s at %s",
			len(rec), rec[0].Op, rec[0].Person, rec[0].At)
	}
	late, who := lateOutcomes(t, led)
	if late[wire.KindInvite] == 0 || late[wire.KindFollow] == 0 || late[wire.KindInvite]+late[wire.KindFollow] != planned {
		t.Fatalf("handed back %v of %d tasks; want every invitation and follow", late, planned)
	}
	u, err := lim.Usage(ctx, "alice", clock.Now(), pacing.Rules{Weekly: 100000, Daily: 50000,
		DayStart: monday, DayEnd: monday.AddDate(0, 0, 1), NotesPerMonth: pacing.Unlimited})
	if err != nil || u.Week != 0 {
		t.Fatalf("alice's limiter counts %d sends (%v) after the hand-backs, want 0: nothing may be reserved", u.Week, err)
	}

	// Tuesday 08:59:58: planned again from 09:00.
	clock.set(monday.AddDate(0, 0, 1).Add(9*time.Hour - 2*time.Second))
	served := func(op sandbox.Op, people map[string]string) (int, []sandbox.Entry) {
		n := 0
		var keys []sandbox.Entry
		for _, e := range model.Record() {
			if _, ok := people[e.Person]; ok && e.Op == op && e.Refused == "" && !e.Repeat {
				n++
				keys = append(keys, e)
			}
		}
		return n, keys
	}
	pollUntil(t, 60*time.Second, "the late tasks were not sent again on Tuesday", func() bool {
		ni, _ := served(sandbox.OpInvite, who[wire.KindInvite])
		nf, _ := served(sandbox.OpFollow, who[wire.KindFollow])
		return ni >= len(who[wire.KindInvite]) && nf >= len(who[wire.KindFollow])
	})
	time.Sleep(time.Second) // let any duplicate show
	tuesday := monday.AddDate(0, 0, 1)
	perPerson := map[string]int{}
	for _, e := range model.Record() {
		if e.Refused != "" || e.Repeat {
			continue
		}
		if e.At.Before(tuesday.Add(9*time.Hour)) || !e.At.Before(tuesday.Add(18*time.Hour)) {
			t.Errorf("%s of %s at %s: outside working hours", e.Op, e.Person, e.At)
		}
		perPerson[string(e.Op)+" "+e.Person]++
	}
	for k, n := range perPerson {
		if n > 1 {
			t.Errorf("%s: %d times", k, n)
		}
	}
	_, follows := served(sandbox.OpFollow, who[wire.KindFollow])
	for _, e := range follows {
		if e.Key != who[wire.KindFollow][e.Person] {
			t.Errorf("%s followed under %s, want the handed-back key %s", e.Person, e.Key, who[wire.KindFollow][e.Person])
		}
	}
	_, invites := served(sandbox.OpInvite, who[wire.KindInvite])
	for _, e := range invites {
		if e.Key == who[wire.KindInvite][e.Person] {
			t.Errorf("%s invited under the handed-back key %s, want a new attempt", e.Person, e.Key)
		}
	}
	t.Logf("planned %d tasks before 18:00; handed back %v; on Tuesday %d of them invited again, %d followed again",
		planned, late, len(invites), len(follows))
}
