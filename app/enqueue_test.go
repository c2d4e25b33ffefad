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
	"github.com/outreach-scheduler/outreach/wire"
	"github.com/outreach-scheduler/outreach/worker"
	workerdaemon "github.com/outreach-scheduler/outreach/worker/daemon"
)

// TestEnqueueSurvivesRedisDown: Redis dies right after the planner planned
// and before it enqueued (the first enqueue kills it), and comes back
// (restarted from its append-only file) a few seconds later. The planner
// keeps what it could not enqueue and offers it again with backoff; every
// planned invitation reaches the platform exactly once (the sandbox's
// record), none is abandoned, none lost: every prospect is invited, the
// accounts' gaps hold, and the planner ends with nothing outstanding.
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
	p := &planner{
		cfg: cfg, campaigns: []*campaigns.Campaign{camp}, now: time.Now, log: log.With("component", "scheduler"), ledger: led, client: client, inspector: insp,
		planSpec: "@every 1s", horizon: 5 * time.Second, seed: 1,
	}
	p.enq.enqueue = func(ctx context.Context, task *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error) {
		mu.Lock()
		calls++
		first := calls == 1
		mu.Unlock()
		if first { // planned, not yet enqueued: Redis dies now
			rs.Kill()
			close(killed)
		}
		return client.EnqueueContext(ctx, task, opts...)
	}
	if err := p.start(ctx); err != nil {
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
	go func() { done <- p.loop(lctx, nil) }()
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
		t.Fatal("the planner enqueued nothing")
	}
	time.Sleep(3 * time.Second) // Redis stays down: the planner keeps planning, and keeping
	rs.Restart(t)
	if err := srv.Start(h); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()

	pollUntil(t, 60*time.Second, "not every prospect was invited after Redis came back", func() bool {
		return len(invitedBy(model)) >= 20
	})
	time.Sleep(1500 * time.Millisecond) // the last outcomes reach the planner; any duplicate shows
	halt()
	p.drain(ctx)

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
	if out := p.eng.Outstanding(time.Now().Add(time.Hour)); len(out) != 0 {
		t.Errorf("the planner still waits for %d outcomes, e.g. %s", len(out), out[0].Key)
	}
	if len(p.enq.kept) != 0 {
		t.Errorf("%d tasks still kept, never enqueued", len(p.enq.kept))
	}
	for i := range 20 {
		key := fmt.Sprintf("https://example.com/in/p%d", i)
		if s, _ := p.eng.State("c", key); s != lifecycle.StateInvited {
			t.Errorf("%s is %v, want invited (nothing abandoned)", key, s)
		}
	}
	total, _ := p.eng.Counts("c")
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
	p := &planner{
		cfg: cfg, campaigns: []*campaigns.Campaign{camp}, now: clock.Now, log: slog.New(slog.DiscardHandler),
		ledger: ledger.New(rs.Client(), ""), client: client, inspector: insp, planSpec: "@every 1s", seed: 1,
	}
	if err := p.start(ctx); err != nil {
		t.Fatal(err)
	}
	down := true
	p.enq.enqueue = func(ctx context.Context, task *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error) {
		if down {
			return nil, fmt.Errorf("dial tcp: connection refused")
		}
		return client.EnqueueContext(ctx, task, opts...)
	}
	p.plan(ctx)
	kept := len(p.enq.kept)
	if kept != 6 {
		t.Fatalf("%d tasks kept after a failed enqueue, want the 6 planned", kept)
	}
	clock.set(clock.Now().Add(time.Hour))
	p.reconcile(ctx)
	for i := range 6 {
		key := fmt.Sprintf("https://example.com/in/p%d", i)
		if s, _ := p.eng.State("c", key); s == lifecycle.StateFailed {
			t.Fatalf("reconcile abandoned %s, planned but never enqueued: %v", key, s)
		}
	}
	if n := len(p.eng.Outstanding(clock.Now())); n != 6 {
		t.Fatalf("%d tasks outstanding after reconcile, want 6", n)
	}
	if p.retryKept(ctx, false) != true {
		t.Fatal("a retry with the queue down reports no failure")
	}
	down = false
	clock.set(clock.Now().Add(time.Minute)) // past the backoff
	if p.retryKept(ctx, false) {
		t.Fatal("the retry failed with the queue up")
	}
	qi, err := insp.GetQueueInfo(wire.QueueName)
	if err != nil || qi.Pending+qi.Scheduled != 6 || len(p.enq.kept) != 0 {
		t.Fatalf("queue %+v (%v), %d still kept; want the 6 tasks queued", qi, err, len(p.enq.kept))
	}
	p.plan(ctx) // offered again: the queue has them, nothing doubles
	if qi, _ := insp.GetQueueInfo(wire.QueueName); qi.Pending+qi.Scheduled != 6 {
		t.Fatalf("queue %+v after planning again, want the same 6 tasks", qi)
	}
}
