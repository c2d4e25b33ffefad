package prospects

// lineSet maps 64-bit key hashes to the line where each key was first seen.
// It is a map[uint64]uint32 specialized for the duplicate check of a
// Reader: open addressing with linear probing over two parallel arrays (12
// bytes a slot, at most 3/4 full), so that looking up a new key, the common
// case, costs one cache miss. Hash 0 marks an empty slot; a hash of 0 is
// stored as 1.
type lineSet struct {
	hashes []uint64
	lines  []uint32
	n      int
}

const lineSetMinSize = 1 << 10

// firstOrAdd returns the line recorded for h, or records line and returns
// 0, false when h is new.
func (s *lineSet) firstOrAdd(h uint64, line uint32) (first uint32, found bool) {
	if h == 0 {
		h = 1
	}
	if s.n >= len(s.hashes)/4*3 {
		s.grow()
	}
	mask := uint64(len(s.hashes) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch s.hashes[i] {
		case h:
			return s.lines[i], true
		case 0:
			s.hashes[i], s.lines[i] = h, line
			s.n++
			return 0, false
		}
	}
}

// grow doubles the table (or makes the first one).
func (s *lineSet) grow() {
	old := *s
	size := max(2*len(old.hashes), lineSetMinSize)
	*s = lineSet{hashes: make([]uint64, size), lines: make([]uint32, size)}
	mask := uint64(size - 1)
	for j, h := range old.hashes {
		if h == 0 {
			continue
		}
		i := h & mask
		for s.hashes[i] != 0 {
			i = (i + 1) & mask
		}
		s.hashes[i], s.lines[i] = h, old.lines[j]
	}
	s.n = old.n
}
