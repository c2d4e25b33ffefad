package abtest

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/outreach-scheduler/outreach/platform/responsedelay"
)

// Strategy names, as in the campaign's ab_test.strategy.
const (
	Thompson = "thompson"
	Uniform  = "uniform"
)

// Arm is one variant in the experiment.
type Arm struct {
	Name     string
	Weight   float64 // share under Uniform; ignored by Thompson
	Disabled bool    // stopped by hand: never chosen
}

// Options configure an Experiment.
type Options struct {
	Arms     []Arm
	Strategy string // Thompson (default) or Uniform
	// MinSamples: while a candidate arm has been sent fewer invitations,
	// Thompson picks among such arms at random (no adaptation yet).
	MinSamples int
	// Curve is the response-delay curve; nil: responsedelay.Default().
	// With a sandbox sped up by platform.sandbox.delay_scale, pass
	// sandbox.ResponseCurve(cfg).
	Curve responsedelay.Curve
}

// bucketWidth is the resolution of the invitations' ages, and ringLen the
// number of buckets kept (30 days); older invitations count fully.
const (
	bucketWidth = 6 * time.Hour
	ringLen     = 120
)

// The Thompson strategy's settings. They trade finding a better variant
// fast against keeping variants that only look worse by chance; measured
// over 40 simulated campaigns each (sim/abtest_test.go, README).
const (
	// priorStrength is the weight, in invitations, of the prior every arm
	// starts from: the campaign's pooled acceptance rate. It keeps the
	// first few answers from deciding the experiment (with a flat prior,
	// three quick acceptances out of five young invitations read as a 60%
	// variant).
	priorStrength = 20.0
	// An arm stays in contention while its posterior mean is less than z
	// standard deviations (of the difference) below the leader's; z falls
	// from zEarly to zLate as the arm's evidence grows to zRamp
	// invitations, so that an arm is not dropped on its first weeks' luck.
	zEarly = 3.0
	zLate  = 1.5
	zRamp  = 300.0
	// uniformShare of the picks go uniformly to an arm in contention, the
	// rest by Thompson sampling among all the candidates: Thompson sampling
	// alone lets equal arms drift apart by chance (an unlucky first week
	// and a variant gets a few percent of the sends), and an arm out of
	// contention keeps its chance of being best, so it can come back if it
	// was out by bad luck.
	uniformShare = 0.6
)

// Experiment keeps the evidence of each arm and picks arms. It is not safe
// for concurrent use (the planner owns it).
type Experiment struct {
	opt  Options
	arms []armState
	// The invitations' weighted count is kept as of cacheBucket (the
	// 6-hour bucket of the last Pick) and recomputed when time moves to
	// another bucket.
	cacheBucket int64
	cached      bool
	in          []int // contenders' result, reused
}

type armState struct {
	sent, accepted, failed int
	ids                    [ringLen]int64 // the bucket each ring slot counts
	count                  [ringLen]int32 // invitations sent in the slot's bucket
	old                    int            // invitations older than the ring
	sentW                  float64        // sum of count x F(age) as of cacheBucket
}

// New returns an experiment over opt.Arms (arm i is opt.Arms[i]).
func New(opt Options) *Experiment {
	if opt.Strategy == "" {
		opt.Strategy = Thompson
	}
	if opt.Curve == nil {
		opt.Curve = responsedelay.Default()
	}
	return &Experiment{opt: opt, arms: make([]armState, len(opt.Arms))}
}

// Arms returns the arms.
func (x *Experiment) Arms() []Arm { return x.opt.Arms }

func bucketOf(t time.Time) int64 { return t.UnixNano() / int64(bucketWidth) }

// cdf is F(age): the share of answers that come within age.
func (x *Experiment) cdf(age time.Duration) float64 { return x.opt.Curve.Share(age) }

