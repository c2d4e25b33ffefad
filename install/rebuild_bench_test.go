package install

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/internal/redistest"
	"github.com/outreach-scheduler/outreach/ledger"
	"github.com/outreach-scheduler/outreach/pacing"
	"github.com/outreach-scheduler/outreach/platform"
)

// BenchmarkRebuild10k rebuilds 10,000 invitations (half answered, a
// quarter of them within the limiter's window) on a real redis-server and
// reports the ledger's memory per invitation.
func BenchmarkRebuild10k(b *testing.B) {
	rs := redistest.Start(b)
	rdb := rs.Client()
	ctx := context.Background()
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	sent := make([]platform.Sent, 10000)
	for i := range sent {
		at := now.Add(-time.Duration(i) * 15 * time.Minute)
		sent[i] = platform.Sent{Key: fmt.Sprintf("c/%d/invite", i), Account: fmt.Sprintf("a%d", i%10), Person: fmt.Sprintf("https://example.com/in/p%d", i),
			Campaign: "c", Variant: "hi", Note: true, At: at}
		if i%2 == 0 {
			sent[i].Answer, sent[i].AnsweredAt = platform.AnswerAccepted, at.Add(time.Hour)
		}
	}
	lim, err := pacing.NewRedisLimiter(rdb)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		rdb.FlushAll(ctx)
		if _, err := Rebuild(ctx, ledger.New(rdb, ""), lim, sent, now); err != nil {
			b.Fatal(err)
		}
	}
	mem, err := rdb.MemoryUsage(ctx, ledger.New(rdb, "").Key()).Result()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(mem)/float64(len(sent)), "ledger-bytes/invitation")
}
