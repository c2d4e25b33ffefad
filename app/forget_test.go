package app

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/forget"
	"github.com/outreach-scheduler/outreach/internal/redistest"
	"github.com/outreach-scheduler/outreach/ledger"
	"github.com/outreach-scheduler/outreach/lifecycle"
	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/platform/sandbox"
	"github.com/outreach-scheduler/outreach/scheduler"
	"github.com/outreach-scheduler/outreach/store"
	"github.com/outreach-scheduler/outreach/wire"
	"github.com/outreach-scheduler/outreach/worker"
	workerdaemon "github.com/outreach-scheduler/outreach/worker/daemon"
)

// The person forgotten in these tests, as the CSV writes them and as the
// key normalizes; their name appears in the notes.
const (
	zeldaRaw  = "https://www.Example.com/in/Zelda-Quixote-42/?utm_source=x"
	zeldaKey  = "https://example.com/in/zelda-quixote-42"
	zeldaName = "Zelda"
	zeldaLast = "Quixote"
)

// zeldaNeedles are every form of the person's data the scan looks for:
// the raw and normalized keys, the path alone (any case, so also the
// escaped and re-cased forms that keep it), first and last name.
var zeldaNeedles = []string{zeldaRaw, zeldaKey, "zelda-quixote-42", zeldaName, zeldaLast}

// forgetWorkspace is one campaign of four prospects, Zelda first, on the
// test's Redis.
func forgetWorkspace(t *testing.T, addr string) (*config.Config, *campaigns.Campaign) {
	t.Helper()
	return loadWorkspace(t, t.TempDir(), map[string]string{
		"p.csv": "profile_url,first_name,last_name\n" +
			zeldaRaw + "," + zeldaName + "," + zeldaLast + "\n" +
			"https://example.com/in/ann,Ann,Lee\n" +
			"https://example.com/in/bob,Bob,Ray\n" +
			"https://example.com/in/cy,Cy,Ng\n",
		"config.yaml": "redis:\n  addr: " + addr + `
defaults:
  min_gap: 1s
  jitter: 0
  days: [mon, tue, wed, thu, fri, sat, sun]
  hours: "00:00-24:00"
accounts:
  - id: alice
    tier: premium
    limits: {weekly: 1000000, daily: 500000}
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
            text: "Hi {{.first_name}} {{.last_name}}, let's connect."
`,
	})
}

func grepRedis(t *testing.T, rdb redis.UniversalClient, needles ...string) []string {
	t.Helper()
	hits, err := redistest.Grep(context.Background(), rdb, needles...)
	if err != nil {
		t.Fatal(err)
	}
	return hits
}

func invite(person, first string, at time.Time) wire.Task {
	return wire.Task{Kind: wire.KindInvite, At: at, Account: "alice", Campaign: "c", Person: person,
		Key: "c:" + first, Variant: "hi", Note: "Hi " + first + ", let's connect.", Chars: 24}
}

func enqueue(t *testing.T, client *asynq.Client, task wire.Task, opts ...asynq.Option) {
	t.Helper()
	payload, err := wire.EncodeTask(task)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Enqueue(asynq.NewTask(wire.TaskType, payload), append(opts, asynq.TaskID(task.Key))...); err != nil {
		t.Fatal(err)
	}
}