// weight is F(age) of a bucket's invitations as of the cached bucket,
// taking each at the bucket's middle.
func (x *Experiment) weight(b int64) float64 {
	if !x.cached {
		return 0
	}
	return x.cdf(time.Duration(x.cacheBucket-b)*bucketWidth + bucketWidth/2)
}

// Sent records an invitation of arm i sent at t.
func (x *Experiment) Sent(i int, t time.Time) {
	if i < 0 || i >= len(x.arms) {
		return
	}
	a := &x.arms[i]
	a.sent++
	b := bucketOf(t)
	s := int(b % ringLen)
	if a.ids[s] != b {
		if a.count[s] > 0 { // a bucket 30 days older: its invitations count fully now
			a.old += int(a.count[s])
			a.sentW -= float64(a.count[s]) * x.weight(a.ids[s])
		}
		a.ids[s], a.count[s] = b, 0
	}
	a.count[s]++
	a.sentW += x.weight(b)
}

// Resolved records the end of an invitation of arm i: accepted, or not
// (declined, withdrawn, expired). When it was sent does not matter: the
// evidence weighs every invitation by its age, answered or not.
func (x *Experiment) Resolved(i int, accepted bool) {
	if i < 0 || i >= len(x.arms) {
		return
	}
	if accepted {
		x.arms[i].accepted++
	} else {
		x.arms[i].failed++
	}
}

// refresh recomputes the weights when now is in a new bucket.
func (x *Experiment) refresh(now time.Time) {
	b := bucketOf(now)
	if x.cached && b == x.cacheBucket {
		return
	}
	x.cacheBucket, x.cached = b, true
	for i := range x.arms {
		a := &x.arms[i]
		a.sentW = 0
		for s := range ringLen {
			if a.count[s] > 0 {
				a.sentW += float64(a.count[s]) * x.weight(a.ids[s])
			}
		}
	}
}

// trials is the arm's evidence: every invitation weighted by F(age), the
// share of its eventual answer that can have come by now (1 past the
// ring). Accepted / trials then estimates the acceptance rate without
// bias however young the invitations are: E[accepted by now] = p x
// sum F(age). (Counting answered invitations fully and pending ones by
// age would not: the quick answers of young invitations are the
// acceptances, so an arm sent a lot lately would look better.)
func (a *armState) trials() float64 {
	return float64(a.old) + max(a.sentW, 0)
}

// prior is the Beta prior every enabled arm starts from (see
// priorStrength).
func (x *Experiment) prior() (alpha, beta float64) {
	var acc, tr float64
	for i := range x.arms {
		if !x.opt.Arms[i].Disabled {
			acc += float64(x.arms[i].accepted)
			tr += x.arms[i].trials()
		}
	}
	p := (acc + 1) / (max(tr, acc) + 2)
	return 1 + priorStrength*p, 1 + priorStrength*(1-p)
}

// posterior is the arm's Beta posterior under the prior (alpha, beta).
func (a *armState) posterior(alpha, beta float64) (al, be float64) {
	return alpha + float64(a.accepted), beta + max(a.trials()-float64(a.accepted), 0)
}

// Pick chooses among the candidate arms (indexes; the caller passes those
// that fit the prospect) at now; disabled arms are never chosen. It
// returns -1 when no candidate is enabled. The candidates may be
// reordered.
func (x *Experiment) Pick(cands []int, now time.Time, r *rand.Rand) int {
	n := 0
	for _, i := range cands { // keep the enabled ones, in place
		if i >= 0 && i < len(x.arms) && !x.opt.Arms[i].Disabled {
			cands[n] = i
			n++
		}
	}
	cands = cands[:n]
	switch {
	case n == 0:
		return -1
	case n == 1:
		return cands[0]
	case x.opt.Strategy == Uniform:
		return x.weighted(cands, r)
	}
	if x.opt.MinSamples > 0 {
		m := 0
		for _, i := range cands {
			if x.arms[i].sent < x.opt.MinSamples {
				cands[m] = i
				m++
			}
		}
		if m > 0 {
			return cands[r.IntN(m)]
		}
	}
	x.refresh(now)
	// uniformShare of the picks: uniformly among the arms in contention;
	// the others by Thompson sampling among all the candidates.
	if r.Float64() < uniformShare {
		if in := x.contenders(cands); len(in) > 1 {
			return in[r.IntN(len(in))]
		}
	}
	pa, pb := x.prior()
	pick, bestV := cands[0], -1.0
	for _, i := range cands {
		al, be := x.arms[i].posterior(pa, pb)
		if v := Beta(r, al, be); v > bestV {
			pick, bestV = i, v
		}
	}
	return pick
}

