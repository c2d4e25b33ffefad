package sandbox

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"maps"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/platform/responsedelay"
)

const (
	day  = 24 * time.Hour
	week = 7 * day

	// ConnectionCap is the platform's ceiling on 1st-degree connections: an
	// account that has it can no longer send invitations.
	ConnectionCap = 30000
	// Unlimited is the Account.NotesPerMonth of an account without a
	// monthly allowance of personalized notes.
	Unlimited = -1

	defaultAcceptRate  = 0.30
	defaultDeclineRate = 0.05
	defaultReplyRate   = 0.15
	defaultExpireAfter = 180 * day
	defaultCooldown    = 21 * day
)

// Options configure a Model. The zero value of every field selects its
// default; for a rate or a duration a negative value means "none" (0%, never
// expire, no cooldown).
type Options struct {
	Seed               int64              // seeds the response model; 0 = 1
	AcceptRate         float64            // share of invitations accepted; default 0.30
	DeclineRate        float64            // share declined; default 0.05; the rest are ignored and stay pending
	VariantAcceptRates map[string]float64 // by variant name ("blank" included), overriding AcceptRate
	// AccountAcceptRates set the acceptance of one account's invitations
	// (the quality of its list), in place of AcceptRate. A variant's rate
	// still applies, relative to AcceptRate: an invitation of variant v
	// from account x is accepted with AccountAcceptRates[x] x
	// VariantAcceptRates[v] / AcceptRate (at most 1; the account's rate
	// alone when AcceptRate is none). Default: none.
	AccountAcceptRates map[string]float64
	// AccountAcceptRateChanges change an account's acceptance from a
	// time on (a list that turns bad mid-campaign): an invitation sent at
	// t takes the Rate of the account's latest change at or before t, in
	// place of AccountAcceptRates (a variant's rate applies the same way).
	// Default: none.
	AccountAcceptRateChanges []AccountRateChange
	ExpireAfter              time.Duration // pending invitations are cancelled by the platform after this; default 180d
	ReinviteCooldown         time.Duration // no re-invitation this long after a withdrawal or expiry; default 21d
	// Delays is the cumulative distribution of response delays (acceptances
	// and declines alike), interpolated linearly from (0, 0) through the
	// points; nil = responsedelay.Default().
	Delays []DelayPoint
	// ReplyRate is the share of delivered messages the person replies to
	// (platform.EventReplied), once per person and account; default 0.15.
	ReplyRate float64
	// ReplyDelays is the distribution of reply delays after the message;
	// nil = responsedelay.Reply().
	ReplyDelays []DelayPoint
	// Accounts the platform knows; requests from any other account are
	// refused with platform.CodeUnknownAccount.
	Accounts map[string]Account
	// ViolationsOnly keeps only refused requests in the record, for long
	// simulations where a record of every request would cost too much
	// memory. Stats stay complete.
	ViolationsOnly bool
	// Refusals make the model refuse the invitations they match, or fail
	// them transiently (see Refusal), on top of its own rules. Default:
	// none.
	Refusals []Refusal
	// Restrictions, when set, make the model restrict accounts by itself
	// on the platform's grounds: low acceptance, too many pending
	// invitations (see RestrictionRules). Default nil: the model restricts
	// only when told to (Restrict, Refusals).
	Restrictions *RestrictionRules
	// OnRestrict, if set, is called for each restriction the model
	// imposes by its Restrictions, with the model's lock held, in the
	// goroutine of the invitation that found the rule broken (before that
	// invitation is answered): it must not call the model.
	OnRestrict func(Restriction)
}

// AccountRateChange is one entry of Options.AccountAcceptRateChanges.
type AccountRateChange struct {
	Account string
	From    time.Time
	Rate    float64 // a share in [0, 1]
}

