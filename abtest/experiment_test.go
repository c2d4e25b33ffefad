package abtest

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

// TestPendingCountsByAge: every invitation counts as F(age) of a trial,
// so unanswered invitations are not rejections until they are old enough.
func TestPendingCountsByAge(t *testing.T) {
	x := New(Options{Arms: []Arm{{Name: "a"}, {Name: "b"}}})
	for range 100 {
		x.Sent(0, t0)
	}
	for range 10 {
		x.Resolved(0, true)
	}
	s := x.Summary(t0.Add(time.Hour), rand.New(rand.NewPCG(1, 1)), 100)[0]
	// An hour later the 100 count F(3h) = 0.63 x 3/24 each (bucket middle).
	if math.Abs(s.Trials-7.875) > 0.01 {
		t.Errorf("an hour after sending: %.3f trials, want 100 x 0.07875", s.Trials)
	}
	if s.Pending != 90 || s.Sent != 100 || s.Accepted != 10 {
		t.Errorf("summary %+v", s)
	}
	s = x.Summary(t0.Add(8*24*time.Hour), rand.New(rand.NewPCG(1, 1)), 100)[0]
	if want := 100 * (0.88 + 0.11*(1+3.0/24)/23); math.Abs(s.Trials-want) > 0.01 {
		t.Errorf("eight days later: %.2f trials, want %.2f (F(8d 3h))", s.Trials, want)
	}
	// Past the ring (30 days) a pending invitation counts fully, and
	// sending in the reused slot keeps the count exact.
	x.Sent(0, t0.Add(30*24*time.Hour))
	s = x.Summary(t0.Add(61*24*time.Hour), rand.New(rand.NewPCG(1, 1)), 100)[0]
	want := 100 + 0.99 + 0.01*(1+3.0/24)/30
	if math.Abs(s.Trials-want) > 0.01 || s.Pending != 91 {
		t.Errorf("after 61 days: %.3f trials, %d pending; want %.3f, 91", s.Trials, s.Pending, want)
	}
	x.Resolved(0, false)
	s = x.Summary(t0.Add(61*24*time.Hour), rand.New(rand.NewPCG(1, 1)), 100)[0]
	if math.Abs(s.Trials-want) > 0.01 || s.Pending != 90 {
		t.Errorf("a decline moves a pending invitation to answered: %.2f trials, %d pending", s.Trials, s.Pending)
	}
}

// TestPickRules: disabled arms are never picked, uniform follows the
// weights, min_samples explores first, and Thompson follows the evidence.
func TestPickRules(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	x := New(Options{Strategy: Uniform, Arms: []Arm{{Name: "a", Weight: 3}, {Name: "b", Weight: 1}, {Name: "c", Weight: 5, Disabled: true}}})
	counts := make([]int, 3)
	for range 40000 {
		counts[x.Pick([]int{0, 1, 2}, t0, r)]++
	}
	if counts[2] != 0 {
		t.Errorf("a disabled arm was picked %d times", counts[2])
	}
	if share := float64(counts[0]) / 40000; math.Abs(share-0.75) > 0.01 {
		t.Errorf("uniform with weights 3:1 gave the first %.3f", share)
	}
	if got := x.Pick([]int{2}, t0, r); got != -1 {
		t.Errorf("only a disabled candidate: picked %d, want -1", got)
	}

	x = New(Options{MinSamples: 50, Arms: []Arm{{Name: "a"}, {Name: "b"}}})
	for range 200 {
		x.Sent(0, t0.Add(-60*24*time.Hour))
		x.Resolved(0, true) // a: 100% accepted
	}
	for range 20 {
		if got := x.Pick([]int{0, 1}, t0, r); got != 1 {
			t.Fatalf("b has 0 of min_samples 50: picked %d", got)
		}
	}
	for range 50 {
		x.Sent(1, t0.Add(-60*24*time.Hour))
		x.Resolved(1, false) // b: 0%
	}
	// b (0/50) is shown worse than a (200/200): out of contention.
	for range 1000 {
		if x.Pick([]int{0, 1}, t0, r) == 1 {
			t.Fatal("b (0 of 50) picked over a (200 of 200)")
		}
	}

	// Early luck decides nothing: a day after sending 20 each, 3 quick
	// acceptances against none keep both in play (the prior, the early
	// contention band), and equal evidence splits the picks.
	x = New(Options{Arms: []Arm{{Name: "a"}, {Name: "b"}}})
	for range 20 {
		x.Sent(0, t0.Add(-24*time.Hour))
		x.Sent(1, t0.Add(-24*time.Hour))
	}
	for range 3 {
		x.Resolved(0, true)
	}
	picksB := 0
	for range 4000 {
		if x.Pick([]int{0, 1}, t0, r) == 1 {
			picksB++
		}
	}
	if picksB < 1000 {
		t.Errorf("after 3/20 against 0/20, b got %d of 4000 picks; want at least a quarter", picksB)
	}
}
