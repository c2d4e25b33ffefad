package limitertest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/outreach-scheduler/outreach/pacing"
)

// race runs the requests on workers goroutines at once and returns their
// decisions, by index.
func race(h *harness, workers int, reqs []pacing.Request) []pacing.Decision {
	h.Helper()
	out := make([]pacing.Decision, len(reqs))
	next := make(chan int)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			<-start
			for i := range next {
				d, err := h.l.Reserve(h.ctx, reqs[i])
				if err != nil {
					h.Errorf("Reserve(%+v): %v", reqs[i], err)
				}
				out[i] = d
			}
		})
	}
	close(start)
	for i := range reqs {
		next <- i
	}
	close(next)
	wg.Wait()
	if h.Failed() {
		h.FailNow()
	}
	return out
}

func countGranted(ds []pacing.Decision) int {
	n := 0
	for _, d := range ds {
		if d.Granted {
			n++
		}
	}
	return n
}

func init() {
	// 50 workers race for the last 3 slots of a week: exactly 3 win.
	register("ConcurrentLastSlots", func(h *harness) {
		r := caps(10)
		for i := range 7 {
			h.grant("a", fmt.Sprintf("old-%d", i), t0.Add(time.Duration(i)*time.Hour), false, r)
		}
		reqs := make([]pacing.Request, 200)
		for i := range reqs {
			at := t0.Add(day + time.Duration(i)*time.Second) // distinct times, all in the week
			reqs[i] = pacing.Request{Account: "a", ID: fmt.Sprintf("new-%d", i), At: at, Rules: r}
		}
		ds := race(h, 50, reqs)
		if n := countGranted(ds); n != 3 {
			h.Fatalf("granted %d of the last 3 slots", n)
		}
		for i, d := range ds {
			if !d.Granted && (d.Denial != pacing.DenyWeekly || d.RetryAt.IsZero()) {
				h.Fatalf("request %d: %+v, want a weekly denial with RetryAt", i, d)
			}
		}
		h.wantWeek("a", t0.Add(2*day), 10)
	})

	// Racing sends at 10 s steps with a 1 min gap: the winners keep the gap,
	// and every loser was blocked by a winner, so the set is maximal.
	register("ConcurrentGap", func(h *harness) {
		r := caps(1000)
		r.MinGap = time.Minute
		reqs := make([]pacing.Request, 200)
		for i := range reqs {
			reqs[i] = pacing.Request{Account: "a", ID: fmt.Sprint(i), At: t0.Add(time.Duration(i) * 10 * time.Second), Rules: r}
		}
		rng := rand.New(rand.NewPCG(1, 2))
		rng.Shuffle(len(reqs), func(i, j int) { reqs[i], reqs[j] = reqs[j], reqs[i] })
		ds := race(h, 50, reqs)
		var won []time.Time
		for i, d := range ds {
			if d.Granted {
				won = append(won, reqs[i].At)
			} else if d.Denial != pacing.DenyGap {
				h.Fatalf("request %d: %+v, want a gap denial", i, d)
			}
		}
		slices.SortFunc(won, time.Time.Compare)
		for i := 1; i < len(won); i++ {
			if won[i].Sub(won[i-1]) < time.Minute {
				h.Fatalf("granted %v and %v, closer than the gap", won[i-1], won[i])
			}
		}
		// each winner blocks at most 11 of the 200 times
		if len(won) < 19 {
			h.Fatalf("granted %d, want a maximal set (>= 19)", len(won))
		}
	})

	register("ConcurrentSameID", func(h *harness) {
		reqs := make([]pacing.Request, 100)
		for i := range reqs {
			reqs[i] = pacing.Request{Account: "a", ID: "same", At: t0.Add(time.Duration(i) * time.Second), Rules: caps(5)}
		}
		ds := race(h, 50, reqs)
		fresh := 0
		for i, d := range ds {
			if !d.Granted {
				h.Fatalf("request %d: %+v, want granted", i, d)
			}
			if !d.Existing {
				fresh++
			}
		}
		if fresh != 1 {
			h.Fatalf("%d new grants of one ID, want 1", fresh)
		}
		h.wantWeek("a", t0.Add(time.Hour), 1)
	})

	register("ConcurrentDailyAndNotes", func(h *harness) {
		var reqs []pacing.Request
		for i := range 100 {
			at := t0.Add(time.Duration(i) * time.Second)
			reqs = append(reqs,
				pacing.Request{Account: "daily", ID: fmt.Sprint(i), At: at, Rules: inDay(caps(100), 5, at)},
				pacing.Request{Account: "notes", ID: fmt.Sprint(i), At: at, Note: true, Rules: inMonth(caps(100), 3, at)},
			)
		}
		ds := race(h, 50, reqs)
		got := map[string]int{}
		for i, d := range ds {
			if d.Granted {
				got[reqs[i].Account]++
			} else if want := map[string]pacing.Denial{"daily": pacing.DenyDaily, "notes": pacing.DenyNoteAllowance}[reqs[i].Account]; d.Denial != want {
				h.Fatalf("request %+v: %+v, want %q", reqs[i], d, want)
			}
		}
		if got["daily"] != 5 || got["notes"] != 3 {
			h.Fatalf("granted %v, want daily 5, notes 3", got)
		}
	})

	// Ten accounts race at once, with releases of some grants.
	register("ConcurrentAccountsAndReleases", func(h *harness) {
		var reqs []pacing.Request
		for i := range 40 {
			for a := range 10 {
				reqs = append(reqs, pacing.Request{
					Account: fmt.Sprintf("acct-%d", a), ID: fmt.Sprint(i),
					At: t0.Add(time.Duration(i) * time.Minute), Rules: caps(7),
				})
			}
		}
		ds := race(h, 50, reqs)
		held := map[string]int{}
		for i, d := range ds {
			if d.Granted {
				held[reqs[i].Account]++
			}
		}
		for a := range 10 {
			name := fmt.Sprintf("acct-%d", a)
			if held[name] != 7 {
				h.Fatalf("%s: granted %d, want 7", name, held[name])
			}
		}
		// release the odd grants of every account from 50 goroutines while
		// the same goroutines reserve more: never more than 7 held
		var rel, more []pacing.Request
		for i, d := range ds {
			if d.Granted && i%2 == 1 {
				rel = append(rel, reqs[i])
			}
		}
		for i := range 40 {
			for a := range 10 {
				more = append(more, pacing.Request{
					Account: fmt.Sprintf("acct-%d", a), ID: fmt.Sprint("more-", i),
					At: t0.Add(time.Hour + time.Duration(i)*time.Minute), Rules: caps(7),
				})
			}
		}
		var wg sync.WaitGroup
		wg.Go(func() {
			for _, r := range rel {
				if err := h.l.Release(h.ctx, r.Account, r.ID); err != nil {
					h.Errorf("Release: %v", err)
				}
			}
		})
		race(h, 50, more)
		wg.Wait()
		for a := range 10 {
			name := fmt.Sprintf("acct-%d", a)
			if u := h.usage(name, t0.Add(2*time.Hour), caps(7)); u.Week > 7 {
				h.Fatalf("%s: %+v, want at most 7", name, u)
			}
		}
	})
}