// Account is what the platform knows of one sender account: its own limits
// and standing. Zero limits are taken literally (Weekly 0: every invitation is
// refused).
type Account struct {
	Weekly        int            // invitations in any rolling 7-day window
	NoteChars     int            // note length limit, UTF-16 code units
	NotesPerMonth int            // personalized notes per calendar month in Location; Unlimited (-1) for no limit
	Connections   int            // current 1st-degree connections; +1 on each acceptance; at ConnectionCap no invitations
	Location      *time.Location // for month boundaries; nil = UTC
	// ConnectedTo lists people (normalized keys) already connected to the
	// account before the model starts: invitations to them are refused,
	// messages allowed. They are assumed to be counted in Connections.
	ConnectedTo []string
}

// DelayPoint is one point of a cumulative delay distribution: Share of the
// responses arrive within Within (a responsedelay.Point: the curve and its
// rules are package responsedelay's).
type DelayPoint responsedelay.Point

// curveOf returns d as a responsedelay.Curve.
func curveOf(d []DelayPoint) responsedelay.Curve {
	if d == nil {
		return nil
	}
	c := make(responsedelay.Curve, len(d))
	for i, p := range d {
		c[i] = responsedelay.Point(p)
	}
	return c
}

// delaysOf returns c as Options.Delays.
func delaysOf(c responsedelay.Curve) []DelayPoint {
	d := make([]DelayPoint, len(c))
	for i, p := range c {
		d[i] = DelayPoint(p)
	}
	return d
}

// Validate reports options that New would refuse: rates above 1 or NaN, a
// malformed delay curve, negative limits.
func (o Options) Validate() error {
	var errs []error
	rate := func(name string, v float64) {
		if math.IsNaN(v) || v > 1 {
			errs = append(errs, fmt.Errorf("%s %v: want a share between 0 and 1", name, v))
		}
	}
	rate("accept rate", o.AcceptRate)
	rate("decline rate", o.DeclineRate)
	rate("reply rate", o.ReplyRate)
	for name, v := range o.VariantAcceptRates {
		rate(fmt.Sprintf("variant %q accept rate", name), v)
		if v < 0 {
			errs = append(errs, fmt.Errorf("variant %q accept rate %v: want a share between 0 and 1", name, v))
		}
	}
	for _, c := range o.AccountAcceptRateChanges {
		switch _, known := o.Accounts[c.Account]; {
		case !known:
			errs = append(errs, fmt.Errorf("account accept rate change: account %q is not one of Accounts", c.Account))
		case math.IsNaN(c.Rate) || c.Rate < 0 || c.Rate > 1:
			errs = append(errs, fmt.Errorf("account %q accept rate change %v: want a share between 0 and 1", c.Account, c.Rate))
		}
	}
	for id, v := range o.AccountAcceptRates {
		switch _, known := o.Accounts[id]; {
		case !known:
			errs = append(errs, fmt.Errorf("account accept rate: account %q is not one of Accounts", id))
		case math.IsNaN(v) || v < 0 || v > 1:
			errs = append(errs, fmt.Errorf("account %q accept rate %v: want a share between 0 and 1", id, v))
		}
	}
	if o.Restrictions != nil {
		if err := o.Restrictions.validate(); err != nil {
			errs = append(errs, err)
		}
	}
	if o.Delays != nil {
		if err := curveOf(o.Delays).Validate(); err != nil {
			errs = append(errs, fmt.Errorf("delays: %w", err))
		}
	}
	if o.ReplyDelays != nil {
		if err := curveOf(o.ReplyDelays).Validate(); err != nil {
			errs = append(errs, fmt.Errorf("reply delays: %w", err))
		}
	}
	if err := validateRefusals(o.Refusals); err != nil {
		errs = append(errs, err)
	}
	for id, a := range o.Accounts {
		switch {
		case id == "":
			errs = append(errs, errors.New("account with an empty id"))
		case a.Weekly < 0, a.NoteChars < 0, a.NotesPerMonth < Unlimited, a.Connections < 0:
			errs = append(errs, fmt.Errorf("account %q: negative limit or count", id))
		}
	}
	return errors.Join(errs...)
}

