// Package minheap is a binary min-heap of values, without the interface
// boxing of container/heap: pushing a struct allocates nothing once the
// backing slice has grown. The planner and the simulator keep millions of
// dated items in such heaps.
package minheap

// Heap is a min-heap ordered by Less. The zero value is not usable: set
// Less.
type Heap[T any] struct {
	Less  func(a, b T) bool
	items []T
}

// Len returns the number of items.
func (h *Heap[T]) Len() int { return len(h.items) }

// Peek returns the least item; the heap must not be empty.
func (h *Heap[T]) Peek() T { return h.items[0] }

// Push adds x.
func (h *Heap[T]) Push(x T) {
	h.items = append(h.items, x)
	i := len(h.items) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !h.Less(h.items[i], h.items[p]) {
			break
		}
		h.items[i], h.items[p] = h.items[p], h.items[i]
		i = p
	}
}

// Pop removes and returns the least item; the heap must not be empty.
func (h *Heap[T]) Pop() T {
	top := h.items[0]
	n := len(h.items) - 1
	h.items[0] = h.items[n]
	var zero T
	h.items[n] = zero
	h.items = h.items[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && h.Less(h.items[r], h.items[l]) {
			m = r
		}
		if !h.Less(h.items[m], h.items[i]) {
			break
		}
		h.items[i], h.items[m] = h.items[m], h.items[i]
		i = m
	}
	return top
}

// Items returns the items in heap order (the least first, the rest in no
// useful order), for a read-only scan; the caller must not modify them.
func (h *Heap[T]) Items() []T { return h.items }
