package sandbox

import (
	"math"
	"slices"
	"time"

	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/platform/responsedelay"
	"github.com/outreach-scheduler/outreach/wire"
)

// Outcomes of an invitation, decided when it is accepted by the platform.
const (
	kindIgnore uint8 = iota // stays pending (until it expires, when ExpireAfter is set)
	kindAccept
	kindDecline
	kindExpire
	kindReply // a reply to a delivered message (not an invitation's answer)
)

// sched is the response side of the model: pending invitations in a slab,
// their scheduled answers in a min-heap (cancelled entries are skipped
// lazily, and compacted away when they are the majority), and events
// already applied but not yet delivered by Advance.
type sched struct {
	heap  []item
	stale int      // cancelled items still in heap
	slab  [][]pend // pending invitations, in chunks of slabChunk; freed slots are reused
	nslab int32    // slots handed out so far
	free  []int32
	out   []queued // applied, not yet delivered; sorted unless outUnsorted
	// outUnsorted: a request arriving late scheduled an answer before one
	// already queued.
	outUnsorted bool
}

// item is a scheduled answer: the invitation in slab[slot], if its
// generation still matches.
type item struct {
	at   int64 // ns
	seq  int64 // the invitation's Seq: ties are answered in arrival order
	slot int32
	gen  uint32
}

func (x item) less(y item) bool { return x.at < y.at || x.at == y.at && x.seq < y.seq }

// pend is a pending invitation.
type pend struct {
	key, person string
	a           *acct
	ph          personHash
	gen         uint32 // bumped when the slot is freed: heap items of older generations are stale
	kind        uint8
	scheduled   bool // has an item in the heap
	resolved    bool // counted by the restriction rules (Options.Restrictions)
}

type queued struct {
	seq int64
	ev  wire.Event
}

// delay maps u in [0,1) to a response delay in nanoseconds, through the
// inverse of the model's delay curve.
func (m *Model) delay(u float64) int64 { return int64(m.delays.Quantile(u)) }

// DelayQuantile is the delay within which the given share of the
// responses arrive on the curve d (nil: responsedelay.Default()), by the same
// interpolation the model draws its delays with: DelayQuantile(nil, 0.95)
// is 21d 15h 16m. The forecast's "95% of the answers by" date adds it to
// the last invitation.
func DelayQuantile(d []DelayPoint, share float64) time.Duration {
	c := curveOf(d)
	if c == nil {
		c = responsedelay.Default()
	}
	return c.Quantile(share)
}

// outcome decides, from the seed and the invitation's key alone, what the
// recipient does and when: so answers depend neither on arrival order nor
// on concurrency. It returns kindIgnore with no time when the invitation
// stays pending for ever.
func (m *Model) outcome(keyHash uint64, variant uint32, acctRate float64, sent int64) (kind uint8, at int64) {
	s := keyHash ^ m.seed*0x9E3779B97F4A7C15
	u1, u2 := unit(splitmix(&s)), unit(splitmix(&s))
	pa := m.rateOf(variant, acctRate)
	pd := min(m.declineRate, 1-pa)
	switch {
	case u1 < pa:
		kind = kindAccept
	case u1 < pa+pd:
		kind = kindDecline
	}
	if kind != kindIgnore {
		d := m.delay(u2)
		if m.expireAfter < 0 || d < m.expireAfter {
			return kind, sent + d
		}
	}
	if m.expireAfter < 0 {
		return kindIgnore, 0
	}
	return kindExpire, sent + m.expireAfter
}

// rateChange is an account's acceptance from a time on (unix ns).
type rateChange struct {
	from int64
	rate float64
}

// rateAt is the account's own acceptance for an invitation sent at at:
// its latest change at or before at, else Options.AccountAcceptRates.
func (a *acct) rateAt(at int64) float64 {
	r := a.rate
	for _, c := range a.changes {
		if c.from > at {
			break
		}
		r = c.rate
	}
	return r
}

// rateOf is the acceptance of an invitation of the variant from an
// account whose own rate is acctRate (NaN: none): see
// Options.AccountAcceptRates.
func (m *Model) rateOf(variant uint32, acctRate float64) float64 {
	r := m.rates[variant]
	switch {
	case math.IsNaN(acctRate):
		if math.IsNaN(r) {
			return m.acceptRate
		}
		return r
	case math.IsNaN(r) || m.acceptRate == 0:
		return acctRate
	}
	return min(1, acctRate*r/m.acceptRate)
}