// contenders returns the candidates still in contention (see zEarly), in
// a buffer of x's; all of them if none is.
func (x *Experiment) contenders(cands []int) []int {
	pa, pb := x.prior()
	meanVar := func(i int) (float64, float64) {
		al, be := x.arms[i].posterior(pa, pb)
		n := al + be
		return al / n, al * be / (n * n * (n + 1))
	}
	lead, ml, vl := -1, -1.0, 0.0
	for i := range x.arms {
		if x.opt.Arms[i].Disabled {
			continue
		}
		if m, v := meanVar(i); m > ml {
			lead, ml, vl = i, m, v
		}
	}
	in := x.in[:0]
	for _, i := range cands {
		mi, vi := meanVar(i)
		z := zLate + (zEarly-zLate)*max(0, 1-x.arms[i].trials()/zRamp)
		if i == lead || ml-mi < z*math.Sqrt(vi+vl) {
			in = append(in, i)
		}
	}
	x.in = in
	if len(in) == 0 {
		return cands
	}
	return in
}

func (x *Experiment) weighted(cands []int, r *rand.Rand) int {
	total := 0.0
	for _, i := range cands {
		total += x.opt.Arms[i].Weight
	}
	if total <= 0 {
		return cands[r.IntN(len(cands))]
	}
	u := r.Float64() * total
	for _, i := range cands {
		u -= x.opt.Arms[i].Weight
		if u < 0 {
			return i
		}
	}
	return cands[len(cands)-1]
}

// ArmSummary is the evidence of one arm.
type ArmSummary struct {
	Name     string
	Disabled bool
	Sent     int
	Accepted int
	Pending  int     // sent, not answered, withdrawn nor expired
	Trials   float64 // the evidence: invitations weighted by F(age)
	Rate     float64 // Accepted / Trials (0 with no trials)
	Lo, Hi   float64 // Wilson 95% interval of Rate
	PBest    float64 // probability of being the best enabled arm
}

// Summary returns every arm's evidence at now; P(best) is estimated by
// draws samples of the posteriors the strategy uses (enabled arms with any
// invitation).
func (x *Experiment) Summary(now time.Time, r *rand.Rand, draws int) []ArmSummary {
	x.refresh(now)
	out := make([]ArmSummary, len(x.arms))
	var idx []int
	var alphas, betas []float64
	pa, pb := x.prior()
	for i := range x.arms {
		a := &x.arms[i]
		s := ArmSummary{Name: x.opt.Arms[i].Name, Disabled: x.opt.Arms[i].Disabled, Sent: a.sent, Accepted: a.accepted,
			Pending: a.sent - a.accepted - a.failed, Trials: a.trials()}
		if s.Trials > 0 {
			s.Rate = min(float64(a.accepted)/s.Trials, 1)
		}
		s.Lo, s.Hi = Wilson(float64(a.accepted), s.Trials, Z95)
		out[i] = s
		if !s.Disabled && a.sent > 0 {
			al, be := a.posterior(pa, pb)
			idx = append(idx, i)
			alphas, betas = append(alphas, al), append(betas, be)
		}
	}
	for k, p := range ProbBest(r, alphas, betas, draws) {
		out[idx[k]].PBest = p
	}
	return out
}
