package scheduler

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"time"

	"github.com/cespare/xxhash/v2"
	"github.com/outreach-scheduler/outreach/internal/workpool"
	"github.com/outreach-scheduler/outreach/lifecycle"
	"github.com/outreach-scheduler/outreach/pacing"
	"github.com/outreach-scheduler/outreach/wire"
)

// A snapshot is the engine's state as of a ledger position, so that a new
// leader loads it and replays only the ledger after that position. It holds
// what the ledger taught the engine, never what the engine decided on its
// own since (tasks out, drawn gaps), exactly like a replay of the whole
// ledger would, and it names every prospect and person by identity: the
// campaign's name and a seeded 64-bit hash of the person's key (the seed is
// in the snapshot). It carries no person key, field or note text.
//
// # Format (version 2)
//
//	magic    "OUTREACH-SNAPSHOT\n"
//	header   uvarint length + JSON (snapshotHeader: version, time, seed,
//	         accounts by ID, campaigns by name with their variant names,
//	         failure and skip reasons)
//	sections per campaign of the header, in its order: uvarint count, then
//	         count prospect records
//	people   uvarint count, then count person records
//	sum      SHA-256 of everything before it
//
// A prospect record: person hash (8 bytes, little endian), state (1 byte),
// then uvarints: account (1 + index in the header's accounts, 0 none),
// attempt, message steps sent, variant (index in the campaign's variants),
// at (unix ms, rounded up: when followed or invited, also for a failed
// prospect that was followed; 0 none), end (unix ms: when the invitation
// was answered or ended, or the last message sent; 0 none), reason (a
// failed prospect's, or a skipped one's: 1 + index in the header's
// reasons; 0 none). Versions before the skip reasons were kept wrote 0 for
// a skipped prospect, and ignore the reason of one when they read it.
//
// Version 3 adds the state replied (lifecycle.StateReplied) to the
// prospect records; nothing else changes, and a snapshot holding no replied
// prospect is written as version 2, so that a process not yet upgraded
// still restores it. A replied prospect's at is its invitation's.
//
// Version 1 had no reasons (in the header nor the records) and no at for
// failed prospects; Restore still reads it: its failed prospects fail with
// reason ReasonUnrecorded, and a failed prospect of a follow-first
// campaign is retried from the follow.
//
// A person record: hash (8 bytes), uvarint count of standings, each: account
// (index in the header's accounts), status (1 byte), until (uvarint unix ms),
// claimed (1 byte), campaign of the active invitation (1 + index in the
// header's campaigns, 0 none).

// SnapshotVersion is the version of the snapshot format this engine writes
// and the newest it reads.
const SnapshotVersion = 3

const snapshotMagic = "OUTREACH-SNAPSHOT\n"

type snapshotHeader struct {
	V         int                `json:"v"`
	At        time.Time          `json:"at"`   // when it was written (the engine's clock)
	Seed      uint64             `json:"seed"` // the person hash's seed
	Accounts  []snapshotAccount  `json:"accounts"`
	Campaigns []snapshotCampaign `json:"campaigns"`
	// Reasons (version 2) are the failure and skip reasons the records name.
	Reasons []string `json:"reasons,omitempty"`
}

type snapshotAccount struct {
	ID string `json:"id"`
	// Accepted is the connections the account gained (or the cap it hit)
	// beyond its configured count: kept as a difference, so that a config
	// that updates `connections` is not counted twice.
	Accepted    int       `json:"accepted"`
	PausedUntil time.Time `json:"paused_until,omitzero"`
	// Pace is the safety governor's pace factor, written only when below
	// 1, with PaceSince, when it last changed (governor.since). Absent
	// (snapshots written before the governor, or at full pace): 1.
	Pace      float64   `json:"pace,omitempty"`
	PaceSince time.Time `json:"pace_since,omitzero"`
}

type snapshotCampaign struct {
	Name     string    `json:"name"`
	Variants []string  `json:"variants"` // "blank" first, as campaign.variants
	Done     time.Time `json:"done,omitzero"`
}

// ErrSnapshotCorrupt is returned by Restore for a snapshot that is
// truncated or does not match its checksum. Nothing was applied.
var ErrSnapshotCorrupt = errors.New("snapshot corrupt")

