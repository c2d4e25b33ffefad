package prospects

import (
	"io"

	"github.com/outreach-scheduler/outreach/diag"
)

// KeySet is a set of normalized keys (see NormalizeKey), such as an
// exclusion list.
type KeySet map[string]struct{}

// Add adds the normalized form of each raw key; empty keys are ignored.
func (s KeySet) Add(raw ...string) {
	for _, k := range raw {
		if k = NormalizeKey(k); k != "" {
			s[k] = struct{}{}
		}
	}
}

// Has reports whether the normalized form of raw is in s.
func (s KeySet) Has(raw string) bool {
	_, ok := s[NormalizeKey(raw)]
	return ok
}

// LoadKeySet reads the key column of the CSV file at path, an exclusion list,
// into a set of normalized keys. opt.Exclude is ignored. A missing file is an
// error; problems of the file are findings, with the same messages as
// Reader's: a row with an empty key, a ragged row (whose key, when present,
// is still added: an exclusion list errs on the side of excluding), a CSV
// syntax error (the rest of the file is not read), header problems. A key
// listed twice is not a problem. The set holds what could be read even when
// there are error findings; a caller must not contact anyone while the list
// has error findings.
func LoadKeySet(path string, opt Options) (KeySet, diag.List, error) {
	opt.Exclude = nil
	r, err := Open(path, opt)
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	set, err := r.readKeySet()
	return set, r.Findings(), err
}

// ReadKeySet is LoadKeySet for a reader; opt.DisplayPath is required.
func ReadKeySet(rd io.Reader, opt Options) (KeySet, diag.List, error) {
	opt.Exclude = nil
	r, err := NewReader(rd, opt)
	if err != nil {
		return nil, nil, err
	}
	set, err := r.readKeySet()
	return set, r.Findings(), err
}

func (r *Reader) readKeySet() (KeySet, error) {
	set := make(KeySet)
	for {
		rec, line, err := r.record()
		if err == io.EOF {
			return set, nil
		}
		if err != nil {
			return set, err
		}
		if len(rec) != len(r.hdr.names) {
			r.addf(line, "row has %s, header has %d", plural(len(rec), "field"), len(r.hdr.names))
		}
		raw := ""
		if r.hdr.key < len(rec) {
			raw = rec[r.hdr.key]
		}
		if k := NormalizeKey(raw); k != "" {
			set[k] = struct{}{}
			r.stats.Good++
		} else {
			r.stats.Invalid++
			r.addf(line, "empty %s", r.key)
		}
	}
}
