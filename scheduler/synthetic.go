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

// The synthetic companies and topics, built once rather than per call.
var syntheticCompanies, syntheticTopics = numbered("Company ", 97), numbered("topic ", 13)

func numbered(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = prefix + strconv.Itoa(i)
	}
	return out
}

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
	s.fields["company"] = syntheticCompanies[i%97]
	if i%5 != 0 {
		s.fields["topic"] = syntheticTopics[i%13]
	} else {
		delete(s.fields, "topic")
	}
	return s.fields
}
