package ledger_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/outreach-scheduler/outreach/forget"
	"github.com/outreach-scheduler/outreach/internal/redistest"
	"github.com/outreach-scheduler/outreach/ledger"
	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/wire"
)

func TestForget(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	rdb := srv.Client()
	led := ledger.New(rdb, "")
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	const zoe, mo = "https://example.com/in/zoe", "https://example.com/in/max"
	task := func(person, note string) wire.Task {
		return wire.Task{Kind: wire.KindInvite, At: at, Account: "alice", Campaign: "c", Person: person, Key: "c:k:" + note, Variant: "hi", Note: note}
	}
	for _, e := range []struct {
		t wire.Task
		o wire.Outcome
	}{
		{task(zoe, "Hi Zoe"), wire.Outcome{Kind: wire.Delivered, At: at}},
		{task(mo, "Hi Max"), wire.Outcome{Kind: wire.Delivered, At: at}},
	} {
		if err := led.AppendOutcome(ctx, e.t, e.o); err != nil {
			t.Fatal(err)
		}
	}
	if err := led.AppendEvent(ctx, wire.Event{Type: platform.EventAccepted, Account: "alice", Person: "HTTPS://www.example.com/in/Zoe/", Key: "c:k", At: at}); err != nil {
		t.Fatal(err)
	}
	// An entry of a newer version, which does not decode: found by its text.
	rdb.XAdd(ctx, &redis.XAddArgs{Stream: led.Key(), Values: []any{"e", `{"v":99,"who":"https://example.com/in/zoe"}`}})
	rdb.XAdd(ctx, &redis.XAddArgs{Stream: led.Key(), Values: []any{"e", `{"v":99,"who":"someone else"}`}})

	n, err := led.Forget(ctx, []string{zoe})
	if err != nil || n != 3 {
		t.Fatalf("Forget: %d deleted, %v; want 3", n, err)
	}
	if hits, _ := redistest.Grep(ctx, rdb, "zoe"); len(hits) != 0 {
		t.Errorf("the ledger still names her: %v", hits)
	}
	if got := rdb.XLen(ctx, led.Key()).Val(); got != 2 {
		t.Errorf("%d entries left, want Max's and the other newer one", got)
	}
	if n, err := led.Forget(ctx, []string{zoe}); n != 0 || err != nil {
		t.Errorf("again: %d %v", n, err)
	}

	// Once she is in the registry, entries naming her are not recorded.
	if _, err := forget.New(rdb, "").Add(ctx, zoe); err != nil {
		t.Fatal(err)
	}
	if err := led.AppendOutcome(ctx, task(zoe, "Hi Zoe"), wire.Outcome{Kind: wire.Delivered, At: at}); err != nil {
		t.Fatal(err)
	}
	if err := led.AppendEvent(ctx, wire.Event{Type: platform.EventDeclined, Account: "alice", Person: zoe, Key: "c:k", At: at}); err != nil {
		t.Fatal(err)
	}
	if err := led.AppendOutcome(ctx, task(mo, "Hi again"), wire.Outcome{Kind: wire.Delivered, At: at}); err != nil {
		t.Fatal(err)
	}
	if got := rdb.XLen(ctx, led.Key()).Val(); got != 3 {
		t.Errorf("%d entries, want 3: hers dropped, Max's recorded", got)
	}
	if hits, _ := redistest.Grep(ctx, rdb, "zoe"); len(hits) != 0 {
		t.Errorf("recorded after she was forgotten: %v", hits)
	}
}

// TestForgetPages deletes across pages of the scan.
func TestForgetPages(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	led := ledger.New(srv.Client(), "")
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	const n = 2500
	for i := range n {
		person := "https://example.com/in/other"
		if i%2 == 0 {
			person = "https://example.com/in/zoe"
		}
		ev := wire.Event{Type: platform.EventAccepted, Account: "alice", Person: person, Key: "k", At: at}
		if err := led.AppendEvent(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	got, err := led.Forget(ctx, []string{"https://example.com/in/zoe"})
	if err != nil || got != n/2 {
		t.Fatalf("Forget: %d, %v; want %d", got, err, n/2)
	}
	if left := srv.Client().XLen(ctx, led.Key()).Val(); left != n/2 {
		t.Errorf("%d left, want %d", left, n/2)
	}
}
