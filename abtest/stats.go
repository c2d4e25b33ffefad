package abtest

import (
	"math"
	"math/rand/v2"
)

// Beta draws from the Beta(a, b) distribution (a, b > 0), as
// X/(X+Y) with X ~ Gamma(a), Y ~ Gamma(b).
func Beta(r *rand.Rand, a, b float64) float64 {
	x := Gamma(r, a)
	y := Gamma(r, b)
	if x+y == 0 {
		return 0.5
	}
	return x / (x + y)
}

// Gamma draws from the Gamma(shape, 1) distribution (shape > 0), by
// Marsaglia and Tsang's method (2000); shape < 1 is boosted with
// Gamma(shape+1) x U^(1/shape).
func Gamma(r *rand.Rand, shape float64) float64 {
	if shape < 1 {
		u := r.Float64()
		for u == 0 {
			u = r.Float64()
		}
		return Gamma(r, shape+1) * math.Pow(u, 1/shape)
	}
	d := shape - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := r.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := r.Float64()
		if u < 1-0.0331*x*x*x*x {
			return d * v
		}
		if u > 0 && math.Log(u) < 0.5*x*x+d*(1-v+math.Log(v)) {
			return d * v
		}
	}
}

// Z95 is the normal quantile of a two-sided 95% interval.
const Z95 = 1.959963984540054

// Wilson returns the Wilson score interval of a proportion with
// successes out of n trials (n may be fractional) at normal quantile z.
// With n = 0 it is [0, 1].
func Wilson(successes, n, z float64) (lo, hi float64) {
	if n <= 0 {
		return 0, 1
	}
	p := min(max(successes/n, 0), 1)
	z2 := z * z
	den := 1 + z2/n
	center := (p + z2/(2*n)) / den
	half := z * math.Sqrt(p*(1-p)/n+z2/(4*n*n)) / den
	return max(center-half, 0), min(center+half, 1)
}

// ProbBest estimates, by draws samples of each arm's posterior
// Beta(alphas[i], betas[i]), the probability that each arm has the
// highest acceptance rate.
func ProbBest(r *rand.Rand, alphas, betas []float64, draws int) []float64 {
	out := make([]float64, len(alphas))
	if len(alphas) == 0 || draws <= 0 {
		return out
	}
	for range draws {
		best, bestV := 0, -1.0
		for i := range alphas {
			if v := Beta(r, alphas[i], betas[i]); v > bestV {
				best, bestV = i, v
			}
		}
		out[best]++
	}
	for i := range out {
		out[i] /= float64(draws)
	}
	return out
}
