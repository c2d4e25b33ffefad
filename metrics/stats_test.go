package metrics_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/internal/redistest"
	"github.com/outreach-scheduler/outreach/lifecycle"
	"github.com/outreach-scheduler/outreach/metrics"
)

var t0 = time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)

func ev(typ lifecycle.Event, camp, acct, variant string) metrics.Lifecycle {
	return metrics.Lifecycle{T: t0, Type: typ, Campaign: camp, Account: acct, Variant: variant}
}

// TestStatsCommitOnce: a write applies only from the checkpoint it was
// read at, so a batch is never counted twice, and what is read back is
// what was counted.
func TestStatsCommitOnce(t *testing.T) {
	ctx := context.Background()
	rs := redistest.Start(t)
	st := metrics.NewStats(rs.Client(), "")

	if cp, err := st.Checkpoint(ctx); err != nil || cp != "" {
		t.Fatalf("fresh checkpoint = %q, %v", cp, err)
	}
	var b metrics.Batch
	for range 3 {
		b.Add(ev(lifecycle.EvInvited, "c", "alice", "hi"))
	}
	b.Add(ev(lifecycle.EvInvited, "c", "alice", "blank"))
	b.Add(ev(lifecycle.EvAccepted, "c", "alice", "hi"))
	b.Add(ev(lifecycle.EvDeclined, "c", "alice", "hi"))
	b.Add(ev(lifecycle.EvSkipped, "c", "", ""))       // not counted
	b.Add(ev(lifecycle.EvFollowed, "c", "alice", "")) // not counted
	b.Add(ev(lifecycle.EvMessaged, "c", "alice", ""))
	b.SetOldest("alice", t0.Add(-time.Hour))
	b.SetOldest("bob", time.Time{})
	b.SetVariant("c", "hi", metrics.VariantEstimate{Rate: 0.31, Low: 0.2, High: 0.45, PBest: 0.875})
	if err := st.Commit(ctx, "", "5-1", &b, t0); err != nil {
		t.Fatal(err)
	}
	// The same batch again from the old checkpoint: refused, nothing changes.
	if err := st.Commit(ctx, "", "5-1", &b, t0); !errors.Is(err, metrics.ErrCheckpointMoved) {
		t.Fatalf("second commit from the same checkpoint: %v, want ErrCheckpointMoved", err)
	}
	var b2 metrics.Batch
	b2.Add(ev(lifecycle.EvWithdrawn, "c", "alice", "hi"))
	if err := st.Commit(ctx, "5-1", "7-0", &b2, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	snap, err := st.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[metrics.Key]metrics.Counts{
		{Campaign: "c", Account: "alice", Variant: "hi"}:    {Invited: 3, Accepted: 1, Declined: 1, Withdrawn: 1},
		{Campaign: "c", Account: "alice", Variant: "blank"}: {Invited: 1},
		{Campaign: "c", Account: "alice", Variant: ""}:      {Messaged: 1},
	}
	if len(snap.Counts) != len(want) {
		t.Errorf("counts %v, want %v", snap.Counts, want)
	}
	for k, w := range want {
		if snap.Counts[k] != w {
			t.Errorf("%+v: %+v, want %+v", k, snap.Counts[k], w)
		}
	}
	if p := snap.Counts[metrics.Key{Campaign: "c", Account: "alice", Variant: "hi"}].Pending(); p != 0 {
		t.Errorf("pending %d, want 0 (3 sent: accepted, declined, withdrawn)", p)
	}
	if snap.Checkpoint != "7-0" || !snap.Updated.Equal(t0.Add(time.Minute)) {
		t.Errorf("checkpoint %q updated %v", snap.Checkpoint, snap.Updated)
	}
	if !snap.Oldest["alice"].Equal(t0.Add(-time.Hour)) {
		t.Errorf("oldest pending of alice %v", snap.Oldest["alice"])
	}
	if got := snap.Variants[metrics.Key{Campaign: "c", Variant: "hi"}]; got != (metrics.VariantEstimate{Rate: 0.31, Low: 0.2, High: 0.45, PBest: 0.875}) {
		t.Errorf("variant estimate read back as %+v", got)
	}
	if _, ok := snap.Oldest["bob"]; ok {
		t.Errorf("bob has nothing pending, yet an oldest time %v", snap.Oldest["bob"])
	}
}
