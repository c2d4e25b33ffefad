package ledger_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/outreach-scheduler/outreach/internal/redistest"
	"github.com/outreach-scheduler/outreach/ledger"
	"github.com/outreach-scheduler/outreach/wire"
)

// TestPauseResume: a pause is recorded once (a second one says which is in
// force and changes nothing), holds the tasks it should, and every change
// is in the stream with its audit fields.
func TestPauseResume(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	led := ledger.New(srv.Client(), "")
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	invite := wire.Task{Kind: wire.KindInvite, Account: "rita", Campaign: "cfos", Person: "p", Key: "k"}
	withdraw := invite
	withdraw.Kind = wire.KindWithdraw

	p := wire.Command{At: at, Campaign: "cfos", Reason: "typo", By: "ops@h", Source: ledger.SourceCommand}
	if prev, err := led.Pause(ctx, p); err != nil || prev != nil {
		t.Fatalf("Pause: %v, %v", prev, err)
	}
	if prev, err := led.Pause(ctx, wire.Command{At: at.Add(time.Minute), Campaign: "cfos", Reason: "again"}); err != nil || prev == nil || prev.Reason != "typo" {
		t.Fatalf("second Pause: %+v, %v; want the first one back", prev, err)
	}
	for _, c := range []struct {
		t    wire.Task
		want bool
	}{{invite, true}, {withdraw, false}} {
		if got, err := led.Holds(ctx, c.t, at.Add(time.Hour)); err != nil || got != c.want {
			t.Errorf("Holds(%s) = %v, %v; want %v", c.t.Kind, got, err, c.want)
		}
	}
	// An account's pause with --all and an end holds withdrawals, then
	// nothing once it ended.
	if _, err := led.Pause(ctx, wire.Command{At: at, Account: "rita", Until: at.Add(2 * time.Hour), All: true, Source: ledger.SourceCommand}); err != nil {
		t.Fatal(err)
	}
	if got, _ := led.Holds(ctx, withdraw, at.Add(time.Hour)); !got {
		t.Error("an account paused with All does not hold its withdrawals")
	}
	if got, _ := led.Holds(ctx, withdraw, at.Add(3*time.Hour)); got {
		t.Error("a pause past its Until still holds")
	}
	ps, err := led.Pauses(ctx)
	if err != nil || len(ps) != 2 || ps[0].Campaign != "cfos" || ps[1].Account != "rita" {
		t.Fatalf("Pauses = %+v, %v", ps, err)
	}
	ended, err := led.ExpirePauses(ctx, at.Add(3*time.Hour))
	if err != nil || len(ended) != 1 || ended[0].Account != "rita" {
		t.Fatalf("ExpirePauses = %+v, %v", ended, err)
	}
	if prev, err := led.Resume(ctx, wire.Command{At: at.Add(4 * time.Hour), Campaign: "cfos", By: "ops@h", Source: ledger.SourceCommand}); err != nil || prev == nil {
		t.Fatalf("Resume: %v, %v", prev, err)
	}
	if prev, err := led.Resume(ctx, wire.Command{At: at.Add(5 * time.Hour), Campaign: "cfos"}); err != nil || prev != nil {
		t.Fatalf("second Resume: %+v, %v; want nothing to resume", prev, err)
	}
	if got, _ := led.Holds(ctx, invite, at.Add(5*time.Hour)); got {
		t.Error("a resumed campaign still holds")
	}
	es, err := led.Read(ctx, "0", 100, 0)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range es {
		kinds = append(kinds, string(e.Command.Kind)+":"+e.Command.Campaign+e.Command.Account+":"+e.Command.Source)
	}
	want := []string{"pause:cfos:command", "pause:rita:command", "resume:rita:expired", "resume:cfos:command"}
	if len(kinds) != len(want) {
		t.Fatalf("audit trail %v, want %v", kinds, want)
	}
	for i := range want {
		if kinds[i] != want[i] {
			t.Errorf("audit trail %v, want %v", kinds, want)
			break
		}
	}
	if _, err := led.Pause(ctx, wire.Command{At: at}); err == nil {
		t.Error("a pause naming nothing was recorded")
	}
}