// TestForgetEverywhere puts a person in every place outreach keeps data
// (an applied campaign, ledger outcomes and events with the note, queued
// actions in every state asynq keeps, one of them in flight during the
// forget), forgets them, and then reads every key and value of the Redis:
// neither their key nor their name may remain. The same CSV applied again
// leaves them out, and `run`'s engine skips them with reason forgotten.
func TestForgetEverywhere(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	rdb := srv.Client()
	cfg, c := forgetWorkspace(t, srv.Addr())
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

	// The store.
	st := store.New(rdb, "")
	rows, hint, err := store.CSVRows(c)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := st.Apply(ctx, c, rows, store.ApplyOptions{SizeHint: hint}); err != nil || res.Added != 4 {
		t.Fatalf("apply: %+v %v", res, err)
	}
	// The ledger: her invitation (with the note), its acceptance, someone else's.
	led := ledger.New(rdb, "")
	zt := invite(zeldaKey, zeldaName+" "+zeldaLast, at)
	for _, tk := range []wire.Task{zt, invite("https://example.com/in/ann", "Ann", at)} {
		if err := led.AppendOutcome(ctx, tk, wire.Outcome{Kind: wire.Delivered, At: at}); err != nil {
			t.Fatal(err)
		}
	}
	if err := led.AppendEvent(ctx, wire.Event{Type: platform.EventAccepted, Account: "alice", Person: zeldaKey, Key: zt.Key, At: at}); err != nil {
		t.Fatal(err)
	}

	// The queues: her actions pending, scheduled, archived, retrying,
	// completed (asynq keeps the payload) and one in flight; someone
	// else's pending.
	qopt := asynq.RedisClientOpt{Addr: srv.Addr()}
	client := asynq.NewClient(qopt)
	defer client.Close()
	insp := asynq.NewInspector(qopt)
	defer insp.Close()
	task := func(id string) wire.Task {
		tk := zt
		tk.Key = id
		return tk
	}
	enqueue(t, client, task("pending"), asynq.Queue("other")) // a queue no server here runs: it stays pending
	enqueue(t, client, task("scheduled"), asynq.ProcessIn(time.Hour))
	enqueue(t, client, task("archived"), asynq.ProcessIn(time.Hour))
	if err := insp.ArchiveTask(wire.QueueName, "archived"); err != nil {
		t.Fatal(err)
	}
	enqueue(t, client, invite("https://example.com/in/bob", "Bob", at), asynq.ProcessIn(time.Hour))

	release := make(chan struct{})
	srvq := asynq.NewServer(qopt, asynq.Config{
		Concurrency: 3, DelayedTaskCheckInterval: 100 * time.Millisecond,
		RetryDelayFunc: func(int, error, *asynq.Task) time.Duration { return time.Hour },
		Logger:         workerdaemon.Logger(discardLogger()), LogLevel: asynq.FatalLevel,
	})
	var once sync.Once
	if err := srvq.Start(asynq.HandlerFunc(func(ctx context.Context, _ *asynq.Task) error {
		switch id, _ := asynq.GetTaskID(ctx); id {
		case "retry":
			return errors.New("platform unavailable")
		case "inflight":
			<-release
		}
		return nil
	})); err != nil {
		t.Fatal(err)
	}
	defer srvq.Shutdown()
	defer once.Do(func() { close(release) })
	enqueue(t, client, task("completed"), asynq.Retention(time.Hour))
	enqueue(t, client, task("retry"), asynq.MaxRetry(5))
	enqueue(t, client, task("inflight"), asynq.Retention(time.Hour))
	waitFor(t, "the tasks to reach their states", func() bool {
		s, err := insp.GetQueueInfo(wire.QueueName)
		return err == nil && s.Completed == 1 && s.Retry == 1 && s.Active == 1
	})
	before := grepRedis(t, rdb, zeldaNeedles...)
	for _, where := range []string{"{camp:c}", "{ledger}:stream", ":t:pending", ":t:scheduled", ":t:archived", ":t:completed", ":t:retry"} {
		if !strings.Contains(strings.Join(before, "\n"), where) {
			t.Fatalf("before forget, the scan does not find her in %s:\n%s", where, strings.Join(before, "\n"))
		}
	}

	// Forget her; the first wait lets the action in flight finish.
	sleeps := 0
	res, err := Forget(ctx, []string{zeldaRaw}, ForgetOptions{Redis: rdb, Asynq: qopt, Logger: discardLogger(),
		Sleep: func(context.Context, time.Duration) error {
			sleeps++
			once.Do(func() { close(release) })
			waitFor(t, "the action in flight to finish", func() bool {
				s, err := insp.GetQueueInfo(wire.QueueName)
				return err == nil && s.Active == 0
			})
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	want := ForgetResult{People: 1, New: 1, StoreRows: 1, LedgerEntries: 2, QueuedTasks: 6, Epoch: 1}
	if res != want || sleeps != 1 {
		t.Errorf("Forget = %+v after %d waits, want %+v after 1", res, sleeps, want)
	}
	srvq.Shutdown() // its heartbeat lists the tasks in flight
	if hits := grepRedis(t, rdb, zeldaNeedles...); len(hits) > 0 {
		t.Fatalf("after forget, Redis still holds her data:\n%s", strings.Join(hits, "\n"))
	}
	// Only hers went.
	if n := rdb.XLen(ctx, led.Key()).Val(); n != 1 {
		t.Errorf("%d ledger entries left, want Ann's", n)
	}
	if _, err := insp.GetTaskInfo(wire.QueueName, "c:Bob"); err != nil {
		t.Errorf("Bob's task: %v", err)
	}
	if in, err := st.Info(ctx, "c"); err != nil || in.Prospects != 3 {
		t.Errorf("campaign after forget: %+v %v", in, err)
	}

	// apply again: left out, counted, never stored.
	rows, hint, _ = store.CSVRows(c)
	if res, err := st.Apply(ctx, c, rows, store.ApplyOptions{SizeHint: hint}); err != nil || res.Forgotten != 1 || !res.Unchanged {
		t.Errorf("re-apply: %+v %v", res, err)
	}
	// run's sources: skipped with reason forgotten.
	srcs, err := csvSources(ctx, forget.New(rdb, ""), []*campaigns.Campaign{c})
	if err != nil {
		t.Fatal(err)
	}
	var skipped []string
	if _, err := scheduler.New(scheduler.Options{Config: cfg, Campaigns: []*campaigns.Campaign{c}, Sources: srcs, Seed: 1,
		OnEvent: func(ev scheduler.Event) {
			if ev.Type == lifecycle.EvSkipped {
				skipped = append(skipped, ev.Person+" "+ev.Reason)
			}
		}}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(skipped, "|"); got != zeldaKey+" "+lifecycle.SkipForgotten {
		t.Errorf("the engine skipped %q, want her with reason forgotten", got)
	}
	// A worker given an action naming her drops it without delivering
	// (the deliverer has no limiter nor platform: reaching them would
	// panic; it checks the forgotten people with the pauses, first).
	h := &workerdaemon.Handler{Deliver: &worker.Deliverer{Pauses: led}, Ledger: led, Now: func() time.Time { return at }, Log: discardLogger()}
	payload, _ := wire.EncodeTask(task("late"))
	if err := h.ProcessTask(ctx, asynq.NewTask(wire.TaskType, payload)); !errors.Is(err, asynq.RevokeTask) {
		t.Errorf("worker on a forgotten person's action: %v, want RevokeTask", err)
	}
	exp := task("late")
	exp.Kind = wire.KindExpire // no platform call, but an outcome naming her in the ledger
	payload, _ = wire.EncodeTask(exp)
	if err := h.ProcessTask(ctx, asynq.NewTask(wire.TaskType, payload)); !errors.Is(err, asynq.RevokeTask) {
		t.Errorf("worker on a forgotten person's expiry: %v, want RevokeTask", err)
	}
	if hits := grepRedis(t, rdb, zeldaNeedles...); len(hits) > 0 {
		t.Fatalf("after apply and run, Redis holds her data again:\n%s", strings.Join(hits, "\n"))
	}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for range 200 {
		if ok() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// TestRunSkipsForgotten runs the service on a Redis where a person of the
// campaign was forgotten: the first row, whom the leader would invite
// first, is never invited; the others are; and the run writes nothing
// about her into Redis.
func TestRunSkipsForgotten(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	cfg, c := forgetWorkspace(t, srv.Addr())
	if _, err := Forget(ctx, []string{zeldaRaw}, ForgetOptions{Redis: srv.Client(), Asynq: asynq.RedisClientOpt{Addr: srv.Addr()}}); err != nil {
		t.Fatal(err)
	}
	sbOpt, err := sandbox.OptionsFromConfig(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	model := sandbox.New(sbOpt)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var out syncBuffer
	done := make(chan error, 1)
	go func() {
		// Planning every second: an invitation the limiter holds back (a gap
		// missed by milliseconds) is planned again at once, not a minute later.
		done <- Run(runCtx, Options{Config: cfg, Campaigns: []*campaigns.Campaign{c}, Out: &out, Model: model, Seed: 1, PlanSpec: "@every 1s"})
	}()
	invitedOf := func() map[string]bool {
		invited := map[string]bool{}
		for _, e := range model.Record() {
			if e.Op == sandbox.OpInvite {
				invited[e.Person] = true
			}
		}
		return invited
	}
	// Until three people are invited (the leader takes the rows in order,
	// so she would be among them), however slow the machine is.
	for deadline := time.Now().Add(90 * time.Second); len(invitedOf()) < 3; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("fewer than three invitations in 90 s: %v\n%s", invitedOf(), out.String())
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	invited := invitedOf()
	if invited[zeldaKey] || len(invited) < 2 {
		t.Errorf("invited %v: want some, never her\n%s", invited, out.String())
	}
	if hits := grepRedis(t, srv.Client(), zeldaNeedles...); len(hits) > 0 {
		t.Errorf("the run wrote her data into Redis:\n%s", strings.Join(hits, "\n"))
	}
}
