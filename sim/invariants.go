package sim

import (
	"cmp"
	"fmt"
	"hash/maphash"
	"slices"
	"strings"
	"time"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/platform/sandbox"
	"github.com/outreach-scheduler/outreach/wire"
)

// Violation is one broken promise found by CheckInvariants.
type Violation struct {
	Rule     string // one of the Rule constants, or RuleRefused + the platform's code
	Account  string
	Person   string
	Campaign string    // "" when the rule does not concern one campaign
	At       time.Time // the offending request or event
	Detail   string    // what was wrong, with the figures
}

// String formats the violation on one line:
// "RULE at TIME account=A person=P campaign=C: DETAIL" (empty fields left out).
func (v Violation) String() string {
	var b strings.Builder
	b.WriteString(v.Rule)
	b.WriteString(" at ")
	b.WriteString(v.At.UTC().Format(time.RFC3339Nano))
	for _, f := range [...]struct{ k, v string }{{"account", v.Account}, {"person", v.Person}, {"campaign", v.Campaign}} {
		if f.v != "" {
			fmt.Fprintf(&b, " %s=%s", f.k, f.v)
		}
	}
	if v.Detail != "" {
		b.WriteString(": ")
		b.WriteString(v.Detail)
	}
	return b.String()
}

// The rules of CheckInvariants, per account A with effective limits
// A.Limits. The names are stable: tests and reports print them.
const (
	// RuleRefused + code: the platform refused a request; the engine must
	// never make it refuse (a withdrawal that lost the race with the
	// recipient's answer excepted).
	RuleRefused = "refused:"
	// RuleWeekly: more invitations in (t-7d, t] than pacing.Warmup(A.WarmupStart,
	// A.Limits.Weekly, t), checked at every invitation t. The fullest
	// window ends at a send and the cap only grows, so every rolling window
	// is covered.
	RuleWeekly = "weekly"
	// RuleDaily: more invitations in a calendar day of A's zone, up to t,
	// than DailyCap(A, t).
	RuleDaily = "daily"
	// RuleGap: consecutive invitations less than A.Limits.MinGap apart.
	RuleGap = "gap"
	// RuleHours: an invitation outside campaigns.Calendar(A, campaign's schedule).
	RuleHours = "hours"
	// RuleNoteChars: a note (Entry.Chars) longer than A.Limits.NoteChars.
	RuleNoteChars = "note_chars"
	// RuleNotesMonth: more personalized notes (HasNote) in a calendar month
	// of A's zone than A.Limits.NotesPerMonth (unless pacing.Unlimited).
	RuleNotesMonth = "notes_month"
	// RuleDuplicate: A invites a person again while its invitation is
	// pending or accepted, after a decline, or less than
	// cfg.Defaults.ReinviteCooldown after its withdrawal or expiry.
	RuleDuplicate = "duplicate"
	// RuleWorkspace: two different accounts invite the same person, ever,
	// when the campaign of either invitation has dedupe workspace (the
	// default). Decision: under workspace a person is invited by at most
	// one account of the workspace, even after a withdrawal and cooldown.
	RuleWorkspace = "workspace"
	// RuleMaxPending: an invitation sent while A already had
	// A.Limits.MaxPending pending invitations (the ceiling is kept by
	// withdrawing the oldest first).
	RuleMaxPending = "max_pending"
	// RuleWithdrawAge: a withdrawal of an invitation younger than its
	// campaign's withdraw_after (else cfg.Defaults.WithdrawAfter) while A
	// had fewer than A.Limits.MaxPending pending invitations just before it
	// (at the ceiling the engine prunes to make room).
	RuleWithdrawAge = "withdraw_age"
	// RuleWithdrawOldest: an early withdrawal (as above) that is not of A's
	// oldest pending invitation.
	RuleWithdrawOldest = "withdraw_oldest"
	// RuleMessage: a message without an acceptance by the person of A's
	// invitation at least the wait of the campaign's first message step
	// earlier (kept simple: later steps wait longer still), or for a
	// campaign without message steps.
	RuleMessage = "message"
	// RuleFollowFirst: in a campaign whose steps begin with follow, an
	// invitation without a follow of the person by A at least the sum of
	// the follow steps' waits earlier.
	RuleFollowFirst = "follow_first"
	// RuleRecord: the data do not fit together: an account or campaign
	// unknown to cfg and camps, an answer or a withdrawal with no pending
	// invitation to end.
	RuleRecord = "record"
)