// Model is an in-process, deterministic model of the platform. It
// implements platform.Platform and is safe for concurrent use. See the
// package documentation for the rules it enforces.
type Model struct {
	mu sync.Mutex

	seed        uint64
	acceptRate  float64
	declineRate float64
	expireAfter int64 // ns; < 0: never
	cooldown    int64 // ns
	delays      responsedelay.Curve
	replyRate   float64
	replyDelays responsedelay.Curve
	keepAll     bool
	refuse      []refusal // configured definite refusals (Options.Refusals)
	unavail     []refusal // configured transient failures
	restricts   bool      // Options.Restrictions set: rules holds them
	rules       RestrictionRules
	onRestrict  func(Restriction)

	accts   map[string]*acct
	names   []string          // interned small strings: accounts, campaigns, variants, codes
	nameIdx map[string]uint32 // their indices
	rates   []float64         // accept rate by name index (variants); NaN = AcceptRate
	vrates  map[string]float64
	keySeed maphash.Seed // for the idempotency keys' second hash
	perSeed maphash.Seed // for people

	idem    [numOps]map[keyHash]answer // first answers by op and idempotency key
	answers []*platform.Error          // refusals referred to by answer.idx (0 = nil)

	seq     int64
	records [][]rec // every request (unless ViolationsOnly), in chunks of recChunk; index = Seq-1
	nrec    int
	viol    []vrec // the refused ones
	text    arena  // the records' keys and people
	unknown map[string]map[platform.Code]int

	sched
}

var _ platform.Platform = (*Model)(nil)

// keyHash identifies an idempotency key by 128 bits: the deterministic
// hashKey and a seeded maphash. Maps keyed by it hold no pointers, so the
// garbage collector never scans them, and growing them never re-reads key
// bytes; two keys collide with probability about n²/2¹²⁹.
type keyHash [2]uint64

// personHash identifies a person within one account's relationships (64
// bits: a collision among an account's n people has probability n²/2⁶⁵).
type personHash uint64

// answer is the first answer to an idempotency key.
type answer struct {
	fp  uint32 // fingerprint of (account, person): a different request under the same key conflicts
	idx uint32 // index into Model.answers; 0 = accepted
}

// acct is the model's state of one account.
type acct struct {
	id          string
	cfg         Account
	loc         *time.Location
	sends       []int64 // times of accepted invitations, ascending, the last 14 days at least
	rel         map[personHash]rel
	connections int
	restricted  int64        // refused until then (ns)
	rate        float64      // Options.AccountAcceptRates; NaN: none
	changes     []rateChange // Options.AccountAcceptRateChanges of the account, by time
	judge       judge        // the record the restriction rules judge (Options.Restrictions)

	monthLo, monthHi int64 // cached calendar month [lo, hi) in loc
	month            int
	notes            map[int]int // personalized notes sent by month (only when limited)

	st AccountStats
}

// relation states of (account, person); absence from acct.rel means none.
const (
	relPending uint8 = iota + 1
	relConnected
	relDeclined
	relCooling // withdrawn or expired: no re-invitation until rel.until
)

type rel struct {
	until   int64 // relCooling: re-invitations allowed from then on
	slot    int32 // relPending: the invitation's slot in sched.slab
	state   uint8
	replied bool // relConnected: the person replied (or will): no second reply
}

