package scheduler

import (
	"errors"
	"fmt"
	"io"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/lifecycle"
	"github.com/outreach-scheduler/outreach/prospects"
	"github.com/outreach-scheduler/outreach/templates"
)

// Source is the prospects of one campaign, by index.
type Source interface {
	Len() int
	// Key is the person's normalized key. It must be safe for concurrent
	// use (Restore hashes the keys of several campaigns at once).
	Key(i int) string
	// Account is the pinned sender, or "".
	Account(i int) string
	// Fields are the template fields. The map may be reused by the next call.
	Fields(i int) templates.Fields
	// Skip, when not "", marks a prospect never to invite, with the
	// lifecycle.Skip* reason (excluded, duplicate).
	Skip(i int) string
}

// MemSource holds a campaign's prospects in memory, column by column.
type MemSource struct {
	header  []string
	keys    []string
	pins    []string
	skips   []string
	values  []string // len(keys) * len(header)
	scratch templates.Fields
}

// LoadSource reads a campaign's prospect CSV and exclusion list. Excluded
// prospects and repeated keys are kept, marked skipped, so every row with a
// key has a known state; rows with problems (no key, ragged) are left out:
// validate reports them.
func LoadSource(c *campaigns.Campaign) (*MemSource, error) {
	var exclude prospects.KeySet
	if c.Exclude != nil {
		keys, fs, err := prospects.LoadKeySet(c.Exclude.Path, c.Exclude.ReadOptions())
		if err != nil {
			return nil, fmt.Errorf("campaign %s: exclusion list: %w", c.Name, err)
		}
		if fs.HasErrors() {
			// A broken exclusion list must never let someone through.
			return nil, fmt.Errorf("campaign %s: exclusion list has errors: %w", c.Name, fs.Err())
		}
		exclude = keys
	}
	r, err := prospects.Open(c.Prospects.Path, c.ProspectOptions())
	if err != nil {
		return nil, fmt.Errorf("campaign %s: %w", c.Name, err)
	}
	defer r.Close()
	s := &MemSource{header: r.Header()}
	for {
		p, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("campaign %s: reading %s: %w", c.Name, c.Prospects.Path, err)
		}
		skip := ""
		if exclude.Has(p.Key) {
			skip = lifecycle.SkipExcluded
		}
		s.add(p.Key, p.Account, skip, p.Fields)
	}
	for _, f := range r.Findings() {
		// Repeated keys become skipped prospects; other bad rows have no
		// usable key.
		if f.Prospect != "" {
			s.add(f.Prospect, "", lifecycle.SkipDuplicate, nil)
		}
	}
	return s, nil
}

func (s *MemSource) add(key, pin, skip string, fields map[string]string) {
	s.keys = append(s.keys, key)
	s.pins = append(s.pins, pin)
	s.skips = append(s.skips, skip)
	for _, h := range s.header {
		s.values = append(s.values, fields[h])
	}
}

// Len implements Source.
func (s *MemSource) Len() int { return len(s.keys) }

// Key implements Source.
func (s *MemSource) Key(i int) string { return s.keys[i] }

// Account implements Source.
func (s *MemSource) Account(i int) string { return s.pins[i] }

// Skip implements Source.
func (s *MemSource) Skip(i int) string { return s.skips[i] }

// Fields implements Source; the map is reused by the next call.
func (s *MemSource) Fields(i int) templates.Fields {
	if s.scratch == nil {
		s.scratch = make(templates.Fields, len(s.header))
	}
	clear(s.scratch)
	row := s.values[i*len(s.header) : (i+1)*len(s.header)]
	for j, h := range s.header {
		if row[j] != "" {
			s.scratch[h] = row[j]
		}
	}
	return s.scratch
}