// TestSyncFilePause: the later of the file and the command line wins:
// re-applying an unchanged file leaves a command's resume (or pause) alone;
// a change in the file applies.
func TestSyncFilePause(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	led := ledger.New(srv.Client(), "")
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	file := wire.Command{At: at, Campaign: "cfos", By: "ops@h", Source: ledger.SourceFile}
	held := func(when time.Time) bool {
		ok, err := led.Holds(ctx, wire.Task{Kind: wire.KindInvite, Campaign: "cfos", Account: "a"}, when)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	step := func(i int, paused, wantChanged, wantHeld bool) {
		t.Helper()
		file.At = at.Add(time.Duration(i) * time.Minute)
		changed, err := led.SyncFilePause(ctx, file, paused)
		if err != nil || changed != wantChanged || held(file.At) != wantHeld {
			t.Fatalf("step %d (paused: %v): changed %v, held %v, %v; want %v, %v", i, paused, changed, held(file.At), err, wantChanged, wantHeld)
		}
	}
	step(1, false, false, false) // first apply, not paused: nothing
	step(2, true, true, true)    // the file pauses
	step(3, true, false, true)   // unchanged
	if _, err := led.Resume(ctx, wire.Command{At: at.Add(4 * time.Minute), Campaign: "cfos", Source: ledger.SourceCommand}); err != nil {
		t.Fatal(err)
	}
	step(5, true, false, false) // the command's resume is later: unchanged file keeps it
	step(6, false, false, false)
	if _, err := led.Pause(ctx, wire.Command{At: at.Add(7 * time.Minute), Campaign: "cfos", Source: ledger.SourceCommand}); err != nil {
		t.Fatal(err)
	}
	step(8, false, false, true)  // unchanged (false): the command's pause stays
	step(9, true, false, true)   // the file pauses what is paused: no change
	step(10, false, true, false) // the file resumes: later than the command
}

// trips counts the round trips a client makes (a command or a pipeline).
type trips struct{ n int }

func (c *trips) DialHook(next redis.DialHook) redis.DialHook { return next }
func (c *trips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error { c.n++; return next(ctx, cmd) }
}
func (c *trips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error { c.n++; return next(ctx, cmds) }
}

// TestHoldsChecksForgotten: the worker's check just before it acts reads
// the pauses and the forgotten people in one round trip, and refuses a
// forgotten person's task with ErrForgotten (before anyone was forgotten,
// and after, once the salt is known).
func TestHoldsChecksForgotten(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer rdb.Close()
	count := &trips{}
	if err := rdb.Ping(ctx).Err(); err != nil { // the connection's handshake is not counted
		t.Fatal(err)
	}
	rdb.AddHook(count)
	led := ledger.New(rdb, "")
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	task := func(person string) wire.Task {
		return wire.Task{Kind: wire.KindInvite, Account: "rita", Campaign: "cfos", Person: "https://example.com/in/" + person, Key: "k"}
	}
	check := func(person string, wantErr error) {
		t.Helper()
		count.n = 0
		held, err := led.Holds(ctx, task(person), at)
		if held || !errors.Is(err, wantErr) || (wantErr == nil && err != nil) {
			t.Fatalf("Holds(%s) = %v, %v; want false, %v", person, held, err, wantErr)
		}
	}
	check("ann", nil) // nobody forgotten yet
	if count.n != 1 {
		t.Errorf("%d round trips before anyone was forgotten, want 1", count.n)
	}
	if _, err := led.Forgotten().Add(ctx, "https://example.com/in/zelda"); err != nil {
		t.Fatal(err)
	}
	check("zelda", ledger.ErrForgotten) // reads the salt this once
	check("zelda", ledger.ErrForgotten)
	if count.n != 1 {
		t.Errorf("%d round trips once the salt is known, want 1", count.n)
	}
	check("ann", nil)
	if count.n != 1 {
		t.Errorf("%d round trips, want 1", count.n)
	}
}
