package app

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/internal/redistest"
	"github.com/outreach-scheduler/outreach/ledger"
	"github.com/outreach-scheduler/outreach/lifecycle"
	"github.com/outreach-scheduler/outreach/pacing"
	"github.com/outreach-scheduler/outreach/platform/sandbox"
	schedulerdaemon "github.com/outreach-scheduler/outreach/scheduler/daemon"
	"github.com/outreach-scheduler/outreach/wire"
	"github.com/outreach-scheduler/outreach/worker"
	workerdaemon "github.com/outreach-scheduler/outreach/worker/daemon"
)

// TestEnqueueSurvivesRedisDown: Redis dies right after the leader planned
// and before it enqueued (the first enqueue kills it), and comes back
// (restarted from its append-only file) a few seconds later. The leader
// keeps what it could not enqueue and offers it again with backoff; every
// planned invitation reaches the platform exactly once (the sandbox's
// record), none is abandoned, none lost: every prospect is invited, the
// accounts' gaps hold, and the leader ends with nothing outstanding.
func TestEnqueueSurvivesRedisDown(t *testing.T) {
	rs := redistest.Start(t, redistest.WithAOF())
	ctx := context.Background()
	cfg, camp := loadWorkspace(t, t.TempDir(), twoSendersFiles(fmt.Sprintf("redis:\n  addr: %s\n", rs.Addr()), peopleCSV(20, "p", "P")))
	rdb := rs.Client()
	led := ledger.New(rdb, "")
	redisOpt := asynq.RedisClientOpt{Addr: rs.Addr(), DialTimeout: 200 * time.Millisecond, ReadTimeout: 500 * time.Millisecond}
	client := asynq.NewClient(redisOpt)
	defer client.Close()
	insp := asynq.NewInspector(redisOpt)
	defer insp.Close()
	log := slog.New(slog.DiscardHandler)
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	var (
		mu     sync.Mutex
		calls  int
		killed = make(chan struct{})
	)
	p, err := schedulerdaemon.NewLeader(schedulerdaemon.LeaderOptions{
		Config: cfg, Campaigns: []*campaigns.Campaign{camp}, Now: time.Now, Logger: log.With("component", "scheduler"), Ledger: led, Client: client, Inspector: insp,
		PlanSpec: "@every 1s", Horizon: 5 * time.Second, Seed: 1, Enqueue: func(ctx context.Context, task *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error) {
			mu.Lock()
			calls++
			first := calls == 1
			mu.Unlock()
			if first { // planned, not yet enqueued: Redis dies now
				rs.Kill()
				close(killed)
			}
			return client.EnqueueContext(ctx, task, opts...)
		}})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	sbOpt, err := sandbox.OptionsFromConfig(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	sbOpt.AcceptRate, sbOpt.DeclineRate = -1, -1 // nobody answers
	model := sandbox.New(sbOpt)
	lim, err := pacing.NewRedisLimiter(rdb)
	if err != nil {
		t.Fatal(err)
	}
	srv := workerdaemon.NewServer(redisOpt, 4, log)
	h := &workerdaemon.Handler{Deliver: &worker.Deliverer{Limiter: lim, Platform: model, Rules: worker.ConfigRules(cfg), RestrictionPause: time.Hour},
		Ledger: led, Now: time.Now, Log: log.With("component", "worker")}
	lctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- p.Run(lctx) }()
	stopped := false
	halt := func() {
		if !stopped {
			stopped = true
			stop()
			if err := <-done; err != nil {
				t.Error(err)
			}
		}
	}
	defer halt()

	select {
	case <-killed:
	case <-time.After(20 * time.Second):
		t.Fatal("the leader enqueued nothing")
	}
	time.Sleep(3 * time.Second) // Redis stays down: the leader keeps planning, and keeping
	rs.Restart(t)
	if err := srv.Start(h); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()

	pollUntil(t, 60*time.Second, "not every prospect was invited after Redis came back", func() bool {
		return len(invitedBy(model)) >= 20
	})
	time.Sleep(1500 * time.Millisecond) // the last outcomes reach the leader; any duplicate shows
	halt()
	p.Drain(ctx)

	invited := invitedBy(model)
	slices.Sort(invited)
	if len(invited) != 20 || len(slices.Compact(slices.Clone(invited))) != 20 {
		t.Fatalf("the platform got %d invitations for %d people, want 20 for 20:\n%v", len(invited), len(slices.Compact(slices.Clone(invited))), invited)
	}
	last := map[string]time.Time{}
	for _, e := range model.Record() {
		if e.Refused != "" {
			t.Errorf("the platform refused %s of %s: %s", e.Op, e.Person, e.Refused)
		}
		if prev, ok := last[e.Account]; ok && e.At.Sub(prev) < time.Second-10*time.Millisecond {
			t.Errorf("%s: invitations %v apart, the gap is 1s", e.Account, e.At.Sub(prev))
		}
		last[e.Account] = e.At
	}
	if out := p.Engine().Outstanding(time.Now().Add(time.Hour)); len(out) != 0 {
		t.Errorf("the leader still waits for %d outcomes, e.g. %s", len(out), out[0].Key)
	}
	if p.Kept() != 0 {
		t.Errorf("%d tasks still kept, never enqueued", p.Kept())
	}
	for i := range 20 {
		key := fmt.Sprintf("https://example.com/in/p%d", i)
		if s, _ := p.Engine().State("c", key); s != lifecycle.StateInvited {
			t.Errorf("%s is %v, want invited (nothing abandoned)", key, s)
		}
	}
	total, _ := p.Engine().Counts("c")
	if total.Invited != 20 {
		t.Errorf("counts %+v, want 20 invited", total)
	}
	mu.Lock()
	t.Logf("%d enqueue calls; the platform took %d invitations, each once", calls, len(invited))
	mu.Unlock()
}

