package pacing_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/pacing"
	"github.com/outreach-scheduler/outreach/pacing/limitertest"
)

func TestMemLimiter(t *testing.T) {
	limitertest.Run(t, func(t *testing.T) pacing.Limiter { return pacing.NewMemLimiter() })
}

// simulate drives a limiter the way the simulator does: accounts in turn,
// each asking for a send every gap, rules of a premium account (150 a week,
// 30 a day) with a 3 minute gap. It returns the number of Reserve calls.
func simulate(tb testing.TB, l pacing.Limiter, accounts int, span time.Duration) int {
	ctx := context.Background()
	names := make([]string, accounts)
	for i := range names {
		names[i] = fmt.Sprintf("acct-%04d", i)
	}
	lim := pacing.Limits{Weekly: 150, Daily: 30, NotesPerMonth: pacing.Unlimited, MinGap: 3 * time.Minute}
	start := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	const step = 65 * time.Minute // ~155 a week, about the cap: 8M requests for 1,000 accounts over 52 weeks
	calls := 0
	for now := start; now.Before(start.Add(span)); now = now.Add(step) {
		rules := pacing.RulesFor(lim, time.Time{}, time.UTC, now)
		for i, name := range names {
			at := now.Add(time.Duration(i) * time.Millisecond)
			id := fmt.Sprint(at.UnixMilli())
			if _, err := l.Reserve(ctx, pacing.Request{Account: name, ID: id, At: at, Rules: rules}); err != nil {
				tb.Fatal(err)
			}
			calls++
		}
	}
	return calls
}

// BenchmarkMemLimiterReserve: one Reserve of a simulation of 1,000
// accounts, the worker's one limiter call per invitation.
func BenchmarkMemLimiterReserve(b *testing.B) {
	l := pacing.NewMemLimiter()
	benchReserve(b, l)
}

func benchReserve(b *testing.B, l pacing.Limiter) {
	ctx := context.Background()
	lim := pacing.Limits{Weekly: 150, Daily: 30, NotesPerMonth: 5, MinGap: 3 * time.Minute}
	start := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	const accounts = 1000
	names := make([]string, accounts)
	for i := range names {
		names[i] = fmt.Sprintf("acct-%04d", i)
	}
	granted := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		// each account asks every 65 minutes
		at := start.Add(time.Duration(i/accounts)*65*time.Minute + time.Duration(i%accounts)*time.Millisecond)
		req := pacing.Request{
			Account: names[i%accounts], ID: fmt.Sprint(i), At: at, Note: i%7 == 0,
			Rules: pacing.RulesFor(lim, time.Time{}, time.UTC, at),
		}
		d, err := l.Reserve(ctx, req)
		if err != nil {
			b.Fatal(err)
		}
		if d.Granted {
			granted++
		}
	}
	b.ReportMetric(float64(granted)/float64(b.N), "granted/op")
}

// BenchmarkMemLimiterYear: the simulation's load, 1,000 accounts x 52 weeks.
func BenchmarkMemLimiterYear(b *testing.B) {
	for range b.N {
		calls := simulate(b, pacing.NewMemLimiter(), 1000, 52*pacing.Week)
		b.ReportMetric(float64(calls), "reserves")
	}
}

func TestMemLimiterSimulationLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	start := time.Now()
	calls := simulate(t, pacing.NewMemLimiter(), 200, 52*pacing.Week)
	t.Logf("%d reserves in %v (%v each)", calls, time.Since(start), time.Since(start)/time.Duration(calls))
}
