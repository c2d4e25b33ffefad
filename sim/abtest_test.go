package sim

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// abRun simulates one campaign of five senders (about 100 invitations a
// day) testing three note variants with the given true acceptance rates,
// and returns the variants of the first n invitations in sending order.
func abRun(t *testing.T, rates map[string]float64, strategy string, seed int64, n int) []string {
	const senders = 5
	t.Helper()
	var accts, ids []string
	for i := range senders {
		id := fmt.Sprintf("s%d", i)
		ids = append(ids, id)
		accts = append(accts, "id: "+id+"\ntier: premium\n")
	}
	var rs []string
	for v, r := range rates {
		rs = append(rs, fmt.Sprintf("%s: %g", v, r))
	}
	spec := worldSpec{
		defaults:  "days: [mon, tue, wed, thu, fri, sat, sun]\nhours: \"08:00-20:00\"\n",
		accounts:  accts,
		sandbox:   "decline_rate: 0.05\nvariant_accept_rates: {" + strings.Join(rs, ", ") + "}\n",
		prospects: 4000,
		campaigns: []string{"name: ab\naccounts: [" + strings.Join(ids, ", ") + "]\n" +
			"ab_test: {strategy: " + strategy + "}\n" +
			"steps:\n  - connect:\n      note:\n        variants:\n" +
			"          - {name: a, text: \"Hi {{.first_name}}, glad to connect.\"}\n" +
			"          - {name: b, text: \"Hello {{.first_name}}! Shall we connect?\"}\n" +
			"          - {name: c, text: \"{{.first_name}}, your work at {{.company}} caught my eye.\"}\n"},
	}
	w := buildWorld(t, spec)
	opt := w.options()
	opt.Start = time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC)
	opt.Days = 35
	opt.Seed = seed
	var got []string
	opt.OnEvent = func(ev Event) {
		if ev.Event == "invited" {
			got = append(got, ev.Variant)
		}
	}
	if _, err := Run(context.Background(), opt); err != nil {
		t.Fatal(err)
	}
	if len(got) < n {
		t.Fatalf("seed %d: only %d invitations in %d days, want %d", seed, len(got), opt.Days, n)
	}
	return got[:n]
}

func shares(vs []string) map[string]float64 {
	out := map[string]float64{}
	for _, v := range vs {
		out[v] += 1 / float64(len(vs))
	}
	return out
}

// abSeeds are the simulations each A/B test runs (the sandbox's people
// and the planner's choices both follow the seed): 1-100, or AB_SEEDS
// from AB_FIRST_SEED+1. It reads the environment when a test runs, not
// at package init, so that go test's cache sees the variables.
func abSeeds() []int64 {
	n := 100
	if v, err := strconv.Atoi(os.Getenv("AB_SEEDS")); err == nil && v > 0 {
		n = v // a wider look: AB_SEEDS=300 AB_FIRST_SEED=100 go test -count=1 -run Thompson -v ./sim
	}
	first, _ := strconv.Atoi(os.Getenv("AB_FIRST_SEED"))
	out := make([]int64, n)
	for i := range out {
		out[i] = int64(first + i + 1)
	}
	return out
}

// defaultSeeds reports whether the tests run on seeds 1-100, where the
// counts below were measured.
func defaultSeeds(seeds []int64) bool { return len(seeds) == 100 && seeds[0] == 1 }

// The A/B targets of issue 6, and what the Thompson strategy reaches in
// simulation: five senders (about 100 invitations a day), answers at the
// platform's delays (63% within a day), 2,000 invitations per seed.
// Measured 2026-11-22 on seeds 1-100 (seeds 1-40 were used to choose the
// strategy's settings) and, in brackets, on seeds 101-400 (never used):
//
//   - true rates 18%, 25%, 32%: on average 94.0% [92.8%] of invitations
//     1,501-2,000 go to the best, at least 80% in 91 of 100 seeds [83%],
//     never under 59% [49%]; the expected acceptance of the 2,000 is on
//     average 91.9% [91.6%] of sending only the best, at least 90% in 80
//     of 100 [73%], never under 86.1% [84.5%];
//   - equal rates: the least-sent variant gets on average 25.2% [23.6%] of
//     the sends, at least 20% in 86 of 100 seeds [71%], never under 9.5%
//     [6.6%].
//
// So the targets hold on average and in most campaigns, not in every one:
// 2,000 invitations cannot tell a 7-point gap from chance much better.
// Finding the 32% variant fast enough for the first two targets needs
// decisions at about two standard deviations, and equal variants cross
// that line by chance. A search over some 200 settings of the strategy in
// a fast model of this simulation and 20 in it (on seeds 401-600), and
// three variations (a soft contention band, Thompson draws within a margin
// of the best counted as ties, a fixed share of exploration), found none
// clearly better on all three at once. The tests assert the averages,
// and the per-seed counts and floors measured with a little room, so that
// a change for the worse fails.

