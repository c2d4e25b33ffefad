package scheduler

import (
	"github.com/cespare/xxhash/v2"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/lifecycle"
)

// The standing of a person with one account.
const (
	psNone      uint8 = iota
	psPlanned         // an invitation is out to a worker
	psPending         // invited, no answer yet
	psConnected       // accepted
	psDeclined        // declined: never again
	psCooling         // withdrawn or expired: not before until
)

// standing is a person's relation to one account.
type standing struct {
	acct   int16
	status uint8
	until  int64 // psCooling: unix ns when the cooldown ends
	active Ref   // the prospect whose invitation is planned or pending
	// claimed: an invitation under dedupe workspace made this account the
	// person's only one in the workspace, whatever the later campaigns say.
	claimed bool
}

// person is everything the workspace knows of one person. It holds no
// pointers, so that millions of them cost the garbage collector nothing.
type person struct {
	first standing // most people deal with one account
	more  int32    // 1 + index in people.more of the next standing; 0 none
	hash  uint64   // the registry's key (Snapshot writes it without hashing again)
}

// node is a standing beyond a person's first, in a linked list.
type node struct {
	standing
	next int32 // 1 + index of the next node; 0 none
}

// people is the workspace's registry of persons. It is keyed by a 64-bit
// seeded hash (xxHash64) of the normalized key, not the key itself: no
// strings to keep or scan, and a snapshot (which carries the seed) names a
// person without naming the key. Two people whose keys collide (odds about n^2/2^65: 3e-6 for ten
// million people) would be taken for one, which can only skip someone,
// never invite anyone twice.
type people struct {
	seed  uint64
	d     *xxhash.Digest // reused by hash
	index map[uint64]int32
	all   []person
	more  []node
}

func newPeople(seed uint64) people {
	return people{seed: seed, d: xxhash.NewWithSeed(seed), index: map[uint64]int32{}}
}

func (p *people) hash(key string) uint64 {
	p.d.ResetWithSeed(p.seed)
	p.d.WriteString(key)
	return p.d.Sum64()
}

// get returns the person with key, or nil.
func (p *people) get(key string) *person {
	if i, ok := p.index[p.hash(key)]; ok {
		return &p.all[i]
	}
	return nil
}

// personOf returns the registry entry of a campaign's prospect, adding it.
func (e *Engine) personOf(c *campaign, idx int32) *person {
	p := &c.ps[idx]
	if p.person < 0 {
		h := e.people.hash(c.src.Key(int(idx)))
		if i, ok := e.people.index[h]; ok {
			p.person = i
		} else {
			p.person = int32(len(e.people.all))
			e.people.index[h] = p.person
			e.people.all = append(e.people.all, person{first: standing{acct: -1}, hash: h})
		}
	}
	return &e.people.all[p.person]
}

// with returns the standing of the person with account a, adding one.
func (e *Engine) with(ps *person, a int16) *standing {
	if ps.first.acct == a || ps.first.acct < 0 {
		ps.first.acct = a
		return &ps.first
	}
	if s := e.find(ps, a); s != nil {
		return s
	}
	e.people.more = append(e.people.more, node{standing: standing{acct: a}, next: ps.more})
	ps.more = int32(len(e.people.more))
	return &e.people.more[ps.more-1].standing
}

// find returns the standing of the person with account a, or nil.
func (e *Engine) find(ps *person, a int16) *standing {
	if ps.first.acct == a {
		return &ps.first
	}
	for i := ps.more; i != 0; i = e.people.more[i-1].next {
		if e.people.more[i-1].acct == a {
			return &e.people.more[i-1].standing
		}
	}
	return nil
}

// verdict is what the registry says about inviting a person.
type verdict struct {
	skip  string // a lifecycle.Skip* reason: never invite
	until int64  // > 0: not before this (cooldown)
}

// eligible decides whether account a may invite the person at t (unix ns)
// under the campaign's dedupe mode. In workspace mode a person is invited
// by at most one account of the workspace, ever, and an invitation made in
// workspace mode claims the person against every later campaign too; in account and campaign
// modes each account may invite once (the platform itself refuses a second
// pending invitation from the same account, so the campaign mode cannot be
// looser than the account mode). A decline is final for the account, and in
// workspace mode for everyone.
func (e *Engine) eligible(ps *person, a int16, mode campaigns.Dedupe, t int64) verdict {
	if ps == nil {
		return verdict{}
	}
	check := func(s *standing) verdict {
		if s.acct < 0 || s.status == psNone {
			return verdict{}
		}
		if s.acct != a {
			if mode == campaigns.DedupeWorkspace || mode == "" || s.claimed {
				if s.status == psDeclined {
					return verdict{skip: lifecycle.SkipDeclinedBefore}
				}
				return verdict{skip: lifecycle.SkipAlreadyInvited}
			}
			return verdict{}
		}
		switch s.status {
		case psDeclined:
			return verdict{skip: lifecycle.SkipDeclinedBefore}
		case psPlanned, psPending, psConnected:
			return verdict{skip: lifecycle.SkipAlreadyInvited}
		case psCooling:
			if t < s.until {
				return verdict{until: s.until}
			}
		}
		return verdict{}
	}
	if v := check(&ps.first); v.skip != "" || v.until > 0 {
		return v
	}
	for i := ps.more; i != 0; i = e.people.more[i-1].next {
		if v := check(&e.people.more[i-1].standing); v.skip != "" || v.until > 0 {
			return v
		}
	}
	return verdict{}
}
