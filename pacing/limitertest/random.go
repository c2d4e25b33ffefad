package limitertest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/outreach-scheduler/outreach/pacing"
)

func init() {
	register("InvalidRequests", func(h *harness) {
		ok := pacing.Request{Account: "a", ID: "1", At: t0, Rules: caps(5)}
		bad := map[string]func(r *pacing.Request){
			"upper-case account":      func(r *pacing.Request) { r.Account = "Alice" },
			"empty account":           func(r *pacing.Request) { r.Account = "" },
			"long account":            func(r *pacing.Request) { r.Account = string(make([]byte, 64)) },
			"account with a brace":    func(r *pacing.Request) { r.Account = "a}b" },
			"empty ID":                func(r *pacing.Request) { r.ID = "" },
			"long ID":                 func(r *pacing.Request) { r.ID = string(make([]byte, pacing.MaxIDLength+1)) },
			"zero time":               func(r *pacing.Request) { r.At = time.Time{} },
			"negative weekly":         func(r *pacing.Request) { r.Rules.Weekly = -1 },
			"negative gap":            func(r *pacing.Request) { r.Rules.MinGap = -time.Second },
			"gap over a day":          func(r *pacing.Request) { r.Rules.MinGap = 25 * time.Hour },
			"daily without a day":     func(r *pacing.Request) { r.Rules.Daily = 3 },
			"daily -2":                func(r *pacing.Request) { r.Rules = inDay(r.Rules, -2, t0) },
			"time after the day":      func(r *pacing.Request) { r.Rules = inDay(r.Rules, 3, t0.Add(-day)) },
			"day of two days":         func(r *pacing.Request) { r.Rules = inDay(r.Rules, 3, t0); r.Rules.DayEnd = r.Rules.DayEnd.Add(day) },
			"note without a month":    func(r *pacing.Request) { r.Note = true; r.Rules.NotesPerMonth = 5 },
			"note before its month":   func(r *pacing.Request) { r.Note = true; r.Rules = inMonth(r.Rules, 5, t0.AddDate(0, 1, 0)) },
			"negative notes (not -1)": func(r *pacing.Request) { r.Rules.NotesPerMonth = -2 },
		}
		for name, mutate := range bad {
			r := ok
			mutate(&r)
			_, err := h.l.Reserve(h.ctx, r)
			h.wantErr("Reserve with "+name, err, pacing.ErrInvalidRequest)
		}
		h.wantErr("Release", h.l.Release(h.ctx, "a{x}", "1"), pacing.ErrInvalidRequest)
		h.wantErr("Release", h.l.Release(h.ctx, "A", "1"), pacing.ErrInvalidRequest)
		h.wantErr("Release", h.l.Release(h.ctx, "a", ""), pacing.ErrInvalidRequest)
		h.wantErr("Pause", h.l.Pause(h.ctx, "", t0), pacing.ErrInvalidRequest)
		_, err := h.l.Usage(h.ctx, "a b", t0, caps(1))
		h.wantErr("Usage", err, pacing.ErrInvalidRequest)
		// nothing was recorded
		h.grant("a", "1", t0, false, caps(1))
	})

	// Sends leave the send log after pacing.SendRetention (their IDs are
	// forgotten), notes stay in the note log for the whole month.
	register("RetentionKeepsNotes", func(h *harness) {
		march := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
		r := func(at time.Time) pacing.Rules { return inMonth(caps(100), 5, at) }
		for i := range 5 {
			at := march.AddDate(0, 0, i)
			h.grant("a", fmt.Sprint("n", i), at, true, r(at))
		}
		late := march.AddDate(0, 0, 19)
		h.deny("a", "x", late, true, r(late), pacing.DenyNoteAllowance, time.Time{})
		h.grant("a", "n0", late, false, r(late)) // forgotten ID: a new send
		h.wantErr("Release new n0", h.l.Release(h.ctx, "a", "n0"), nil)
		h.grant("a", "n0", late.Add(time.Minute), false, r(late))
		h.deny("a", "y", late.Add(2*time.Minute), true, r(late), pacing.DenyNoteAllowance, time.Time{})
		if u := h.usage("a", late.Add(time.Hour), r(late)); u.NotesMonth != 5 || u.Week != 1 || !u.Last.Equal(late.Add(time.Minute)) {
			h.Fatalf("Usage = %+v, want 5 notes this month, 1 send this week", u)
		}
		april := march.AddDate(0, 1, 0)
		h.grant("a", "z", april, true, r(april))
	})

	// Months of steady sending: no week ever holds more than the cap, and
	// the cap is used (sends every 5 hours, cap 10 a week).
	register("LongRun", func(h *harness) {
		r := caps(10)
		r.MinGap = time.Hour
		var won []time.Time
		for i := range 24 * 90 / 5 {
			at := t0.Add(time.Duration(i) * 5 * time.Hour)
			if d := h.try("a", fmt.Sprint(i), at, false, r); d.Granted {
				won = append(won, at)
			}
		}
		for i := range won {
			j := i
			for j < len(won) && won[j].Sub(won[i]) < week {
				j++
			}
			if j-i > 10 {
				h.Fatalf("%d sends in the week from %v", j-i, won[i])
			}
		}
		if len(won) < 10*90/7 {
			h.Fatalf("%d sends in 90 days at 10 a week", len(won))
		}
		now := t0.Add(90 * day)
		n := 0
		for _, w := range won {
			if w.After(now.Add(-week)) && !w.After(now) {
				n++
			}
		}
		h.wantWeek("a", now, n)
	})

	register("MatchesReference", randomAgainstReference)
}