// CheckInvariants referees the product's promises (docs/design.md, Invariants)
// against what the platform itself recorded, never the engine's own
// books: record is the platform's record of requests (sandbox.Model.Record,
// or GET /v1/invitations of the sandbox server) in arrival order, complete
// (not ViolationsOnly); events are its answers (accepted, declined,
// expired) in any order. It is a pure function of its arguments; the
// violations (see the Rule constants) come sorted by time, then rule.
//
// Only requests the platform accepted count (Refused "" and not Repeat);
// repeats are at-least-once delivery answered from the idempotency key and
// are ignored. Refusals are violations, except a withdrawal refused
// not_pending because the recipient's answer (accepted, declined, expired)
// fell due first: a race no scheduler can avoid. Pending invitations are
// rebuilt from the record and the events. At one instant answers come
// before requests (the platform applies answers due at or before a
// request's time first), except an answer at the very instant of its own
// invitation; requests keep their arrival order.
//
// Cost: O(n log n) in entries plus events: two sorts of a 48-byte summary
// of each (about 1 GB for 10 million entries, besides the record itself).
func CheckInvariants(cfg *config.Config, camps []*campaigns.Campaign, record []sandbox.Entry, events []wire.Event) []Violation {
	c := newReferee(cfg, camps, record, events)
	c.collect()
	c.byPerson()
	c.byAccount()
	slices.SortStableFunc(c.out, func(x, y Violation) int {
		return cmp.Or(x.At.Compare(y.At), strings.Compare(x.Rule, y.Rule), strings.Compare(x.Account, y.Account),
			strings.Compare(x.Person, y.Person), strings.Compare(x.Campaign, y.Campaign))
	})
	return c.out
}

// refKind is what a refItem is.
type refKind uint8

const (
	refFollow refKind = iota
	refInvite
	refWithdraw
	refMessage
	refLostRace // a withdrawal refused not_pending: the recipient's answer may have come first
	refAccepted
	refDeclined
	refExpired
)

func (k refKind) isEvent() bool { return k >= refAccepted }

var (
	refOps = map[sandbox.Op]refKind{sandbox.OpFollow: refFollow, sandbox.OpInvite: refInvite,
		sandbox.OpWithdraw: refWithdraw, sandbox.OpMessage: refMessage}
	refEvents = map[platform.EventType]refKind{platform.EventAccepted: refAccepted,
		platform.EventDeclined: refDeclined, platform.EventExpired: refExpired}
)

// refItem is one accepted request or one event, summarized without pointers.
type refItem struct {
	at     int64  // UnixNano
	ph     uint64 // hash of the person
	linkAt int64  // withdrawals and events: time of the invitation they end
	src    int32  // index in record, or in events for events
	acct   int32  // index in cfg.Accounts
	camp   int32  // index in camps, -1 for none; for a withdrawal, the invitation's campaign
	link   int32  // withdrawals and events: record index of the invitation they end, -1 for none
	kind   refKind
	// ord places events before requests at one instant (0, 1); an answer
	// at its own invitation's instant comes after them (2).
	ord uint8
}

// refCampaign is what the rules need of one campaign.
type refCampaign struct {
	c             *campaigns.Campaign
	withdrawAfter time.Duration
	workspace     bool
	hasMessage    bool
	messageWait   time.Duration
	followFirst   bool
	followWait    time.Duration
}

type referee struct {
	cfg    *config.Config
	record []sandbox.Entry
	events []wire.Event
	camps  []refCampaign
	accts  map[string]int32
	campIx map[string]int32
	seed   maphash.Seed
	items  []refItem
	out    []Violation
	// reported unknown accounts and campaigns, once each
	unknown map[string]bool
}

