package sandbox

import (
	"math"
	"time"

	"github.com/outreach-scheduler/outreach/platform"
)

// Op is the kind of a request.
type Op string

// The requests of platform.Platform.
const (
	OpFollow   Op = "follow"
	OpInvite   Op = "invite"
	OpWithdraw Op = "withdraw"
	OpMessage  Op = "message"
)

// opKind is an Op in a compact record.
type opKind uint8

const (
	opFollow opKind = iota
	opInvite
	opWithdraw
	opMessage
	numOps
)

var opNames = [numOps]Op{OpFollow, OpInvite, OpWithdraw, OpMessage}

func (o opKind) String() string { return string(opNames[o]) }

// Entry is one request as the platform received it.
type Entry struct {
	Seq      int64         `json:"seq"` // arrival order, from 1, over every request
	Op       Op            `json:"op"`
	Key      string        `json:"key"`
	Account  string        `json:"account"`
	Person   string        `json:"person"`
	Campaign string        `json:"campaign,omitempty"`
	Variant  string        `json:"variant,omitempty"` // invitations: the note variant ("blank" for none)
	Chars    int           `json:"chars,omitempty"`   // the note's (or message's) length in UTF-16 code units
	HasNote  bool          `json:"has_note,omitempty"`
	At       time.Time     `json:"at"`                // the request's time, in UTC
	Refused  platform.Code `json:"refused,omitempty"` // "" if accepted
	// Repeat: the idempotency key was seen before for the same request: it
	// was answered as the first time and counted nowhere else.
	Repeat bool `json:"repeat,omitempty"`
	// Lost: the request was handled as Refused says, but the caller was
	// answered platform.CodeUnavailable (a configured transient failure
	// after the fact, Refusal.Applied).
	Lost bool `json:"lost,omitempty"`
}

// rec is an Entry in 48 bytes and no pointers (the garbage collector
// never scans the record): the key and the person are bytes in the arena,
// small strings are interned, times are nanoseconds, Seq is the index.
type rec struct {
	at                      int64
	chunk, pos              uint32 // key then person in the arena
	klen, plen              uint32
	acct, campaign, variant uint32
	code                    uint32 // interned platform.Code; 0 = accepted
	chars                   int32
	op                      opKind
	hasNote, repeat, lost   bool
}

const recChunk = 1 << 15

func (m *Model) appendRec(e rec) {
	n := len(m.records)
	if n == 0 || len(m.records[n-1]) == recChunk {
		m.records = append(m.records, make([]rec, 0, recChunk))
		n++
	}
	m.records[n-1] = append(m.records[n-1], e)
	m.nrec++
}

// arena holds strings as bytes in large pointer-free chunks.
type arena struct{ chunks [][]byte }

const arenaChunk = 1 << 20

func (a *arena) add(key, person string) (chunk, pos uint32) {
	n := len(key) + len(person)
	c := len(a.chunks) - 1
	if c < 0 || cap(a.chunks[c])-len(a.chunks[c]) < n {
		a.chunks = append(a.chunks, make([]byte, 0, max(arenaChunk, n)))
		c++
	}
	b := a.chunks[c]
	pos = uint32(len(b))
	a.chunks[c] = append(append(b, key...), person...)
	return uint32(c), pos
}

func (a *arena) get(r *rec) (key, person string) {
	b := a.chunks[r.chunk][r.pos:]
	return string(b[:r.klen]), string(b[r.klen : r.klen+r.plen])
}

type vrec struct {
	seq int64
	rec
}

func (m *Model) entry(seq int64, r *rec) Entry {
	key, person := m.text.get(r)
	return Entry{
		Seq: seq, Op: opNames[r.op], Key: key, Person: person,
		Account: m.names[r.acct], Campaign: m.names[r.campaign], Variant: m.names[r.variant],
		Chars: int(r.chars), HasNote: r.hasNote, At: toTime(r.at),
		Refused: platform.Code(m.names[r.code]), Repeat: r.repeat, Lost: r.lost,
	}
}

