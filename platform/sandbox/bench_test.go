package sandbox

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/platform"
)

// BenchmarkInviteAdvance measures what `outreach simulate` costs the model:
// 1,000 accounts inviting in turn, one invitation every 4 virtual seconds
// (about 150 an account a week), with the clock advanced after each. The
// callers' keys are built outside the timer. cpu-ns/op is the process's CPU
// time (garbage collection included) per invitation, steadier than ns/op on
// a busy machine. retained-B/op is the heap the
// model still holds per invitation at the end (record, idempotency key,
// relationship, scheduled answer; not the key strings themselves). The
// restrict modes add the default RestrictionRules (but no pending ceiling:
// nothing is ever refused), whose cost they measure.
func BenchmarkInviteAdvance(b *testing.B) {
	for _, mode := range []struct {
		name           string
		violationsOnly bool
		restrict       bool
	}{{"record", false, false}, {"violations-only", true, false}, {"record+restrict", false, true}, {"violations-only+restrict", true, true}} {
		b.Run(mode.name, func(b *testing.B) {
			const accounts = 1000
			ids := make([]string, accounts)
			accts := make(map[string]Account, accounts)
			for i := range ids {
				ids[i] = fmt.Sprintf("acct-%04d", i)
				accts[ids[i]] = Account{Weekly: 200, NoteChars: 300, NotesPerMonth: Unlimited}
			}
			const chunk = 1 << 14
			keys, persons := make([]string, chunk), make([]string, chunk)
			ctx := context.Background()
			var before runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			opt := Options{Accounts: accts, ViolationsOnly: mode.violationsOnly}
			if mode.restrict {
				opt.Restrictions = &RestrictionRules{MaxPending: math.MaxInt32}
			}
			m := New(opt)
			var cpu, cpuStart time.Duration
			b.ReportAllocs()
			b.ResetTimer()
			cpuStart, cpuOK := cpuTime()
			for i := 0; i < b.N; i++ {
				j := i % chunk
				if j == 0 {
					b.StopTimer()
					c, _ := cpuTime()
					cpu += c - cpuStart
					for k := range keys {
						persons[k] = fmt.Sprintf("https://www.linkedin.com/in/person-%09d", i+k)
						keys[k] = "campaign-q1/" + persons[k][28:] + "/connect"
					}
					cpuStart, _ = cpuTime()
					b.StartTimer()
				}
				at := t0.Add(time.Duration(i) * 4 * time.Second)
				err := m.Invite(ctx, platform.Invite{
					Action:  platform.Action{Key: keys[j], Account: ids[i%accounts], Person: persons[j], Campaign: "campaign-q1", At: at},
					Variant: "event", Note: "Hi Ana, great meeting you at FinTech Week. Would love to connect!",
				})
				if err != nil {
					b.Fatal(err)
				}
				m.Advance(at)
			}
			b.StopTimer()
			c, _ := cpuTime()
			cpu += c - cpuStart
			if cpuOK {
				b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
			}
			var after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&after)
			if b.N >= 100000 {
				b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/float64(b.N), "retained-B/op")
			}
			runtime.KeepAlive(m)
		})
	}
}