// New returns a model with the given options. It panics when
// opt.Validate() reports an error: validate options read from a file first.
func New(opt Options) *Model {
	if err := opt.Validate(); err != nil {
		panic("sandbox: " + err.Error())
	}
	m := &Model{
		seed:        uint64(opt.Seed),
		acceptRate:  share(opt.AcceptRate, defaultAcceptRate),
		declineRate: share(opt.DeclineRate, defaultDeclineRate),
		replyRate:   share(opt.ReplyRate, defaultReplyRate),
		expireAfter: int64(duration(opt.ExpireAfter, defaultExpireAfter)),
		cooldown:    int64(duration(opt.ReinviteCooldown, defaultCooldown)),
		keepAll:     !opt.ViolationsOnly,
		accts:       make(map[string]*acct, len(opt.Accounts)),
		nameIdx:     map[string]uint32{},
		vrates:      maps.Clone(opt.VariantAcceptRates),
		keySeed:     maphash.MakeSeed(),
		perSeed:     maphash.MakeSeed(),
		answers:     []*platform.Error{nil},
		unknown:     map[string]map[platform.Code]int{},
	}
	if opt.Seed == 0 {
		m.seed = 1
	}
	if opt.ExpireAfter < 0 {
		m.expireAfter = -1
	}
	m.delays = curveOf(opt.Delays)
	if m.delays == nil {
		m.delays = responsedelay.Default()
	}
	m.replyDelays = curveOf(opt.ReplyDelays)
	if m.replyDelays == nil {
		m.replyDelays = responsedelay.Reply()
	}
	m.refuse, m.unavail = makeRefusals(opt.Refusals)
	if opt.Restrictions != nil {
		m.restricts, m.rules, m.onRestrict = true, opt.Restrictions.resolved(), opt.OnRestrict
	}
	m.intern("")
	for op := range m.idem {
		m.idem[op] = map[keyHash]answer{}
	}
	for id, a := range opt.Accounts {
		st := &acct{id: id, cfg: a, loc: a.Location, connections: a.Connections, rel: map[personHash]rel{}, rate: math.NaN()}
		if r, ok := opt.AccountAcceptRates[id]; ok {
			st.rate = r
		}
		for _, c := range opt.AccountAcceptRateChanges {
			if c.Account == id {
				st.changes = append(st.changes, rateChange{from: c.From.UnixNano(), rate: c.Rate})
			}
		}
		slices.SortStableFunc(st.changes, func(x, y rateChange) int { return cmp.Compare(x.from, y.from) })
		if st.loc == nil {
			st.loc = time.UTC
		}
		for _, p := range a.ConnectedTo {
			st.rel[m.personHash(p)] = rel{state: relConnected}
		}
		m.accts[id] = st
	}
	return m
}

// share resolves a rate option: 0 selects the default, a negative value none.
func share(v, def float64) float64 {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	}
	return v
}

// duration resolves a duration option: 0 selects the default, a negative
// value none.
func duration(v, def time.Duration) time.Duration {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0
	}
	return v
}

// Restrict restricts an account until the given time, as the platform does
// after suspicious activity: its invitations are refused with
// platform.CodeRestricted (withdrawing does not lift it); the zero time
// lifts a restriction. It reports whether the account is known.
func (m *Model) Restrict(account string, until time.Time) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	a := m.accts[account]
	if a != nil {
		a.restricted, _ = unixNano(until)
	}
	return a != nil
}

// Follow follows a person: always accepted for a known account.
func (m *Model) Follow(ctx context.Context, r platform.Action) error {
	return m.do(ctx, opFollow, &r, "", 0, false)
}

// Invite sends an invitation, or refuses it by the rules of the package
// documentation.
func (m *Model) Invite(ctx context.Context, r platform.Invite) error {
	variant := r.Variant
	if variant == "" && r.Note == "" {
		variant = "blank"
	}
	return m.do(ctx, opInvite, &r.Action, variant, utf16Len(r.Note), r.Note != "")
}

// Withdraw withdraws the pending invitation from the account to the person,
// cancelling its scheduled answer; refused with platform.CodeNotPending when
// there is none.
func (m *Model) Withdraw(ctx context.Context, r platform.Action) error {
	return m.do(ctx, opWithdraw, &r, "", 0, false)
}

// Message sends a message; refused with platform.CodeNotConnected unless the
// person is a connection of the account.
func (m *Model) Message(ctx context.Context, r platform.Message) error {
	return m.do(ctx, opMessage, &r.Action, "", utf16Len(r.Text), false)
}

