package prospects

import (
	"math/rand/v2"
	"testing"
)

// TestLineSet checks lineSet against a map, with hashes that share their low
// bits (long probe runs, wrapping at the end of the table), repeats, and 0.
func TestLineSet(t *testing.T) {
	var s lineSet
	ref := make(map[uint64]uint32)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 30_000 {
		h := rng.Uint64()
		switch i % 4 {
		case 0:
			h |= 0x3ff // the last slot of a small table
		case 1:
			h = uint64(rng.IntN(5_000)) // repeats, including 0
		}
		want, wantOK := ref[max(h, 1)]
		got, ok := s.firstOrAdd(h, uint32(i+1))
		if ok != wantOK || got != want {
			t.Fatalf("firstOrAdd(%#x) = %d, %v; want %d, %v", h, got, ok, want, wantOK)
		}
		if !ok {
			ref[max(h, 1)] = uint32(i + 1)
		}
	}
	if s.n != len(ref) || s.n > len(s.hashes)/4*3 {
		t.Errorf("n = %d, map has %d, table %d", s.n, len(ref), len(s.hashes))
	}
}
