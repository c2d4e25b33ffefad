package metrics_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/internal/redistest"
	"github.com/outreach-scheduler/outreach/lifecycle"
	"github.com/outreach-scheduler/outreach/metrics"
	"github.com/outreach-scheduler/outreach/pacing"
)

// BenchmarkScrape is one scrape of the collector on a real redis-server:
// the stats of 10 campaigns x 3 variants over every account, and each
// account's usage from the Redis limiter. The baseline is one PING per
// account on the same connection (the round trips a scrape cannot avoid
// with one usage read per account).
func BenchmarkScrape(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		b.Run(fmt.Sprintf("accounts=%d", n), func(b *testing.B) {
			ctx := context.Background()
			rs := redistest.Start(b)
			var y strings.Builder
			y.WriteString("accounts:\n")
			for i := range n {
				fmt.Fprintf(&y, "  - {id: a%d, tier: premium}\n", i)
			}
			cfg, fs := config.Parse("config.yaml", []byte(y.String()))
			if fs.HasErrors() {
				b.Fatal(fs.Strings())
			}
			st := metrics.NewStats(rs.Client(), "")
			var batch metrics.Batch
			for _, a := range cfg.Accounts {
				for c := range 10 {
					for _, v := range []string{"blank", "v1", "v2"} {
						batch.Add(ev(lifecycle.EvInvited, fmt.Sprintf("c%d", c), a.ID, v))
						batch.Add(ev(lifecycle.EvAccepted, fmt.Sprintf("c%d", c), a.ID, v))
					}
				}
				batch.SetOldest(a.ID, t0)
			}
			if err := st.Commit(ctx, "", "1-0", &batch, t0); err != nil {
				b.Fatal(err)
			}
			lim, err := pacing.NewRedisLimiter(rs.Client())
			if err != nil {
				b.Fatal(err)
			}
			c := metrics.NewCollector(metrics.CollectorOptions{Config: cfg, Stats: st, Limiter: lim, Now: func() time.Time { return t0 }})
			reg := prometheus.NewRegistry()
			reg.MustRegister(c)

			start := time.Now()
			for range 20 {
				for range cfg.Accounts {
					rs.Client().Ping(ctx)
				}
			}
			ping := time.Since(start) / 20

			b.ResetTimer()
			series := 0
			for b.Loop() {
				fams, err := reg.Gather()
				if err != nil {
					b.Fatal(err)
				}
				series = 0
				for _, f := range fams {
					series += len(f.GetMetric())
				}
			}
			b.ReportMetric(float64(series), "series")
			b.ReportMetric(float64(ping.Microseconds())/1000, "ping_baseline_ms")
		})
	}
}
