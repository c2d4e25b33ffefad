package responsedelay

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestDefault(t *testing.T) {
	c := Default()
	want := Curve{{24 * time.Hour, 0.63}, {7 * 24 * time.Hour, 0.88}, {30 * 24 * time.Hour, 0.99}, {60 * 24 * time.Hour, 1}}
	if len(c) != len(want) {
		t.Fatalf("Default() = %v, want %v", c, want)
	}
	for i := range want {
		if c[i] != want[i] {
			t.Errorf("point %d = %v, want %v", i, c[i], want[i])
		}
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	c[0].Share = 0.5
	if Default()[0].Share != 0.63 {
		t.Error("Default shares its slice between calls")
	}
}

// The two copies this package replaces, as they were written: the A/B
// test's (now sandbox.ResponseCurve) and the sandbox model's (sandbox.OptionsFromConfig).
func formerABTest(scale float64) Curve {
	c := Default()
	for i := range c {
		c[i].Within = max(time.Duration(float64(c[i].Within)*scale), time.Millisecond*time.Duration(i+1))
	}
	return c
}

func formerSandbox(scale float64) Curve {
	var c Curve
	for _, p := range Default() {
		c = append(c, Point{Within: max(time.Duration(float64(p.Within)*scale), time.Millisecond), Share: p.Share})
	}
	return c
}

func TestScaledKeepsEachCallersFloor(t *testing.T) {
	abFloor := Floor{Min: time.Millisecond, Step: time.Millisecond}
	sbFloor := Floor{Min: time.Millisecond}
	for _, scale := range []float64{1, 0.5, 0.002, 1e-5, 1e-8, 2e-9, 1e-9, 1e-12} {
		ab, sb := Default().Scaled(scale, abFloor), Default().Scaled(scale, sbFloor)
		if fa := formerABTest(scale); !equal(ab, fa) {
			t.Errorf("scale %g, abtest's floor: %v, want %v", scale, ab, fa)
		}
		if fs := formerSandbox(scale); !equal(sb, fs) {
			t.Errorf("scale %g, sandbox's floor: %v, want %v", scale, sb, fs)
		}
		if err := ab.Validate(); err != nil {
			t.Errorf("scale %g, a stepped floor: %v", scale, err)
		}
	}
	// The documented limit of a floor without a step: below about 1.6e-9
	// two points meet.
	if err := Default().Scaled(2e-9, sbFloor).Validate(); err != nil {
		t.Errorf("scale 2e-9, no step: %v", err)
	}
	if err := Default().Scaled(1e-9, sbFloor).Validate(); err == nil {
		t.Error("scale 1e-9, no step: the curve validates, want two equal delays refused")
	}
}

func TestScaledDoesNotModify(t *testing.T) {
	c := Default()
	s := c.Scaled(0.5, Floor{})
	if c[0].Within != 24*time.Hour || s[0].Within != 12*time.Hour || s[3].Share != 1 {
		t.Errorf("Scaled(0.5): %v from %v", s, c)
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    Curve
		want string // "" = valid
	}{
		{"one point", Curve{{time.Hour, 1}}, ""},
		{"a flat segment", Curve{{time.Hour, 0}, {2 * time.Hour, 1}}, ""},
		{"empty", Curve{}, "empty curve"},
		{"nil", nil, "empty curve"},
		{"zero delay", Curve{{0, 0.5}, {time.Hour, 1}}, "point 0"},
		{"delays decreasing", Curve{{2 * time.Hour, 0.5}, {time.Hour, 1}}, "point 1"},
		{"equal delays", Curve{{time.Hour, 0.5}, {time.Hour, 1}}, "point 1"},
		{"shares decreasing", Curve{{time.Hour, 0.5}, {2 * time.Hour, 0.4}, {3 * time.Hour, 1}}, "point 1"},
		{"share above 1", Curve{{time.Hour, 1.5}}, "point 0"},
		{"NaN share", Curve{{time.Hour, math.NaN()}, {2 * time.Hour, 1}}, "point 0"},
		{"not ending at 1", Curve{{time.Hour, 0.5}}, "the last point must have share 1"},
	} {
		err := tc.c.Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v, want valid", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v, want an error with %q", tc.name, err, tc.want)
		}
	}
}

func TestShare(t *testing.T) {
	c := Default()
	for _, tc := range []struct {
		age  time.Duration
		want float64
	}{
		{-time.Hour, 0},
		{0, 0},
		{12 * time.Hour, 0.315},
		{24 * time.Hour, 0.63},
		{4 * 24 * time.Hour, 0.755},
		{7 * 24 * time.Hour, 0.88},
		{30 * 24 * time.Hour, 0.99},
		{60 * 24 * time.Hour, 1},
		{365 * 24 * time.Hour, 1},
	} {
		if got := c.Share(tc.age); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("Share(%v) = %v, want %v", tc.age, got, tc.want)
		}
	}
}

func TestQuantile(t *testing.T) {
	c := Default()
	for _, tc := range []struct {
		u    float64
		want time.Duration
	}{
		{0, 0},
		{0.315, 12 * time.Hour},
		{0.63, 24 * time.Hour},
		{0.755, 4 * 24 * time.Hour},
		{0.99, 30 * 24 * time.Hour},
		{0.995, 45 * 24 * time.Hour},
		{1, 60 * 24 * time.Hour},
	} {
		if got := c.Quantile(tc.u); (got - tc.want).Abs() > time.Microsecond {
			t.Errorf("Quantile(%v) = %v, want %v", tc.u, got, tc.want)
		}
	}
	if m := c.Quantile(0.5); m < 18*time.Hour || m > 20*time.Hour {
		t.Errorf("median %v, want about 19 hours", m)
	}
	// Quantile inverts Share.
	for u := 0.0; u < 1; u += 0.01 {
		if got := c.Share(c.Quantile(u)); math.Abs(got-u) > 1e-9 {
			t.Errorf("Share(Quantile(%v)) = %v", u, got)
		}
	}
	// A flat segment: no answer falls inside it.
	flat := Curve{{time.Hour, 0}, {2 * time.Hour, 1}}
	if got := flat.Quantile(0); got != time.Hour {
		t.Errorf("flat.Quantile(0) = %v, want 1h", got)
	}
}

func equal(a, b Curve) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestReply: the reply curve is a valid curve, replies come faster than
// acceptances at every share, and it scales like Default.
func TestReply(t *testing.T) {
	c := Reply()
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	want := Curve{{2 * time.Hour, 0.40}, {24 * time.Hour, 0.75}, {7 * 24 * time.Hour, 0.95}, {14 * 24 * time.Hour, 1}}
	if !equal(c, want) {
		t.Errorf("Reply() = %v, want %v", c, want)
	}
	for u := 0.05; u < 1; u += 0.05 {
		if r, a := c.Quantile(u), Default().Quantile(u); r >= a {
			t.Errorf("quantile %.2f: a reply after %v, an acceptance after %v; want replies faster", u, r, a)
		}
	}
	s := c.Scaled(0.002, Floor{Min: time.Millisecond})
	if err := s.Validate(); err != nil || s[0].Within != time.Duration(float64(2*time.Hour)*0.002) {
		t.Errorf("Reply scaled by 0.002: %v %v", s, err)
	}
	c[0].Share = 0.1
	if Reply()[0].Share != 0.40 {
		t.Error("Reply shares its slice between calls")
	}
}