// TestKeptTasksAreNotAbandoned: a task that was planned but never
// enqueued is not stuck: reconcile, half an hour past its time, leaves it
// to be offered again (it does not fail its prospect as unknown_outcome),
// and once the queue takes tasks the kept ones are enqueued, each once.
func TestKeptTasksAreNotAbandoned(t *testing.T) {
	rs := redistest.Start(t)
	ctx := context.Background()
	var csv strings.Builder
	csv.WriteString("profile_url,first_name\n")
	for i := range 6 {
		fmt.Fprintf(&csv, "https://example.com/in/p%d,P%d\n", i, i)
	}
	cfg, camp := loadWorkspace(t, t.TempDir(), twoSendersFiles(fmt.Sprintf("redis:\n  addr: %s\n", rs.Addr()), csv.String()))
	redisOpt := asynq.RedisClientOpt{Addr: rs.Addr()}
	client := asynq.NewClient(redisOpt)
	defer client.Close()
	insp := asynq.NewInspector(redisOpt)
	defer insp.Close()
	clock := newJumpClock(time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC))
	down := true
	p, err := schedulerdaemon.NewLeader(schedulerdaemon.LeaderOptions{
		Config: cfg, Campaigns: []*campaigns.Campaign{camp}, Now: clock.Now, Ledger: ledger.New(rs.Client(), ""),
		Client: client, Inspector: insp, PlanSpec: "@every 1s", Seed: 1,
		Enqueue: func(ctx context.Context, task *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error) {
			if down {
				return nil, fmt.Errorf("dial tcp: connection refused")
			}
			return client.EnqueueContext(ctx, task, opts...)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	if kept := p.Plan(ctx).Kept; kept != 6 {
		t.Fatalf("%d tasks kept after a failed enqueue, want the 6 planned", kept)
	}
	clock.set(clock.Now().Add(time.Hour))
	if r := p.Reconcile(ctx); r.Checked != 6 || r.Abandoned != 0 {
		t.Fatalf("reconcile %+v, want the 6 kept tasks checked and none abandoned", r)
	}
	for i := range 6 {
		key := fmt.Sprintf("https://example.com/in/p%d", i)
		if s, _ := p.Engine().State("c", key); s == lifecycle.StateFailed {
			t.Fatalf("reconcile abandoned %s, planned but never enqueued: %v", key, s)
		}
	}
	if n := len(p.Engine().Outstanding(clock.Now())); n != 6 {
		t.Fatalf("%d tasks outstanding after reconcile, want 6", n)
	}
	if r := p.Plan(ctx); r.Enqueued != 0 || r.Kept != 6 {
		t.Fatalf("planning again with the queue down: %+v, want the 6 tasks still kept", r)
	}
	down = false
	clock.set(clock.Now().Add(time.Minute)) // past the backoff
	if r := p.Plan(ctx); r.Enqueued != 6 || r.Kept != 0 {
		t.Fatalf("planning with the queue up: %+v, want the 6 kept tasks enqueued", r)
	}
	qi, err := insp.GetQueueInfo(wire.QueueName)
	if err != nil || qi.Pending+qi.Scheduled != 6 || p.Kept() != 0 {
		t.Fatalf("queue %+v (%v), %d still kept; want the 6 tasks queued", qi, err, p.Kept())
	}
	p.Plan(ctx) // offered again: the queue has them, nothing doubles
	if qi, _ := insp.GetQueueInfo(wire.QueueName); qi.Pending+qi.Scheduled != 6 {
		t.Fatalf("queue %+v after planning again, want the same 6 tasks", qi)
	}
}