// intern returns the index of a small string (account, campaign, variant,
// code) in m.names.
func (m *Model) intern(s string) uint32 {
	if i, ok := m.nameIdx[s]; ok {
		return i
	}
	i := uint32(len(m.names))
	m.names = append(m.names, s)
	m.nameIdx[s] = i
	r, ok := m.vrates[s]
	if !ok {
		r = math.NaN()
	}
	m.rates = append(m.rates, r)
	return i
}

// Record returns a copy of every request received, in arrival order
// (repeats and refusals included); with Options.ViolationsOnly, only the
// refused ones.
func (m *Model) Record() []Entry {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.keepAll {
		return m.violations()
	}
	out := make([]Entry, 0, m.nrec)
	for _, c := range m.records {
		for i := range c {
			out = append(out, m.entry(int64(len(out)+1), &c[i]))
		}
	}
	return out
}

// Violations returns a copy of the refused requests, in arrival order
// (repeats of a refused request included, marked Repeat).
func (m *Model) Violations() []Entry {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.violations()
}

func (m *Model) violations() []Entry {
	out := make([]Entry, len(m.viol))
	for i := range m.viol {
		out[i] = m.entry(m.viol[i].seq, &m.viol[i].rec)
	}
	return out
}

// Stats are the model's counts, by account.
type Stats struct {
	Accounts map[string]AccountStats `json:"accounts"` // requests from unknown accounts appear under their id, with Refused only
}

// AccountStats counts what happened to one account's requests. Repeats
// count only in Repeats.
type AccountStats struct {
	Invited     int `json:"invited"`  // invitations accepted by the platform
	Accepted    int `json:"accepted"` // ... then accepted by the recipient
	Declined    int `json:"declined"`
	Withdrawn   int `json:"withdrawn"`
	Expired     int `json:"expired"`
	Pending     int `json:"pending"` // unanswered, as of the latest request or Advance
	Followed    int `json:"followed"`
	Messaged    int `json:"messaged"`
	Replied     int `json:"replied"`     // replies to messages delivered (ReplyRate), as of the latest request or Advance
	Repeats     int `json:"repeats"`     // requests answered from their idempotency key
	Lost        int `json:"lost"`        // requests performed whose answer was lost (Refusal.Applied)
	Connections int `json:"connections"` // 1st-degree connections now
	// Restrictions counts the restrictions the model imposed by its
	// Options.Restrictions (not Restrict's or Refusals').
	Restrictions int                   `json:"restrictions,omitempty"`
	Refused      map[platform.Code]int `json:"refused,omitempty"`
}

// Stats returns the counts per account.
func (m *Model) Stats() Stats {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := Stats{Accounts: make(map[string]AccountStats, len(m.accts)+len(m.unknown))}
	for id, a := range m.accts {
		st := a.st
		st.Connections = a.connections
		st.Refused = cloneCodes(a.st.Refused)
		s.Accounts[id] = st
	}
	for id, byCode := range m.unknown {
		s.Accounts[id] = AccountStats{Refused: cloneCodes(byCode)}
	}
	return s
}

// Total sums the counts of every account.
func (s Stats) Total() AccountStats {
	var t AccountStats
	for _, a := range s.Accounts {
		t.Invited += a.Invited
		t.Accepted += a.Accepted
		t.Declined += a.Declined
		t.Withdrawn += a.Withdrawn
		t.Expired += a.Expired
		t.Pending += a.Pending
		t.Followed += a.Followed
		t.Messaged += a.Messaged
		t.Replied += a.Replied
		t.Repeats += a.Repeats
		t.Lost += a.Lost
		t.Connections += a.Connections
		t.Restrictions += a.Restrictions
		for c, n := range a.Refused {
			if t.Refused == nil {
				t.Refused = map[platform.Code]int{}
			}
			t.Refused[c] += n
		}
	}
	return t
}

func cloneCodes(m map[platform.Code]int) map[platform.Code]int {
	if len(m) == 0 {
		return nil
	}
	c := make(map[platform.Code]int, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}