// Snapshot writes the engine's state as of the ledger entries it applied,
// at time at (the engine's clock), to w. It must be called from the
// goroutine that owns the engine.
func (e *Engine) Snapshot(w io.Writer, at time.Time) error {
	v := SnapshotVersion
	if e.replied == 0 {
		v = 2 // the lowest version that carries it (see the format)
	}
	return e.snapshot(w, at, v)
}

// snapshot writes a snapshot in format version v (the tests write version
// 1 to check that it still restores). Version 2 and below cannot carry a
// replied prospect.
func (e *Engine) snapshot(w io.Writer, at time.Time, v int) error {
	if v < 3 && e.replied > 0 {
		return fmt.Errorf("scheduler: a snapshot of version %d cannot carry the %d replied prospects", v, e.replied)
	}
	h := sha256.New()
	bw := bufio.NewWriterSize(io.MultiWriter(w, h), 1<<16)
	hdr := snapshotHeader{V: v, At: at.UTC(), Seed: e.people.seed}
	if len(e.reasons.names) > 1 && v >= 2 {
		hdr.Reasons = e.reasons.names[1:] // prospect.reason i is Reasons[i-1]
	}
	for _, a := range e.accounts {
		sa := snapshotAccount{ID: a.cfg.ID, Accepted: a.connections - a.cfg.Connections, PausedUntil: a.pausedUntil}
		if f := a.gov.factor(); f < 1 {
			sa.Pace, sa.PaceSince = f, a.gov.since.UTC()
		}
		hdr.Accounts = append(hdr.Accounts, sa)
	}
	for _, c := range e.camps {
		hdr.Campaigns = append(hdr.Campaigns, snapshotCampaign{Name: c.c.Name, Variants: c.variants, Done: c.done})
	}
	hb, err := json.Marshal(hdr)
	if err != nil {
		return err
	}
	var buf []byte
	buf = append(buf, snapshotMagic...)
	buf = binary.AppendUvarint(buf, uint64(len(hb)))
	buf = append(buf, hb...)
	if _, err := bw.Write(buf); err != nil {
		return err
	}
	for _, c := range e.camps {
		n := 0
		for i := range c.ps {
			if snapshotWorthy(&c.ps[i]) {
				n++
			}
		}
		buf = binary.AppendUvarint(buf[:0], uint64(n))
		for i := range c.ps {
			p := &c.ps[i]
			if !snapshotWorthy(p) {
				continue
			}
			h := uint64(0)
			if p.person >= 0 {
				h = e.people.all[p.person].hash
			} else {
				h = e.people.hash(c.src.Key(i))
			}
			buf = binary.LittleEndian.AppendUint64(buf, h)
			state := p.state
			var at int64
			if state == lifecycle.StateFollowed || invited(state) || state == lifecycle.StateFailed && v >= 2 {
				at = p.at // when followed or invited (failed: followed, or 0)
			}
			buf = append(buf, byte(state))
			buf = binary.AppendUvarint(buf, uint64(p.acct+1))
			buf = binary.AppendUvarint(buf, uint64(p.attempt))
			buf = binary.AppendUvarint(buf, uint64(p.msgStep))
			buf = binary.AppendUvarint(buf, uint64(p.variant))
			buf = binary.AppendUvarint(buf, msCeil(at))
			buf = binary.AppendUvarint(buf, msCeil(p.end))
			if v >= 2 {
				buf = binary.AppendUvarint(buf, uint64(p.reason)) // an index in hdr.Reasons, + 1
			}
			if len(buf) > 1<<15 {
				if _, err := bw.Write(buf); err != nil {
					return err
				}
				buf = buf[:0]
			}
		}
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	// People: their standings with each account, in registry order.
	n := 0
	for i := range e.people.all {
		if e.people.worthy(&e.people.all[i]) {
			n++
		}
	}
	buf = binary.AppendUvarint(buf[:0], uint64(n))
	var sts []*standing
	for i := range e.people.all {
		ps := &e.people.all[i]
		if !e.people.worthy(ps) {
			continue
		}
		hv := ps.hash
		sts = e.people.standings(ps, sts[:0])
		buf = binary.LittleEndian.AppendUint64(buf, hv)
		buf = binary.AppendUvarint(buf, uint64(len(sts)))
		for _, s := range sts {
			status, camp := s.status, uint64(0)
			switch status {
			case psPlanned:
				status = psNone // out to a worker: the ledger does not know it yet
			case psPending:
				camp = uint64(s.active.Campaign) + 1
			}
			buf = binary.AppendUvarint(buf, uint64(s.acct))
			buf = append(buf, status)
			buf = binary.AppendUvarint(buf, msCeil(s.until))
			buf = append(buf, b2u(s.claimed))
			buf = binary.AppendUvarint(buf, camp)
		}
		if len(buf) > 1<<15 {
			if _, err := bw.Write(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	if _, err := bw.Write(buf); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	_, err = w.Write(h.Sum(nil))
	return err
}

// snapshotWorthy reports whether a prospect differs from how New leaves
// it: only those go into a snapshot.
func snapshotWorthy(p *prospect) bool {
	return p.state != lifecycle.StateQueued || p.attempt > 0 || p.acct >= 0
}

func (p *people) worthy(ps *person) bool {
	if ps.first.acct >= 0 && (ps.first.status != psNone || ps.first.claimed) {
		return true
	}
	return ps.more != 0
}

// standings appends the person's standings with accounts.
func (p *people) standings(ps *person, out []*standing) []*standing {
	if ps.first.acct >= 0 {
		out = append(out, &ps.first)
	}
	for i := ps.more; i != 0; i = p.more[i-1].next {
		out = append(out, &p.more[i-1].standing)
	}
	return out
}

func b2u(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// msCeil is unix ns as unix ms rounded up (0 stays 0): a restored send is
// never earlier than it was, so the engine never plans closer to it.
func msCeil(ns int64) uint64 {
	if ns <= 0 {
		return 0
	}
	return uint64((ns + 999_999) / 1_000_000)
}

func msTime(ms uint64) int64 { return int64(ms) * 1_000_000 }

// RestoreStats says what Restore applied.
type RestoreStats struct {
	Prospects int       // prospect records applied
	Unmatched int       // prospect records of campaigns or people no longer here
	People    int       // person records applied
	At        time.Time // when the snapshot was written
}

// Restore loads a snapshot written by Snapshot into an engine just built
// by New (before any Plan, Done, Replay or Observe). Prospects are found by
// campaign name and person hash: a prospect the snapshot names that is no
// longer in its campaign is ignored, as Replay ignores its outcomes. A
// snapshot that does not verify (truncated, corrupt) returns an error
// wrapping ErrSnapshotCorrupt, one of a newer version a *wire.ErrVersion,
// and leaves the engine as it was.
func (e *Engine) Restore(data []byte) (RestoreStats, error) {
	var st RestoreStats
	if len(e.people.all) > 0 || e.seq > uint64(len(e.accounts)) || len(e.out) > 0 {
		return st, errors.New("scheduler: Restore needs an engine fresh from New")
	}
	if len(data) < len(snapshotMagic)+sha256.Size || string(data[:len(snapshotMagic)]) != snapshotMagic {
		return st, fmt.Errorf("%w: not a snapshot (no header)", ErrSnapshotCorrupt)
	}
	body, sum := data[:len(data)-sha256.Size], data[len(data)-sha256.Size:]
	if got := sha256.Sum256(body); !bytes.Equal(got[:], sum) {
		return st, fmt.Errorf("%w: checksum mismatch (truncated or damaged, %d bytes)", ErrSnapshotCorrupt, len(data))
	}
	r := &snapReader{b: body[len(snapshotMagic):]}
	hl := r.uvarint()
	hb := r.bytes(int(hl))
	if r.err != nil {
		return st, fmt.Errorf("%w: header: %v", ErrSnapshotCorrupt, r.err)
	}
	var hdr snapshotHeader
	if err := json.Unmarshal(hb, &hdr); err != nil {
		return st, fmt.Errorf("%w: header: %v", ErrSnapshotCorrupt, err)
	}
	if hdr.V > SnapshotVersion {
		return st, &wire.ErrVersion{What: "snapshot", Got: hdr.V, Max: SnapshotVersion}
	}
	if hdr.V < 1 {
		return st, fmt.Errorf("%w: version %d", ErrSnapshotCorrupt, hdr.V)
	}
	// Decode everything first, so that a bad record leaves the engine
	// untouched.
	type rec struct {
		hash                      uint64
		state                     lifecycle.State
		acct                      int16
		attempt, msgStep, variant uint8
		at, end                   int64
		reason                    int // 1 + index in hdr.Reasons; 0 none
	}
	accts := make([]*account, len(hdr.Accounts)) // by header index; nil: gone
	for i, ha := range hdr.Accounts {
		accts[i] = e.byID[ha.ID]
	}
	camps := make([]*campaign, len(hdr.Campaigns))
	recs := make([][]rec, len(hdr.Campaigns))
	for ci, hc := range hdr.Campaigns {
		for _, c := range e.camps {
			if c.c.Name == hc.Name {
				camps[ci] = c
			}
		}
		n := r.uvarint()
		if r.err == nil && n > uint64(len(r.b)) {
			r.err = errors.New("count beyond the data")
		}
		rs := make([]rec, 0, int(min(n, uint64(len(r.b)))))
		for range n {
			var x rec
			x.hash = r.u64()
			x.state = lifecycle.State(r.byte())
			ai := int(r.uvarint()) - 1
			x.attempt, x.msgStep = uint8(r.uvarint()), uint8(r.uvarint())
			vi := r.uvarint()
			x.at, x.end = msTime(r.uvarint()), msTime(r.uvarint())
			ri := uint64(0)
			if hdr.V >= 2 {
				ri = r.uvarint()
			}
			if r.err != nil {
				break
			}
			if x.state < lifecycle.StateQueued || x.state > lifecycle.StateReplied || x.state == lifecycle.StateReplied && hdr.V < 3 ||
				ai >= len(accts) || vi >= uint64(len(hc.Variants)) ||
				ri > uint64(len(hdr.Reasons)) {
				r.err = fmt.Errorf("campaign %s: bad prospect record (state %d, account %d, variant %d, reason %d)", hc.Name, x.state, ai, vi, ri)
				break
			}
			x.reason = int(ri)
			x.acct = -1
			if ai >= 0 {
				if accts[ai] == nil {
					st.Unmatched++
					continue // an account gone from the config: as Replay ignores its outcomes
				}
				x.acct = int16(accts[ai].idx)
			}
			x.variant = 0
			if c := camps[ci]; c != nil {
				x.variant = c.variantIndex(hc.Variants[vi])
			}
			rs = append(rs, x)
		}
		recs[ci] = rs
	}
	type stand struct {
		acct    int16
		status  uint8
		until   int64
		claimed bool
		camp    int // header index of the active invitation's campaign, -1 none
	}
	type prec struct {
		hash uint64
		sts  []stand
	}
	np := r.uvarint()
	if r.err == nil && np > uint64(len(r.b)) {
		r.err = errors.New("count beyond the data")
	}
	prs := make([]prec, 0, int(min(np, uint64(len(r.b)))))
	for range np {
		x := prec{hash: r.u64()}
		ns := r.uvarint()
		for range ns {
			ai := r.uvarint()
			s := stand{status: r.byte(), until: msTime(r.uvarint()), claimed: r.byte() == 1, camp: int(r.uvarint()) - 1}
			if r.err != nil {
				break
			}
			if ai >= uint64(len(accts)) || s.status > psCooling || s.camp >= len(hdr.Campaigns) {
				r.err = fmt.Errorf("bad person record (account %d, status %d)", ai, s.status)
				break
			}
			if accts[ai] == nil {
				continue
			}
			s.acct = int16(accts[ai].idx)
			x.sts = append(x.sts, s)
		}
		if r.err != nil {
			break
		}
		prs = append(prs, x)
	}
	if r.err == nil && len(r.b) != 0 {
		r.err = fmt.Errorf("%d bytes after the last record", len(r.b))
	}
	if r.err != nil {
		return st, fmt.Errorf("%w: %v", ErrSnapshotCorrupt, r.err)
	}

	// Apply.
	e.people.seed = hdr.Seed
	e.people.d.ResetWithSeed(hdr.Seed)
	st.At = hdr.At
	for i, ha := range hdr.Accounts {
		if a := accts[i]; a != nil {
			a.connections = min(a.cfg.Connections+ha.Accepted, pacing.MaxConnections)
			a.pausedUntil = ha.PausedUntil
			a.earliest = maxTime(a.earliest, ha.PausedUntil)
			if ha.Pace > 0 && ha.Pace < 1 {
				a.gov.pace, a.gov.since = max(ha.Pace, a.cfg.Safety.Floor), ha.PaceSince
			}
		}
	}
	type sent struct {
		at      int64
		variant uint8
	}
	var byExp [][]sent // by engine campaign index: invitations for the experiment
	byExp = make([][]sent, len(e.camps))
	type activeKey struct {
		person int32
		acct   int16
	}
	active := map[activeKey]bool{} // standings whose pending invitation Restore found
	logCut := hdr.At.UnixNano() - int64(pacing.SendRetention)
	monthEnd := make([]int64, len(e.accounts)) // the end of each account's a.monthStart month
	for i := range monthEnd {
		monthEnd[i] = math.MinInt64
	}
	indexes := hashIndexes(camps, hdr.Seed)
	// Find every record's prospect on every core (read-only lookups), then
	// apply them in order on this one.
	found := make([][]int32, len(recs))
	workpool.Each(len(recs), func(ci int) {
		if index := indexes[ci]; index != nil {
			f := make([]int32, len(recs[ci]))
			for j, x := range recs[ci] {
				if i, ok := index[x.hash]; ok {
					f[j] = i
				} else {
					f[j] = -1
				}
			}
			found[ci] = f
		}
	})
	for ci, rs := range recs {
		c := camps[ci]
		if c == nil {
			st.Unmatched += len(rs)
			continue
		}
		index := indexes[ci]
		c.byHash = index // lookup's index, under the snapshot's seed
		if !hdr.Campaigns[ci].Done.IsZero() {
			c.done = hdr.Campaigns[ci].Done
		}
		for j, x := range rs {
			idx := found[ci][j]
			if idx < 0 {
				st.Unmatched++
				continue
			}
			st.Prospects++
			ref := Ref{Campaign: c.idx, Index: idx}
			p := &c.ps[idx]
			was := p.state
			if was == lifecycle.StateSkipped {
				continue // skipped by the source now (excluded, repeated): as Replay ignores its outcomes
			}
			p.state, p.attempt, p.msgStep, p.at, p.end = x.state, x.attempt, x.msgStep, x.at, x.end
			if x.state == lifecycle.StateFailed || x.state == lifecycle.StateSkipped && x.reason > 0 {
				p.reason = e.restoredReason(hdr.Reasons, x.reason)
			}
			if x.acct >= 0 {
				p.acct = x.acct
			}
			if p.person < 0 { // the person registry, by the hash the record carries
				pi, ok := e.people.index[x.hash]
				if !ok {
					pi = int32(len(e.people.all))
					e.people.index[x.hash] = pi
					e.people.all = append(e.people.all, person{first: standing{acct: -1}, hash: x.hash})
				}
				p.person = pi
			}
			if x.state != lifecycle.StateQueued && x.state != lifecycle.StateFollowed {
				c.left-- // finished (invited, failed or skipped), as finish counts it
			}
			if x.state == lifecycle.StateReplied {
				e.replied++
			}
			if invited(x.state) && x.at > 0 {
				p.variant = x.variant
				byExp[c.idx] = append(byExp[c.idx], sent{x.at, x.variant})
			}
			if x.acct < 0 {
				continue
			}
			a := e.accounts[x.acct]
			k := c.senderPos(a)
			switch x.state {
			case lifecycle.StateFollowed:
				if k >= 0 {
					c.followed[k].push(idx)
					c.backlog[k]++
				}
			case lifecycle.StateInvited:
				sd := e.with(&e.people.all[p.person], int16(a.idx))
				sd.active = ref
				active[activeKey{p.person, int16(a.idx)}] = true
				a.pending++
				a.pendQ = append(a.pendQ, ref)
				e.pushTimer(timer{at: x.at + c.withdraw.Nanoseconds(), kind: tmWithdraw, acct: int16(a.idx), ref: ref})
				if c.expire <= c.withdraw {
					e.pushTimer(timer{at: x.at + c.expire.Nanoseconds(), kind: tmExpire, acct: int16(a.idx), ref: ref})
				}
			case lifecycle.StateAccepted:
				if int(x.msgStep) < len(c.messages) {
					e.scheduleMessage(a, c, ref, time.Unix(0, x.end))
				}
			}
			if invited(x.state) && x.at > 0 {
				if x.at > logCut {
					a.log = append(a.log, x.at)
				}
				a.gov.sent = append(a.gov.sent, ref)
				if x.variant != 0 { // the notes of the account's latest month
					switch {
					case x.at >= monthEnd[a.idx]:
						ms, next := a.cal.Month(time.Unix(0, x.at))
						a.monthStart, a.notesMonth, monthEnd[a.idx] = ms, 1, next.UnixNano()
					case x.at >= a.monthStart.UnixNano():
						a.notesMonth++
					}
				}
			}
		}
	}
	for _, a := range e.accounts {
		slices.Sort(a.log)
		slices.SortFunc(a.gov.sent, func(x, y Ref) int {
			return int(e.camps[x.Campaign].ps[x.Index].at - e.camps[y.Campaign].ps[y.Index].at)
		})
		slices.SortFunc(a.pendQ, func(x, y Ref) int {
			return int(e.camps[x.Campaign].ps[x.Index].at - e.camps[y.Campaign].ps[y.Index].at)
		})
	}
	for _, c := range e.camps {
		for k := range c.followed {
			slices.SortStableFunc(c.followed[k].items[c.followed[k].head:], func(x, y int32) int {
				return int(c.ps[x].at - c.ps[y].at)
			})
		}
		ss := byExp[c.idx]
		slices.SortFunc(ss, func(x, y sent) int { return int(x.at - y.at) })
		for _, s := range ss {
			c.exp.Sent(int(s.variant), time.Unix(0, s.at))
		}
		for i := range c.ps {
			switch c.ps[i].state {
			case lifecycle.StateAccepted, lifecycle.StateMessaged, lifecycle.StateReplied:
				c.exp.Resolved(int(c.ps[i].variant), true)
			case lifecycle.StateDeclined, lifecycle.StateWithdrawn, lifecycle.StateExpired:
				c.exp.Resolved(int(c.ps[i].variant), false)
			}
		}
	}
	// The people the prospects registered already, looked up on every core.
	pis := make([]int32, len(prs))
	const chunk = 1 << 16
	workpool.Each((len(prs)+chunk-1)/chunk, func(c int) {
		for i := c * chunk; i < min((c+1)*chunk, len(prs)); i++ {
			if pi, ok := e.people.index[prs[i].hash]; ok {
				pis[i] = pi
			} else {
				pis[i] = -1
			}
		}
	})
	for i, x := range prs {
		pi := pis[i]
		if pi < 0 {
			// Known to the workspace but in no campaign here now: kept, so
			// that a campaign added later still sees the person's history.
			pi = int32(len(e.people.all))
			e.people.index[x.hash] = pi
			e.people.all = append(e.people.all, person{first: standing{acct: -1}, hash: x.hash})
		}
		st.People++
		for _, s := range x.sts {
			ps := &e.people.all[pi]
			sd := e.with(ps, s.acct)
			sd.status, sd.until, sd.claimed = s.status, s.until, s.claimed
			if sd.status == psPending && !active[activeKey{pi, s.acct}] {
				// The invitation's campaign or prospect is gone: nothing
				// will resolve it here; the person stays taken.
				sd.status = psConnected
			}
		}
	}
	for _, a := range e.accounts {
		if len(a.camps) > 0 {
			e.wake(a, a.earliest)
		}
	}
	return st, nil
}

// hashIndexes returns, for each campaign (nil ones skipped), the map from
// person hash (under seed) to prospect index, built on every core: hashing
// every key of every campaign is most of a restore's work.
func hashIndexes(camps []*campaign, seed uint64) []map[uint64]int32 {
	out := make([]map[uint64]int32, len(camps))
	workpool.Each(len(camps), func(ci int) {
		c := camps[ci]
		if c == nil {
			return
		}
		d := xxhash.NewWithSeed(seed)
		m := make(map[uint64]int32, len(c.ps))
		for i := range c.ps {
			d.ResetWithSeed(seed)
			d.WriteString(c.src.Key(i))
			m[d.Sum64()] = int32(i)
		}
		out[ci] = m
	})
	return out
}

// snapReader reads the snapshot's encoding, keeping the first error.
type snapReader struct {
	b   []byte
	err error
}

func (r *snapReader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("truncated %s", what)
	}
	r.b = nil
}

func (r *snapReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail("number")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *snapReader) u64() uint64 {
	if r.err != nil || len(r.b) < 8 {
		r.fail("hash")
		return 0
	}
	v := binary.LittleEndian.Uint64(r.b)
	r.b = r.b[8:]
	return v
}

func (r *snapReader) byte() byte {
	if r.err != nil || len(r.b) < 1 {
		r.fail("byte")
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *snapReader) bytes(n int) []byte {
	if r.err != nil || n < 0 || len(r.b) < n {
		r.fail("bytes")
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}