// hashKey is a stable 64-bit hash of an idempotency key (part of the
// model's determinism: changing it changes every outcome).
func hashKey(s string) uint64 {
	h := uint64(len(s)) * 0xA0761D6478BD642F
	for len(s) >= 8 {
		w := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
			uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
		h = (h ^ w) * 0xE7037ED1A0B428DB
		h ^= h >> 32
		s = s[8:]
	}
	var tail uint64
	for i := 0; i < len(s); i++ {
		tail |= uint64(s[i]) << (8 * i)
	}
	h = (h ^ tail) * 0xE7037ED1A0B428DB
	return h ^ h>>29
}

// splitmix is SplitMix64: a tiny, well-mixed generator.
func splitmix(s *uint64) uint64 {
	*s += 0x9E3779B97F4A7C15
	z := *s
	z = (z ^ z>>30) * 0xBF58476D1CE4E5B9
	z = (z ^ z>>27) * 0x94D049BB133111EB
	return z ^ z>>31
}

func unit(x uint64) float64 { return float64(x>>11) * (1.0 / (1 << 53)) }

// replySalt keeps a message's reply draw apart from the outcome draw of an
// invitation that would have the same key hash.
const replySalt = 0x7265706c79

// scheduleReply decides, from the seed and the message's key alone, whether
// the person replies to the message and when (ReplyRate, the reply curve),
// and schedules the reply. It reports whether a reply is scheduled.
func (m *Model) scheduleReply(a *acct, q *request) bool {
	s := q.kh[0] ^ replySalt ^ m.seed*0x9E3779B97F4A7C15
	u1, u2 := unit(splitmix(&s)), unit(splitmix(&s))
	if !(u1 < m.replyRate) {
		return false
	}
	slot := m.slot()
	p := m.pend(slot)
	p.key, p.person, p.a, p.ph, p.kind, p.scheduled = q.Key, q.Person, a, q.ph, kindReply, true
	m.push(item{at: q.at + int64(m.replyDelays.Quantile(u2)), seq: m.seq, slot: slot, gen: p.gen})
	return true
}

// slot returns a free slot of the slab.
func (m *Model) slot() int32 {
	if n := len(m.free); n > 0 {
		slot := m.free[n-1]
		m.free = m.free[:n-1]
		return slot
	}
	if int(m.nslab) == len(m.slab)*slabChunk {
		m.slab = append(m.slab, make([]pend, slabChunk))
	}
	m.nslab++
	return m.nslab - 1
}

// schedule stores a new pending invitation and its answer, if any.
func (m *Model) schedule(a *acct, q *request) int32 {
	kind, at := m.outcome(q.kh[0], q.vidx, a.rateAt(q.at), q.at)
	slot := m.slot()
	p := m.pend(slot)
	p.key, p.person, p.a, p.ph, p.kind = q.Key, q.Person, a, q.ph, kind
	p.scheduled = kind != kindIgnore
	if p.scheduled {
		m.push(item{at: at, seq: m.seq, slot: slot, gen: p.gen})
	}
	return slot
}

const slabChunk = 1 << 12

func (s *sched) pend(slot int32) *pend { return &s.slab[slot/slabChunk][slot%slabChunk] }

// release frees a slot: its heap items become stale.
func (m *Model) release(slot int32) {
	p := m.pend(slot)
	*p = pend{gen: p.gen + 1}
	m.free = append(m.free, slot)
}

// cancel cancels a pending invitation (withdrawn): its answer never comes.
func (m *Model) cancel(slot int32) {
	if m.pend(slot).scheduled {
		m.stale++
	}
	m.release(slot)
	if m.stale > 1024 && m.stale > len(m.heap)/2 {
		h := m.heap[:0]
		for _, it := range m.heap {
			if m.pend(it.slot).gen == it.gen {
				h = append(h, it)
			}
		}
		clear(m.heap[len(h):])
		m.heap, m.stale = h, 0
		for i := (len(h) - 2) / arity; len(h) > 1 && i >= 0; i-- {
			m.down(i)
		}
	}
}

// catchUp applies every answer due at or before now, queueing its event.
func (m *Model) catchUp(now int64) {
	for len(m.heap) > 0 && m.heap[0].at <= now {
		it := m.pop()
		p := m.pend(it.slot)
		if p.gen != it.gen {
			m.stale--
			continue
		}
		a := p.a
		ev := wire.Event{Account: a.id, Person: p.person, Key: p.key, At: time.Unix(0, it.at).UTC()}
		if p.kind == kindReply { // not an invitation's answer: the relation stays connected
			ev.Type = platform.EventReplied
			a.st.Replied++
			m.release(it.slot)
			m.queue(ev, it.at, it.seq)
			continue
		}
		if m.restricts {
			m.settle(a, p, it.at, p.kind == kindAccept)
		}
		r := rel{}
		switch p.kind {
		case kindAccept:
			ev.Type, r.state = platform.EventAccepted, relConnected
			a.connections++
			a.st.Accepted++
		case kindDecline:
			ev.Type, r.state = platform.EventDeclined, relDeclined
			a.st.Declined++
		default:
			ev.Type, r.state, r.until = platform.EventExpired, relCooling, it.at+m.cooldown
			a.st.Expired++
		}
		a.st.Pending--
		a.rel[p.ph] = r
		m.release(it.slot)
		m.queue(ev, it.at, it.seq)
	}
}