// randomAgainstReference replays a random mix of reserves (clock skew,
// changing rules), re-reserves, releases, pauses and usage reads on
// the limiter and on the naive reference model, and wants the same answer to
// every call.
func randomAgainstReference(h *harness) {
	const seed, steps = 20260302, 3000
	rng := rand.New(rand.NewPCG(seed, seed))
	ref := newReference()
	accounts := []string{"a", "b"}
	clock := map[string]time.Time{"a": t0, "b": t0.Add(time.Hour)}
	ids := map[string][]string{}
	seen := map[string]int{}
	pick := func(xs ...int) int { return xs[rng.IntN(len(xs))] }
	fail := func(step int, format string, args ...any) {
		h.Helper()
		h.Fatalf("seed %d step %d: %s", seed, step, fmt.Sprintf(format, args...))
	}
	for step := range steps {
		acct := accounts[rng.IntN(len(accounts))]
		switch p := rng.IntN(100); {
		case p < 40:
			clock[acct] = clock[acct].Add(time.Duration(rng.IntN(30)+1) * time.Minute)
		case p < 95:
			clock[acct] = clock[acct].Add(time.Duration(rng.IntN(360)+30) * time.Minute)
		default:
			clock[acct] = clock[acct].Add(time.Duration(rng.IntN(48)+24) * time.Hour)
		}
		now := clock[acct]
		known := ids[acct]
		recent := func() string {
			if len(known) == 0 {
				return "none"
			}
			return known[max(0, len(known)-1-rng.IntN(40))]
		}
		switch op := rng.IntN(100); {
		case op < 88:
			at := now
			switch rng.IntN(20) {
			case 0, 1, 2: // another worker's clock
				at = at.Add(time.Duration(rng.IntN(4*3600)-2*3600) * time.Second)
			case 3: // far off: the rules hold whatever At says
				at = at.Add(time.Duration(rng.IntN(6*24*60)-3*24*60) * time.Minute)
			}
			r := caps(pick(0, 3, 5, 8, 12, 20))
			if daily := pick(pacing.Unlimited, pacing.Unlimited, 1, 2, 3); daily != pacing.Unlimited {
				r = inDay(r, daily, at)
			}
			r.MinGap = time.Duration(pick(0, 0, 10, 60, 180)) * time.Minute
			if notes := pick(pacing.Unlimited, 0, 1, 3); notes != pacing.Unlimited {
				r = inMonth(r, notes, at)
			}
			id := fmt.Sprint(step)
			if op < 8 {
				id = recent()
			} else {
				ids[acct] = append(known, id)
			}
			req := pacing.Request{Account: acct, ID: id, At: at, Note: rng.IntN(2) == 0, Rules: r}
			got, err := h.l.Reserve(h.ctx, req)
			if err != nil {
				fail(step, "Reserve(%+v): %v", req, err)
			}
			want := ref.reserve(req)
			if got.Granted != want.Granted || got.Existing != want.Existing || got.Denial != want.Denial || !got.RetryAt.Equal(want.RetryAt) {
				fail(step, "Reserve(%+v)\n got %+v\nwant %+v\nsends %v", req, got, want, sortedTimes(ref.account(acct).times()))
			}
			switch {
			case got.Existing:
				seen["existing"]++
			case got.Granted:
				seen["granted"]++
			default:
				seen[string(got.Denial)]++
			}
		case op < 95:
			id := recent()
			got, want := h.l.Release(h.ctx, acct, id), ref.release(acct, id)
			if !sameErr(got, want) {
				fail(step, "Release(%s, %s) = %v, want %v", acct, id, got, want)
			}
		case op < 96:
			until := now.Add(time.Duration(rng.IntN(24*60)) * time.Minute)
			if err := h.l.Pause(h.ctx, acct, until); err != nil {
				fail(step, "Pause: %v", err)
			}
			ref.pauseUntil(acct, until)
		default:
			at := now.Add(time.Duration(rng.IntN(48*60)-24*60) * time.Minute)
			r := inMonth(inDay(caps(0), 0, at), 0, at)
			got, err := h.l.Usage(h.ctx, acct, at, r)
			if err != nil {
				fail(step, "Usage: %v", err)
			}
			want := ref.usage(acct, at, r)
			if got.Week != want.Week || got.Day != want.Day || got.NotesMonth != want.NotesMonth ||
				!got.Last.Equal(want.Last) || !got.PausedUntil.Equal(want.PausedUntil) {
				fail(step, "Usage(%s, %v)\n got %+v\nwant %+v", acct, at, got, want)
			}
		}
	}
	// the mix must have exercised every outcome
	for _, k := range []string{"granted", "existing", "paused", "weekly", "daily", "gap", "note_allowance"} {
		if seen[k] < 10 {
			h.Fatalf("only %d %q outcomes in %d steps: %v", seen[k], k, steps, seen)
		}
	}
	h.Logf("outcomes: %v", seen)
}

func sameErr(got, want error) bool {
	if want == nil {
		return got == nil
	}
	return errors.Is(got, want)
}