// TestThompsonFindsTheBestVariant: 18%, 25% and 32%.
func TestThompsonFindsTheBestVariant(t *testing.T) {
	rates := map[string]float64{"a": 0.18, "b": 0.25, "c": 0.32}
	seeds := abSeeds()
	lastOK, accOK := 0, 0
	var lastSum, accSum float64
	for _, seed := range seeds {
		vs := abRun(t, rates, "thompson", seed, 2000)
		last := shares(vs[1500:])
		exp := 0.0
		for _, v := range vs {
			exp += rates[v] / float64(len(vs))
		}
		all := shares(vs)
		t.Logf("seed %d: last 500 %.0f%% best; expected acceptance %.3f (%.1f%% of the best's %.2f); shares of 2000 a %.3f b %.3f c %.3f",
			seed, 100*last["c"], exp, 100*exp/rates["c"], rates["c"], all["a"], all["b"], all["c"])
		lastSum += last["c"]
		accSum += exp / rates["c"]
		if last["c"] >= 0.8 {
			lastOK++
		}
		if exp >= 0.9*rates["c"] {
			accOK++
		}
		if last["c"] < 0.45 {
			t.Errorf("seed %d: %.1f%% of the last 500 went to the best variant", seed, 100*last["c"])
		}
		if exp < 0.83*rates["c"] {
			t.Errorf("seed %d: expected acceptance %.3f, below 83%% of the best's %.2f", seed, exp, rates["c"])
		}
	}
	n := float64(len(seeds))
	t.Logf("on average %.1f%% of the last 500 to the best (at least 80%% in %d of %d seeds); expected acceptance %.1f%% of the best's (at least 90%% in %d)",
		100*lastSum/n, lastOK, len(seeds), 100*accSum/n, accOK)
	if lastSum/n < 0.8 || accSum/n < 0.9 {
		t.Errorf("on average %.1f%% of the last 500 to the best (want >= 80%%), %.1f%% of its acceptance (want >= 90%%)", 100*lastSum/n, 100*accSum/n)
	}
	if defaultSeeds(seeds) && (lastOK < 88 || accOK < 76) {
		t.Errorf("80%% of the last 500 in %d of 100 seeds (want >= 88), 90%% of the best's acceptance in %d (want >= 76)", lastOK, accOK)
	}
}

// TestThompsonStarvesNoEqualVariant: equal rates (25% each).
func TestThompsonStarvesNoEqualVariant(t *testing.T) {
	rates := map[string]float64{"a": 0.25, "b": 0.25, "c": 0.25}
	seeds := abSeeds()
	ok, sum := 0, 0.0
	for _, seed := range seeds {
		sh := shares(abRun(t, rates, "thompson", seed, 2000))
		least := min(sh["a"], sh["b"], sh["c"])
		t.Logf("seed %d: a %.3f b %.3f c %.3f", seed, sh["a"], sh["b"], sh["c"])
		sum += least
		if least < 0.06 {
			t.Errorf("seed %d: a variant got %.1f%% of 2000 sends", seed, 100*least)
		}
		if least >= 0.2 {
			ok++
		}
	}
	avg := sum / float64(len(seeds))
	t.Logf("the least-sent variant gets %.1f%% on average; every variant at 20%% of the sends in %d of %d seeds", 100*avg, ok, len(seeds))
	if avg < 0.2 {
		t.Errorf("the least-sent variant gets %.1f%% of the sends on average, want >= 20%%", 100*avg)
	}
	if defaultSeeds(seeds) && ok < 82 {
		t.Errorf("%d of 100 seeds keep every variant at 20%% of the sends, want >= 82", ok)
	}
}

// TestUniformKeepsItsWeights: the uniform strategy ignores the evidence.
func TestUniformKeepsItsWeights(t *testing.T) {
	rates := map[string]float64{"a": 0.18, "b": 0.25, "c": 0.32}
	vs := abRun(t, rates, "uniform", 1, 2000)
	for v, s := range shares(vs) {
		if s < 0.29 || s > 0.38 {
			t.Errorf("uniform, equal weights: %s got %.1f%%", v, 100*s)
		}
	}
}
