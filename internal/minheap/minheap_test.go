package minheap

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestHeapSorts(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	h := Heap[int]{Less: func(a, b int) bool { return a < b }}
	var want []int
	for i := 0; i < 1000; i++ {
		v := r.IntN(100)
		h.Push(v)
		want = append(want, v)
		if i%7 == 0 { // interleave pops
			slices.Sort(want)
			if got := h.Pop(); got != want[0] {
				t.Fatalf("pop %d, want %d", got, want[0])
			}
			want = want[1:]
		}
	}
	slices.Sort(want)
	for i, w := range want {
		if h.Peek() != w {
			t.Fatalf("[%d] peek %d, want %d", i, h.Peek(), w)
		}
		if got := h.Pop(); got != w {
			t.Fatalf("[%d] pop %d, want %d", i, got, w)
		}
	}
	if h.Len() != 0 {
		t.Fatalf("len %d after popping all", h.Len())
	}
}