func newReferee(cfg *config.Config, camps []*campaigns.Campaign, record []sandbox.Entry, events []wire.Event) *referee {
	c := &referee{
		cfg: cfg, record: record, events: events,
		accts: map[string]int32{}, campIx: map[string]int32{}, unknown: map[string]bool{},
		seed: maphash.MakeSeed(),
	}
	for i := range cfg.Accounts {
		c.accts[cfg.Accounts[i].ID] = int32(i)
	}
	for i, cp := range camps {
		ci := refCampaign{c: cp, withdrawAfter: cfg.Defaults.WithdrawAfter, workspace: cp.Dedupe == campaigns.DedupeWorkspace || cp.Dedupe == ""}
		if cn := cp.ConnectStep(); cn != nil && cn.WithdrawAfter > 0 {
			ci.withdrawAfter = cn.WithdrawAfter
		}
		ci.followFirst = len(cp.Steps) > 0 && cp.Steps[0].Kind == campaigns.StepFollow
		for _, s := range cp.Steps {
			switch {
			case s.Kind == campaigns.StepFollow:
				ci.followWait += s.Wait
			case s.Kind == campaigns.StepMessage && !ci.hasMessage:
				ci.hasMessage = true
				if s.Message != nil {
					ci.messageWait = s.Message.Wait
				}
			}
		}
		c.camps = append(c.camps, ci)
		c.campIx[cp.Name] = int32(i)
	}
	return c
}

func (c *referee) add(rule, account, person, campaign string, at time.Time, format string, args ...any) {
	c.out = append(c.out, Violation{Rule: rule, Account: account, Person: person, Campaign: campaign, At: at, Detail: fmt.Sprintf(format, args...)})
}

// account returns the index of an account, reporting an unknown one once.
func (c *referee) account(id string, at time.Time) (int32, bool) {
	i, ok := c.accts[id]
	if !ok && c.once("a/"+id) {
		c.add(RuleRecord, id, "", "", at, "account %q is not in the config", id)
	}
	return i, ok
}

// campaign returns the index of a campaign (-1 for none), reporting an
// unknown one once.
func (c *referee) campaign(name, account string, at time.Time) int32 {
	i, ok := c.campIx[name]
	if !ok && name != "" && c.once("c/"+name) {
		c.add(RuleRecord, account, "", name, at, "campaign %q is not among the campaigns checked", name)
	}
	if !ok {
		return -1
	}
	return i
}

func (c *referee) once(key string) bool {
	seen := c.unknown[key]
	c.unknown[key] = true
	return !seen
}

// collect turns accepted requests and events into items and reports
// refusals.
func (c *referee) collect() {
	c.items = make([]refItem, 0, len(c.record)+len(c.events))
	for i := range c.record {
		e := &c.record[i]
		if e.Repeat {
			continue
		}
		k, known := refOps[e.Op]
		switch {
		case e.Refused == platform.CodeNotPending && e.Op == sandbox.OpWithdraw:
			k = refLostRace // judged with the person's history
		case e.Refused != "":
			c.add(RuleRefused+string(e.Refused), e.Account, e.Person, e.Campaign, e.At, "the platform refused %s %s", e.Op, e.Key)
			continue
		case !known:
			continue
		}
		a, ok := c.account(e.Account, e.At)
		if !ok {
			continue
		}
		c.items = append(c.items, refItem{at: e.At.UnixNano(), ph: maphash.String(c.seed, e.Person), src: int32(i), acct: a,
			camp: c.campaign(e.Campaign, e.Account, e.At), link: -1, kind: k, ord: 1})
	}
	for i := range c.events {
		ev := &c.events[i]
		k, known := refEvents[ev.Type]
		if !known {
			continue
		}
		a, ok := c.account(ev.Account, ev.At)
		if !ok {
			continue
		}
		c.items = append(c.items, refItem{at: ev.At.UnixNano(), ph: maphash.String(c.seed, ev.Person), src: int32(i), acct: a,
			camp: -1, link: -1, kind: k})
	}
}

func (c *referee) person(it *refItem) string {
	if it.kind.isEvent() {
		return c.events[it.src].Person
	}
	return c.record[it.src].Person
}

func (c *referee) when(it *refItem) time.Time {
	if it.kind.isEvent() {
		return c.events[it.src].At
	}
	return c.record[it.src].At
}

