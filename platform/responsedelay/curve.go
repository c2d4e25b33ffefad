package responsedelay

import (
	"errors"
	"fmt"
	"time"
)

const day = 24 * time.Hour

// Point is one point of a cumulative response-delay curve: Share of the
// answers come within Within of the invitation.
type Point struct {
	Within time.Duration
	Share  float64
}

// Curve is a cumulative response-delay curve: points with increasing
// delays and non-decreasing shares, the last with share 1, interpolated
// linearly from (0, 0) (see Validate).
type Curve []Point

// Default returns the curve of docs/domain.md: 63% of the answers within a
// day, 88% within a week, 99% within 30 days, and (the sandbox's own
// assumption) all within 60 days. Each call returns a fresh slice.
func Default() Curve {
	return Curve{{day, 0.63}, {7 * day, 0.88}, {30 * day, 0.99}, {60 * day, 1}}
}

// Reply returns the curve of the replies to a message (the sandbox's own
// assumption: docs/domain.md has no figures): 40% within 2 hours, 75%
// within a day, 95% within a week, all within 14 days. Replies come
// faster than answers to invitations: a message is read in the inbox,
// an invitation waits in a list. Each call returns a fresh slice.
func Reply() Curve {
	return Curve{{2 * time.Hour, 0.40}, {day, 0.75}, {7 * day, 0.95}, {14 * day, 1}}
}

// Floor bounds the delays of a scaled curve from below: point i (from 0)
// lies at least Min + i·Step after the invitation, so that a curve sped up
// a millionfold still has delays a timer can wait for.
//
// With Step > 0 the floors increase, and a scaled curve keeps its delays
// strictly increasing at any scale. With Step 0 (the sandbox model's
// floor) points scaled below Min all land on Min: for scales below about
// 1.6e-9 two points of Default coincide and Validate refuses the curve.
type Floor struct {
	Min  time.Duration
	Step time.Duration
}

// Scaled returns c with every delay multiplied by scale (> 0), each at
// least its floor. The shares are unchanged; c is not modified.
func (c Curve) Scaled(scale float64, f Floor) Curve {
	out := make(Curve, len(c))
	for i, p := range c {
		out[i] = Point{Within: max(time.Duration(float64(p.Within)*scale), f.Min+time.Duration(i)*f.Step), Share: p.Share}
	}
	return out
}

// Validate reports a curve that is not a cumulative distribution: empty,
// delays not increasing from above 0, shares decreasing or above 1 (or
// NaN), or a last share other than 1.
func (c Curve) Validate() error {
	if len(c) == 0 {
		return errors.New("empty curve")
	}
	prevW, prevS := time.Duration(0), 0.0
	for i, p := range c {
		if p.Within <= prevW || !(p.Share >= prevS) || p.Share > 1 {
			return fmt.Errorf("point %d (%v, %v): want increasing delays and non-decreasing shares up to 1", i, p.Within, p.Share)
		}
		prevW, prevS = p.Within, p.Share
	}
	if c[len(c)-1].Share != 1 {
		return errors.New("the last point must have share 1")
	}
	return nil
}

// Share returns F(age): the share of the answers that come within age of
// the invitation; 0 for an age of 0 or less, 1 beyond the last point.
func (c Curve) Share(age time.Duration) float64 {
	if age <= 0 {
		return 0
	}
	prevT, prevS := time.Duration(0), 0.0
	for _, p := range c {
		if age <= p.Within {
			return prevS + (p.Share-prevS)*float64(age-prevT)/float64(p.Within-prevT)
		}
		prevT, prevS = p.Within, p.Share
	}
	return 1
}

// Quantile maps u in [0, 1) to a delay through the inverse of F: a delay
// drawn with u uniform follows the curve. It is the delay of the last
// point when u reaches the last share.
func (c Curve) Quantile(u float64) time.Duration {
	loAt, loShare := 0.0, 0.0
	for _, p := range c {
		at := float64(p.Within)
		if u < p.Share {
			return time.Duration(loAt + (u-loShare)/(p.Share-loShare)*(at-loAt))
		}
		loAt, loShare = at, p.Share
	}
	return time.Duration(loAt)
}