// do handles one request: validation, idempotency, the rules, the record.
func (m *Model) do(ctx context.Context, op opKind, r *platform.Action, variant string, chars int, hasNote bool) error {
	if err := ctx.Err(); err != nil {
		return err // not received
	}
	q := request{Action: r, op: op, variant: variant, chars: chars, hasNote: hasNote,
		kh: m.keyHash(r.Key), ph: m.personHash(r.Person)} // hashed outside the lock
	m.mu.Lock()
	defer m.mu.Unlock()
	m.seq++
	var okAt bool
	q.at, okAt = unixNano(r.At)
	e := rec{
		at: q.at, klen: uint32(len(r.Key)), plen: uint32(len(r.Person)),
		acct: m.intern(r.Account), campaign: m.intern(r.Campaign), variant: m.intern(variant),
		chars: int32(min(chars, math.MaxInt32)), op: op, hasNote: hasNote,
	}
	q.vidx = e.variant
	var err *platform.Error
	var lost *refusal // a transient failure after the fact: performed, answer lost
	a := m.accts[r.Account]
	switch {
	case r.Key == "" || r.Account == "" || r.Person == "" || !okAt:
		err = platform.Refused(platform.CodeInvalid, "%s: a request needs an idempotency key, an account, a person and a time", op)
	case !platform.ValidKey(r.Key):
		err = platform.Refused(platform.CodeInvalid, "%s: key %q: want valid UTF-8 without control characters or a space at either end", op, r.Key)
	default:
		if op == opInvite && len(m.unavail) > 0 {
			if x := m.outage(&q); x != nil {
				if !x.applied {
					// Not performed, and no answer to remember: a retry
					// with the same key is a first request.
					err = unavailable(x)
					break
				}
				lost = x
			}
		}
		fp := uint32(uint64(q.ph) ^ uint64(e.acct)*0x9E3779B97F4A7C15)
		if first, seen := m.idem[op][q.kh]; seen {
			if first.fp == fp {
				e.repeat = true
				if a != nil {
					a.st.Repeats++
				}
				if first.idx != 0 {
					cp := *m.answers[first.idx]
					err = &cp
				}
				break
			}
			err = platform.Refused(platform.CodeKeyConflict, "%s: key %q was used before for another account or person", op, r.Key)
			break
		}
		if a == nil {
			err = platform.Refused(platform.CodeUnknownAccount, "account %q is not known to the platform", r.Account)
		} else {
			m.catchUp(q.at)
			if op == opInvite && len(m.refuse) > 0 {
				err = m.injected(&q)
			}
			if err == nil {
				err = m.apply(a, &q)
			}
		}
		ans := answer{fp: fp}
		if err != nil {
			cp := *err
			m.answers = append(m.answers, &cp)
			ans.idx = uint32(len(m.answers) - 1)
		}
		m.idem[op][q.kh] = ans
	}
	if err != nil || m.keepAll {
		e.chunk, e.pos = m.text.add(r.Key, r.Person)
	}
	if err != nil {
		e.code = m.intern(string(err.Code))
		if !e.repeat {
			m.countRefusal(a, r.Account, err.Code)
		}
		m.viol = append(m.viol, vrec{seq: m.seq, rec: e})
	}
	if lost != nil {
		e.lost = true
		if a != nil {
			a.st.Lost++
		}
	}
	if m.keepAll {
		m.appendRec(e)
	}
	if lost != nil {
		return unavailable(lost)
	}
	if err != nil {
		return err
	}
	return nil
}

// request is a request being handled.
type request struct {
	*platform.Action
	op      opKind
	at      int64 // ns
	variant string
	vidx    uint32 // interned variant
	chars   int
	hasNote bool
	kh      keyHash
	ph      personHash
}

func (m *Model) keyHash(key string) keyHash {
	return keyHash{hashKey(key), maphash.String(m.keySeed, key)}
}

func (m *Model) personHash(person string) personHash {
	return personHash(maphash.String(m.perSeed, person))
}

