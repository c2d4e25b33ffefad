package scheduler

import (
	"strconv"

	"github.com/outreach-scheduler/outreach/templates"
)

// Synthetic is a generated prospect list for benchmarks, simulations and
// tests: N people keyed Prefix+index, with the fields first_name, company
// and (for four in five) topic; none pinned, none skipped.
type Synthetic struct {
	Prefix string
	N      int
	fields templates.Fields
}

var syntheticNames = [...]string{"Ana", "Bo", "Chen", "Dara", "Emeka", "Farah", "Gus", "Hana"}

// Len implements Source.
func (s *Synthetic) Len() int { return s.N }

// Key implements Source.
func (s *Synthetic) Key(i int) string { return s.Prefix + strconv.Itoa(i) }

// Account implements Source.
func (s *Synthetic) Account(int) string { return "" }

// Skip implements Source.
func (s *Synthetic) Skip(int) string { return "" }

// Fields implements Source; the map is reused by the next call.
func (s *Synthetic) Fields(i int) templates.Fields {
	if s.fields == nil {
		s.fields = templates.Fields{}
	}
	s.fields["first_name"] = syntheticNames[i%len(syntheticNames)]
	s.fields["company"] = "Company " + strconv.Itoa(i%97)
	if i%5 != 0 {
		s.fields["topic"] = "topic " + strconv.Itoa(i%13)
	} else {
		delete(s.fields, "topic")
	}
	return s.fields
}