// refByTime orders items by time; at one instant by ord, then by
// arrival (record order, event order).
func refByTime(x, y *refItem) int {
	switch {
	case x.at != y.at:
		return cmp.Compare(x.at, y.at)
	case x.ord != y.ord:
		return cmp.Compare(x.ord, y.ord)
	}
	return cmp.Compare(x.src, y.src)
}

// byPerson sorts the items by person, account and time, and walks each
// person's history: workspace, duplicate, message and follow_first, and
// links every withdrawal and answer to the invitation it ends.
func (c *referee) byPerson() {
	items := c.items
	slices.SortFunc(items, func(x, y refItem) int {
		switch {
		case x.ph != y.ph:
			return cmp.Compare(x.ph, y.ph)
		case x.acct != y.acct:
			return cmp.Compare(x.acct, y.acct)
		}
		return refByTime(&x, &y)
	})
	var invites []*refItem // scratch: one person's invitations
	for i := 0; i < len(items); {
		j := i + 1
		for j < len(items) && items[j].ph == items[i].ph {
			j++
		}
		run := items[i:j]
		if p := c.person(&run[0]); slices.ContainsFunc(run[1:], func(it refItem) bool { return c.person(&it) != p }) {
			// Two people share a hash: group them by name, keeping each
			// one's order.
			slices.SortStableFunc(run, func(x, y refItem) int { return strings.Compare(c.person(&x), c.person(&y)) })
		}
		for k := 0; k < len(run); {
			p := c.person(&run[k])
			l := k + 1
			for l < len(run) && c.person(&run[l]) == p {
				l++
			}
			invites = c.checkPerson(run[k:l], p, invites[:0])
			k = l
		}
		i = j
	}
}

// checkPerson checks one person's items, sorted by account then time.
func (c *referee) checkPerson(items []refItem, person string, invites []*refItem) []*refItem {
	for i := 0; i < len(items); {
		j := i + 1
		for j < len(items) && items[j].acct == items[i].acct {
			j++
		}
		c.checkPair(items[i:j], person)
		for k := i; k < j; k++ {
			if items[k].kind == refInvite {
				invites = append(invites, &items[k])
			}
		}
		i = j
	}
	c.checkWorkspace(invites, person)
	return invites
}

// checkWorkspace: under dedupe workspace, one account per person.
func (c *referee) checkWorkspace(invites []*refItem, person string) {
	if len(invites) < 2 {
		return
	}
	slices.SortFunc(invites, refByTime)
	type seen struct {
		acct      int32
		workspace bool // some invitation from acct was under dedupe workspace
	}
	var accts []seen
	for _, it := range invites {
		ws := it.camp < 0 || c.camps[it.camp].workspace
		found := false
		for k := range accts {
			s := &accts[k]
			if s.acct == it.acct {
				s.workspace, found = s.workspace || ws, true
				continue
			}
			if ws || s.workspace {
				e := &c.record[it.src]
				c.add(RuleWorkspace, e.Account, person, e.Campaign, e.At,
					"already invited by account %s (dedupe workspace: one account per person)", c.cfg.Accounts[s.acct].ID)
			}
		}
		if !found {
			accts = append(accts, seen{it.acct, ws})
		}
	}
}

// Relationship states of one account and one person.
const (
	refNone = iota
	refPending
	refConnected
	refDeclinedRel
	refEnded // withdrawn or expired
)