func (m *Model) countRefusal(a *acct, account string, code platform.Code) {
	var byCode map[platform.Code]int
	if a != nil {
		if a.st.Refused == nil {
			a.st.Refused = map[platform.Code]int{}
		}
		byCode = a.st.Refused
	} else {
		byCode = m.unknown[account]
		if byCode == nil {
			byCode = map[platform.Code]int{}
			m.unknown[account] = byCode
		}
	}
	byCode[code]++
}

// apply enforces the rules of op for a first request and changes the state.
func (m *Model) apply(a *acct, q *request) *platform.Error {
	rl, known := a.rel[q.ph]
	at := q.at
	switch q.op {
	case opFollow:
		a.st.Followed++
	case opMessage:
		if !known || rl.state != relConnected {
			return platform.Refused(platform.CodeNotConnected, "%s is not a connection of %s", q.Person, a.id)
		}
		a.st.Messaged++
		if !rl.replied && m.scheduleReply(a, q) {
			rl.replied = true
			a.rel[q.ph] = rl
		}
	case opWithdraw:
		if !known || rl.state != relPending {
			return platform.Refused(platform.CodeNotPending, "no pending invitation from %s to %s", a.id, q.Person)
		}
		if m.restricts {
			m.settle(a, m.pend(rl.slot), at, false)
		}
		m.cancel(rl.slot)
		a.rel[q.ph] = rel{state: relCooling, until: at + m.cooldown}
		a.st.Withdrawn++
		a.st.Pending--
	case opInvite:
		if err := m.checkInvite(a, q.Person, rl, known, at, q.chars, q.hasNote); err != nil {
			return err
		}
		a.addSend(at)
		if q.hasNote && a.cfg.NotesPerMonth != Unlimited {
			a.notes[a.monthOf(at)]++
		}
		slot := m.schedule(a, q)
		a.rel[q.ph] = rel{state: relPending, slot: slot}
		if m.restricts {
			m.opened(a, at, slot)
		}
		a.st.Invited++
		a.st.Pending++
	}
	return nil
}

// checkInvite applies the invitation rules in order: the account's standing
// (restriction, connection cap, weekly limit), the relationship with the
// person (connected, pending, declined, cooldown), then the note (length,
// monthly allowance).
func (m *Model) checkInvite(a *acct, person string, rl rel, known bool, at int64, chars int, hasNote bool) *platform.Error {
	if m.restricts && at >= a.restricted {
		m.check(a, at) // may restrict the account from at on
	}
	switch {
	case at < a.restricted:
		return platform.Refused(platform.CodeRestricted, "%s is restricted until %s", a.id, fmtTime(a.restricted))
	case a.connections >= ConnectionCap:
		return platform.Refused(platform.CodeConnectionCap, "%s has %d connections", a.id, a.connections)
	case a.weeklyFull(at):
		return platform.Refused(platform.CodeWeeklyLimit, "%s reached its limit of %d invitations in 7 days", a.id, a.cfg.Weekly)
	}
	if known {
		switch rl.state {
		case relConnected:
			return platform.Refused(platform.CodeAlreadyConnected, "%s is already a connection of %s", person, a.id)
		case relPending:
			return platform.Refused(platform.CodeDuplicate, "an invitation from %s to %s is pending", a.id, person)
		case relDeclined:
			return platform.Refused(platform.CodeDeclined, "%s declined an invitation from %s", person, a.id)
		case relCooling:
			if at < rl.until {
				return platform.Refused(platform.CodeCooldown, "%s may not invite %s again before %s", a.id, person, fmtTime(rl.until))
			}
		}
	}
	if !hasNote {
		return nil
	}
	if chars > a.cfg.NoteChars {
		return platform.Refused(platform.CodeNoteTooLong, "note of %d characters, limit %d", chars, a.cfg.NoteChars)
	}
	if a.cfg.NotesPerMonth != Unlimited && a.notes[a.monthOf(at)] >= a.cfg.NotesPerMonth {
		return platform.Refused(platform.CodeNoteAllowance, "%s used its %d personalized notes this month", a.id, a.cfg.NotesPerMonth)
	}
	return nil
}