// queue queues an applied event for Advance.
func (m *Model) queue(ev wire.Event, at, seq int64) {
	if n := len(m.out); n > 0 && !m.out[n-1].less(at, seq) {
		m.outUnsorted = true
	}
	m.out = append(m.out, queued{seq: seq, ev: ev})
}

func (q *queued) less(at, seq int64) bool {
	t := q.ev.At.UnixNano()
	return t < at || t == at && q.seq < seq
}

// Advance applies every answer due at or before now and returns their
// events in time order (ties in the order the invitations arrived),
// including answers that fell due during requests made since the last call.
// Answers are also applied, though not delivered, when a request's time
// passes them: a withdrawal made after an acceptance fell due finds the
// invitation accepted, whether or not Advance was called in between.
func (m *Model) Advance(now time.Time) []wire.Event {
	n, _ := unixNano(now)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.catchUp(n)
	if len(m.out) == 0 {
		return nil
	}
	if m.outUnsorted {
		slices.SortStableFunc(m.out, func(x, y queued) int {
			if c := x.ev.At.Compare(y.ev.At); c != 0 {
				return c
			}
			return int(min(max(x.seq-y.seq, -1), 1))
		})
		m.outUnsorted = false
	}
	k := len(m.out)
	if m.out[k-1].ev.At.UnixNano() > n {
		k, _ = slices.BinarySearchFunc(m.out, n, func(q queued, t int64) int {
			if q.ev.At.UnixNano() <= t {
				return -1
			}
			return 1
		})
	}
	if k == 0 {
		return nil
	}
	evs := make([]wire.Event, k)
	for i := range evs {
		evs[i] = m.out[i].ev
	}
	rest := copy(m.out, m.out[k:])
	clear(m.out[rest:])
	m.out = m.out[:rest]
	m.shrink()
	return evs
}

// shrink gives back memory held after a peak: the queue of a large Advance,
// the heap of many answered invitations.
func (m *Model) shrink() {
	if c := cap(m.out); c > 4096 && len(m.out) < c/4 {
		m.out = append([]queued(nil), m.out...)
	}
	if c := cap(m.heap); c > 1<<16 && len(m.heap) < c/4 {
		m.heap = append([]item(nil), m.heap...)
	}
}

// NextEventAt returns the time of the earliest answer not yet delivered, for
// a virtual clock to jump to; false when none is scheduled.
func (m *Model) NextEventAt() (time.Time, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for len(m.heap) > 0 && m.pend(m.heap[0].slot).gen != m.heap[0].gen {
		m.pop()
		m.stale--
	}
	best, ok := int64(math.MaxInt64), false
	if len(m.heap) > 0 {
		best, ok = m.heap[0].at, true
	}
	for i := range m.out { // usually empty or short
		if t := m.out[i].ev.At.UnixNano(); t < best || !ok {
			best, ok = t, true
		}
		if !m.outUnsorted {
			break
		}
	}
	if !ok {
		return time.Time{}, false
	}
	return time.Unix(0, best).UTC(), true
}

func (m *Model) push(it item) {
	m.heap = append(m.heap, it)
	h := m.heap
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / arity
		if !it.less(h[p]) {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = it
}

func (m *Model) pop() item {
	h := m.heap
	top := h[0]
	n := len(h) - 1
	h[0] = h[n]
	m.heap = h[:n]
	if n > 0 {
		m.down(0)
	}
	return top
}

// The heap is 4-ary: half the depth of a binary heap, and a node's children
// share one or two cache lines.
const arity = 4

func (m *Model) down(i int) {
	h := m.heap
	n := len(h)
	it := h[i]
	for {
		first := arity*i + 1
		if first >= n {
			break
		}
		c := first
		for r := first + 1; r < min(first+arity, n); r++ {
			if h[r].less(h[c]) {
				c = r
			}
		}
		if !h[c].less(it) {
			break
		}
		h[i] = h[c]
		i = c
	}
	h[i] = it
}