// checkPair walks the history of one account with one person, in time
// order.
func (c *referee) checkPair(items []refItem, person string) {
	var (
		state              = refNone
		inv                *refItem // the pending invitation
		endAt, acceptAt    int64
		firstFollow        int64
		followed           bool
		endedBy            string
		cooldown           = c.cfg.Defaults.ReinviteCooldown
		acctID             = c.cfg.Accounts[items[0].acct].ID
		when, acceptedWhen time.Time
	)
	for i := 0; i < len(items); i++ {
		it := &items[i]
		when = c.when(it)
		switch it.kind {
		case refFollow:
			if !followed {
				firstFollow, followed = it.at, true
			}
		case refInvite:
			e := &c.record[it.src]
			if it.camp >= 0 && c.camps[it.camp].followFirst {
				wait := c.camps[it.camp].followWait
				switch {
				case !followed:
					c.add(RuleFollowFirst, acctID, person, e.Campaign, when, "invited without following first")
				case it.at-firstFollow < int64(wait):
					c.add(RuleFollowFirst, acctID, person, e.Campaign, when, "invited %v after the follow, want at least %v",
						time.Duration(it.at-firstFollow), wait)
				}
			}
			switch state {
			case refPending:
				c.add(RuleDuplicate, acctID, person, e.Campaign, when, "invited again while the invitation of %s is pending", refTime(inv.at))
			case refConnected:
				c.add(RuleDuplicate, acctID, person, e.Campaign, when, "invited again after accepting at %s", acceptedWhen.UTC().Format(time.RFC3339))
			case refDeclinedRel:
				c.add(RuleDuplicate, acctID, person, e.Campaign, when, "invited again after declining at %s", refTime(endAt))
			case refEnded:
				if it.at-endAt < int64(cooldown) {
					c.add(RuleDuplicate, acctID, person, e.Campaign, when, "invited %v after the invitation was %s, within the cooldown of %v",
						time.Duration(it.at-endAt), endedBy, cooldown)
				}
			}
			state, inv = refPending, it
		case refWithdraw:
			if state != refPending {
				c.add(RuleRecord, acctID, person, c.record[it.src].Campaign, when, "a withdrawal the platform accepted with no pending invitation")
				continue
			}
			it.link, it.linkAt, it.camp = inv.src, inv.at, inv.camp
			state, endAt, endedBy = refEnded, it.at, "withdrawn"
		case refAccepted, refDeclined, refExpired:
			if state != refPending {
				if c.answerLater(items, i) {
					i-- // the invitation now sits at i: handle it first
					continue
				}
				c.add(RuleRecord, acctID, person, "", when, "an answer (%s, key %s) with no pending invitation", c.events[it.src].Type, c.events[it.src].Key)
				continue
			}
			it.link, it.linkAt = inv.src, inv.at
			switch it.kind {
			case refAccepted:
				state, acceptAt, acceptedWhen = refConnected, it.at, when
			case refDeclined:
				state, endAt = refDeclinedRel, it.at
			default:
				state, endAt, endedBy = refEnded, it.at, "expired"
			}
		case refLostRace:
			if state != refConnected && state != refDeclinedRel && (state != refEnded || endedBy != "expired") {
				e := &c.record[it.src]
				c.add(RuleRefused+string(e.Refused), acctID, person, e.Campaign, when, "the platform refused withdraw %s, and no answer explains it", e.Key)
			}
		case refMessage:
			e := &c.record[it.src]
			wait, hasMsg := time.Duration(0), true
			if it.camp >= 0 {
				wait, hasMsg = c.camps[it.camp].messageWait, c.camps[it.camp].hasMessage
			}
			switch {
			case !hasMsg:
				c.add(RuleMessage, acctID, person, e.Campaign, when, "a message for a campaign without message steps")
			case state != refConnected:
				c.add(RuleMessage, acctID, person, e.Campaign, when, "a message to a person who has not accepted an invitation")
			case it.at-acceptAt < int64(wait):
				c.add(RuleMessage, acctID, person, e.Campaign, when, "a message %v after the acceptance, want at least %v",
					time.Duration(it.at-acceptAt), wait)
			}
		}
	}
}

// answerLater handles an answer at the very instant of its own invitation,
// which sorted before it: when items[i] is such an answer, it gets ord 2
// and moves after the requests of its instant, and answerLater reports
// true.
func (c *referee) answerLater(items []refItem, i int) bool {
	key := c.events[items[i].src].Key
	end, found := i+1, false
	for ; end < len(items) && items[end].at == items[i].at; end++ {
		if it := &items[end]; it.kind == refInvite && c.record[it.src].Key == key {
			found = true
		}
	}
	if !found {
		return false
	}
	ev := items[i]
	ev.ord = 2
	copy(items[i:end-1], items[i+1:end])
	items[end-1] = ev
	return true
}

func refTime(ns int64) string { return time.Unix(0, ns).UTC().Format(time.RFC3339) }
