package scheduler

import "github.com/outreach-scheduler/outreach/campaigns"

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

// person is everything the workspace knows of one person.
type person struct {
	first standing   // most people deal with one account
	more  []standing // the others (dedupe account or campaign)
}

// people is the workspace's registry of persons, by normalized key.
type people struct {
	index map[string]int32
	all   []person
}

func newPeople() people { return people{index: map[string]int32{}} }

// get returns the person with key, or nil.
func (p *people) get(key string) *person {
	if i, ok := p.index[key]; ok {
		return &p.all[i]
	}
	return nil
}

// of returns the registry entry of a campaign's prospect, adding it.
func (e *Engine) personOf(c *campaign, idx int32) *person {
	p := &c.ps[idx]
	if p.person < 0 {
		key := c.src.Key(int(idx))
		if i, ok := e.people.index[key]; ok {
			p.person = i
		} else {
			p.person = int32(len(e.people.all))
			e.people.index[key] = p.person
			e.people.all = append(e.people.all, person{first: standing{acct: -1}})
		}
	}
	return &e.people.all[p.person]
}

// ensure returns the person with key, adding it.
func (p *people) ensure(key string) *person {
	if i, ok := p.index[key]; ok {
		return &p.all[i]
	}
	p.index[key] = int32(len(p.all))
	p.all = append(p.all, person{first: standing{acct: -1}})
	return &p.all[len(p.all)-1]
}

// with returns the standing of the person with account a, adding one.
func (ps *person) with(a int16) *standing {
	if ps.first.acct == a || ps.first.acct < 0 {
		ps.first.acct = a
		return &ps.first
	}
	for i := range ps.more {
		if ps.more[i].acct == a {
			return &ps.more[i]
		}
	}
	ps.more = append(ps.more, standing{acct: a})
	return &ps.more[len(ps.more)-1]
}

// find returns the standing with account a, or nil.
func (ps *person) find(a int16) *standing {
	if ps.first.acct == a {
		return &ps.first
	}
	for i := range ps.more {
		if ps.more[i].acct == a {
			return &ps.more[i]
		}
	}
	return nil
}

// verdict is what the registry says about inviting a person.
type verdict struct {
	skip  string // a campaigns.Skip* reason: never invite
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
func (ps *person) eligible(a int16, mode campaigns.Dedupe, t int64) verdict {
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
					return verdict{skip: campaigns.SkipDeclinedBefore}
				}
				return verdict{skip: campaigns.SkipAlreadyInvited}
			}
			return verdict{}
		}
		switch s.status {
		case psDeclined:
			return verdict{skip: campaigns.SkipDeclinedBefore}
		case psPlanned, psPending, psConnected:
			return verdict{skip: campaigns.SkipAlreadyInvited}
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
	for i := range ps.more {
		if v := check(&ps.more[i]); v.skip != "" || v.until > 0 {
			return v
		}
	}
	return verdict{}
}
