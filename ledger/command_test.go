package ledger_test

import (
	"context"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/internal/redistest"
	"github.com/outreach-scheduler/outreach/ledger"
	"github.com/outreach-scheduler/outreach/wire"
)

// TestAppendCommand: a command is an entry of its own, read back whole, in
// order with the others, under the ID AppendCommand returned.
func TestAppendCommand(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	led := ledger.New(srv.Client(), "")
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	task := wire.Task{Kind: wire.KindInvite, At: at, Account: "alice", Campaign: "c", Person: "https://example.com/in/ann", Key: "c/x/connect"}
	if err := led.AppendOutcome(ctx, task, wire.Outcome{Kind: wire.Refused, At: at, Code: "invalid_profile"}); err != nil {
		t.Fatal(err)
	}
	cmd := wire.Command{Kind: wire.CommandRetry, At: at.Add(time.Hour), Campaign: "c", Code: "invalid_profile", Reason: "profiles restored", By: "ops@host"}
	id, err := led.AppendCommand(ctx, cmd)
	if err != nil || id == "" {
		t.Fatalf("AppendCommand: %q, %v", id, err)
	}
	es, err := led.Read(ctx, "0", 10, 0)
	if err != nil || len(es) != 2 {
		t.Fatalf("read %d entries, %v", len(es), err)
	}
	got := es[1]
	if got.ID != id || got.Command == nil || *got.Command != cmd || got.Task != nil || got.V != 2 {
		t.Errorf("entry %+v (command %+v), want %+v under %s", got, got.Command, cmd, id)
	}
	if _, err := led.AppendCommand(ctx, wire.Command{At: at}); err == nil {
		t.Error("a command without a kind was appended")
	}
}
