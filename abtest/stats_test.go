package abtest

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
)

// TestBetaMoments: the sample mean and variance of Beta(a, b) match
// a/(a+b) and ab/((a+b)^2(a+b+1)), for shapes below and above 1.
func TestBetaMoments(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct{ a, b float64 }{{1, 1}, {2, 5}, {0.5, 0.5}, {30, 70}, {0.3, 4}} {
		const n = 200000
		var sum, sq float64
		for range n {
			x := Beta(r, c.a, c.b)
			if x < 0 || x > 1 {
				t.Fatalf("Beta(%v,%v) = %v", c.a, c.b, x)
			}
			sum += x
			sq += x * x
		}
		mean := sum / n
		v := sq/n - mean*mean
		wantMean := c.a / (c.a + c.b)
		wantVar := c.a * c.b / ((c.a + c.b) * (c.a + c.b) * (c.a + c.b + 1))
		if math.Abs(mean-wantMean) > 5*math.Sqrt(wantVar/n) {
			t.Errorf("Beta(%v,%v): mean %.5f, want %.5f", c.a, c.b, mean, wantMean)
		}
		if math.Abs(v-wantVar)/wantVar > 0.03 {
			t.Errorf("Beta(%v,%v): variance %.6f, want %.6f", c.a, c.b, v, wantVar)
		}
	}
}

// TestBetaQuantiles compares sample quantiles with known values of the
// Beta CDF: Beta(2,5) has median 0.26445 and P(X <= 0.2) = 0.34464;
// Beta(1,1) is uniform.
func TestBetaQuantiles(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const n = 100000
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = Beta(r, 2, 5)
	}
	sort.Float64s(xs)
	if med := xs[n/2]; math.Abs(med-0.26445) > 0.004 {
		t.Errorf("Beta(2,5) median %.5f, want 0.26445", med)
	}
	below := sort.SearchFloat64s(xs, 0.2)
	if p := float64(below) / n; math.Abs(p-0.34464) > 0.005 {
		t.Errorf("Beta(2,5) P(X<=0.2) = %.5f, want 0.34464", p)
	}
	for i := range xs {
		xs[i] = Beta(r, 1, 1)
	}
	sort.Float64s(xs)
	for _, q := range []float64{0.1, 0.5, 0.9} {
		if v := xs[int(q*n)]; math.Abs(v-q) > 0.006 {
			t.Errorf("Beta(1,1) quantile %.1f = %.4f", q, v)
		}
	}
}

// TestWilson against published values (Wilson 1927; Newcombe 1998,
// table I: 81/263 -> 0.2553-0.3662; 15/148 -> 0.0624-0.1605; 0/20 ->
// 0-0.1611; 1/29 -> 0.0061-0.1718).
func TestWilson(t *testing.T) {
	for _, c := range []struct {
		s, n, lo, hi float64
	}{
		{81, 263, 0.2553, 0.3662},
		{15, 148, 0.0624, 0.1605},
		{0, 20, 0, 0.1611},
		{1, 29, 0.0061, 0.1718},
		{29, 29, 0.8830, 1},
	} {
		lo, hi := Wilson(c.s, c.n, Z95)
		if math.Abs(lo-c.lo) > 0.00006 || math.Abs(hi-c.hi) > 0.00006 {
			t.Errorf("Wilson(%v/%v) = [%.4f, %.4f], want [%.4f, %.4f]", c.s, c.n, lo, hi, c.lo, c.hi)
		}
	}
	if lo, hi := Wilson(0, 0, Z95); lo != 0 || hi != 1 {
		t.Errorf("no trials: [%v, %v], want [0, 1]", lo, hi)
	}
}

// TestProbBest: a clear winner gets almost all the probability, equal
// arms share it, and the result sums to 1. The exact value for two arms
// Beta(2,1) vs Beta(1,2) is P(X > Y) = 5/6.
func TestProbBest(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	p := ProbBest(r, []float64{2, 1}, []float64{1, 2}, 200000)
	if math.Abs(p[0]-5.0/6) > 0.005 || math.Abs(p[0]+p[1]-1) > 1e-9 {
		t.Errorf("Beta(2,1) vs Beta(1,2): %v, want [0.833, 0.167]", p)
	}
	p = ProbBest(r, []float64{321, 251, 181}, []float64{681, 751, 821}, 20000)
	if p[0] < 0.99 {
		t.Errorf("32%% vs 25%% vs 18%% over 1000 each: P(best) %v", p)
	}
	p = ProbBest(r, []float64{101, 101, 101}, []float64{301, 301, 301}, 30000)
	for i, v := range p {
		if math.Abs(v-1.0/3) > 0.02 {
			t.Errorf("equal arms: P(best)[%d] = %.3f", i, v)
		}
	}
}
