package store

import (
	"encoding/binary"
	"errors"
	"hash/fnv"
	"slices"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/lifecycle"
	"github.com/outreach-scheduler/outreach/templates"
)

// A stored row (the value of a bucket field) is, in order:
//
//	flags     1 byte: bit 0 = excluded (then no field values follow)
//	position  uvarint: the row's position in the CSV (0-based), for file order
//	account   uvarint length + bytes: the pinned sender, or empty
//	fields    for each name of meta "fields", in order: uvarint length + bytes
//
// Lengths are uvarints (one byte under 128), so short values cost one byte
// each on top of their text and no value contains a separator to escape.

const flagExcluded = 1

// encodeRow appends the encoding of r (with only the given fields) to b.
func encodeRow(b []byte, pos int, r *Row, fields []string) []byte {
	flags := byte(0)
	if r.Skip == lifecycle.SkipExcluded {
		flags |= flagExcluded
	}
	b = append(b, flags)
	b = binary.AppendUvarint(b, uint64(pos))
	b = appendString(b, r.Account)
	if flags&flagExcluded != 0 {
		return b // never invited: its fields are never rendered
	}
	for _, f := range fields {
		b = appendString(b, r.Fields[f])
	}
	return b
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

var errCorrupt = errors.New("corrupt stored prospect")

// decoded is one stored row; values are substrings of the stored value.
type decoded struct {
	pos      uint64
	excluded bool
	account  string
	values   []string // len(fields); "" when absent
}

// decodeRow decodes v into d, reusing d.values.
func decodeRow(v string, nfields int, d *decoded) error {
	if len(v) < 1 {
		return errCorrupt
	}
	d.excluded = v[0]&flagExcluded != 0
	i := 1
	pos, n := uvarint(v[i:])
	if n <= 0 {
		return errCorrupt
	}
	d.pos, i = pos, i+n
	var ok bool
	if d.account, i, ok = readString(v, i); !ok {
		return errCorrupt
	}
	d.values = slices.Grow(d.values[:0], nfields)[:nfields]
	clear(d.values)
	if d.excluded {
		return nil
	}
	for j := range nfields {
		if d.values[j], i, ok = readString(v, i); !ok {
			return errCorrupt
		}
	}
	if i != len(v) {
		return errCorrupt
	}
	return nil
}

func readString(v string, i int) (string, int, bool) {
	l, n := uvarint(v[i:])
	if n <= 0 || uint64(len(v)-i-n) < l {
		return "", i, false
	}
	i += n
	return v[i : i+int(l)], i + int(l), true
}

// uvarint is binary.Uvarint on a string, without copying it.
func uvarint(s string) (uint64, int) {
	var x uint64
	var shift uint
	for i := 0; i < len(s) && i < binary.MaxVarintLen64; i++ {
		c := s[i]
		if c < 0x80 {
			return x | uint64(c)<<shift, i + 1
		}
		x |= uint64(c&0x7f) << shift
		shift += 7
	}
	return 0, 0
}

// bucketOf is the bucket of a normalized key among n: FNV-1a, stable
// across processes and versions (it is part of the stored layout).
func bucketOf(key string, n int) int {
	h := fnv.New64a()
	_, _ = h.Write([]byte(key))
	return int(h.Sum64() % uint64(n))
}

// bucketTarget is the mean number of prospects per bucket the bucket count
// aims at: well under Redis's hash-max-listpack-entries (128), so buckets
// stay listpack-encoded (a few bytes of overhead per entry instead of about
// 60 for a hashtable entry) even when the size hint is off by 2x.
const bucketTarget = 48

// bucketsFor returns the bucket count for about hint prospects.
func bucketsFor(hint int) int {
	return max(1, (hint+bucketTarget-1)/bucketTarget)
}

// TemplateFields returns the fields the campaign's templates reference
// (connect variants and messages), optional ones included, sorted, without
// duplicates: what the store keeps of each prospect (and the field
// columns of `outreach export`).
func TemplateFields(c *campaigns.Campaign) []string {
	var out []string
	add := func(t *templates.Template) {
		for _, f := range t.Fields() {
			out = append(out, f.Name)
		}
	}
	for _, st := range c.Steps {
		if st.Connect != nil {
			for _, v := range st.Connect.Variants {
				if v.Template != nil {
					add(v.Template)
				}
			}
		}
		if st.Message != nil {
			for _, v := range st.Message.Variants {
				if v.Template != nil {
					add(v.Template)
				}
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
