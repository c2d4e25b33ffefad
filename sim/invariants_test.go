package sim

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/pacing"
	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/platform/sandbox"
	"github.com/outreach-scheduler/outreach/wire"
)

const day = 24 * time.Hour

// tcT0 is a Monday, 09:00 UTC.
var tcT0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func tcLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// tcAccount is an account that is never in the way unless a test says so:
// open around the clock, generous caps, a one-minute gap.
func tcAccount(id string) config.Account {
	return config.Account{
		ID: id, Tier: pacing.TierPremium, Location: time.UTC, Days: pacing.AllWeek,
		Hours: config.Hours{Start: 0, End: 24 * time.Hour},
		Limits: pacing.Limits{Weekly: 1000, Daily: 1000, NoteChars: 300, NotesPerMonth: pacing.Unlimited,
			MaxPending: 1000, MinGap: time.Minute},
	}
}

func tcConfig(accts ...config.Account) *config.Config {
	return &config.Config{
		Defaults: config.Defaults{WithdrawAfter: 21 * day, ReinviteCooldown: 21 * day, ExpireAfter: 180 * day,
			MaxPending: 500, MinGap: 3 * time.Minute, Location: time.UTC, Days: pacing.WorkWeek, Hours: config.DefaultHours},
		Accounts: accts,
	}
}

// tcCampaign is a campaign of the given steps (a bare connect step when
// none are given).
func tcCampaign(name string, dedupe campaigns.Dedupe, steps ...campaigns.Step) *campaigns.Campaign {
	if len(steps) == 0 {
		steps = []campaigns.Step{tcConnect(0)}
	}
	return &campaigns.Campaign{Name: name, Dedupe: dedupe, Steps: steps}
}

func tcConnect(withdrawAfter time.Duration) campaigns.Step {
	return campaigns.Step{Kind: campaigns.StepConnect, Connect: &campaigns.Connect{WithdrawAfter: withdrawAfter}}
}

func tcFollow(wait time.Duration) campaigns.Step {
	return campaigns.Step{Kind: campaigns.StepFollow, Wait: wait}
}

func tcMessage(wait time.Duration) campaigns.Step {
	return campaigns.Step{Kind: campaigns.StepMessage, Message: &campaigns.Message{Wait: wait}}
}

// tcRecord builds a platform record and its events by hand.
type tcRecord struct {
	record []sandbox.Entry
	events []wire.Event
	keys   map[string]string // account/person -> key of the latest invitation
}

func (r *tcRecord) add(e sandbox.Entry) *tcRecord {
	e.Seq = int64(len(r.record) + 1)
	if e.Key == "" {
		e.Key = fmt.Sprintf("%s/%s/%s/%d", e.Campaign, e.Person, e.Op, e.Seq)
	}
	r.record = append(r.record, e)
	return r
}

func (r *tcRecord) invite(acct, person, camp string, at time.Time) *tcRecord {
	return r.note(acct, person, camp, at, 0)
}

// note is an invitation with a note of chars characters (0: blank).
func (r *tcRecord) note(acct, person, camp string, at time.Time, chars int) *tcRecord {
	r.add(sandbox.Entry{Op: sandbox.OpInvite, Account: acct, Person: person, Campaign: camp, At: at, Chars: chars, HasNote: chars > 0, Variant: "v"})
	if r.keys == nil {
		r.keys = map[string]string{}
	}
	r.keys[acct+"/"+person] = r.record[len(r.record)-1].Key
	return r
}

func (r *tcRecord) op(op sandbox.Op, acct, person, camp string, at time.Time) *tcRecord {
	return r.add(sandbox.Entry{Op: op, Account: acct, Person: person, Campaign: camp, At: at})
}

// answer adds the platform's answer to the latest invitation of acct to
// person.
func (r *tcRecord) answer(typ platform.EventType, acct, person string, at time.Time) *tcRecord {
	r.events = append(r.events, wire.Event{Type: typ, Account: acct, Person: person, Key: r.keys[acct+"/"+person], At: at})
	return r
}

// tcExpect runs CheckInvariants and compares the rules of its violations,
// in order, with want.
func tcExpect(t *testing.T, cfg *config.Config, camps []*campaigns.Campaign, r *tcRecord, want ...string) []Violation {
	t.Helper()
	got := CheckInvariants(cfg, camps, r.record, r.events)
	rules := make([]string, len(got))
	for i, v := range got {
		rules[i] = v.Rule
	}
	if !slices.Equal(rules, want) {
		var b strings.Builder
		for _, v := range got {
			b.WriteString("\n  " + v.String())
		}
		t.Errorf("rules %q, want %q; violations:%s", rules, want, b.String())
	}
	return got
}

func tcAt(t *testing.T, vs []Violation, i int, want time.Time) {
	t.Helper()
	if i < len(vs) && !vs[i].At.Equal(want) {
		t.Errorf("violation %d at %v, want %v: %s", i, vs[i].At, want, vs[i])
	}
}

// TestInvariantsClean is a record that keeps every rule, many of them at
// the boundary.
func TestInvariantsClean(t *testing.T) {
	ny := tcLoc(t, "America/New_York")
	alice := tcAccount("alice")
	alice.Location, alice.Hours = ny, config.DefaultHours
	alice.Limits.MinGap = 3 * time.Minute
	bob := tcAccount("bob")
	bob.Limits.Weekly, bob.Limits.Daily, bob.Limits.MaxPending = 3, 3, 3
	cfg := tcConfig(alice, bob)
	camps := []*campaigns.Campaign{
		tcCampaign("c1", "", tcFollow(7*day), tcConnect(14*day), tcMessage(day)),
		tcCampaign("c2", campaigns.DedupeAccount),
		tcCampaign("c3", campaigns.DedupeCampaign),
	}
	mon := time.Date(2026, 11, 2, 10, 0, 0, 0, ny) // the Monday after DST ended
	r := &tcRecord{}
	r.op(sandbox.OpFollow, "alice", "p1", "c1", mon)
	r.op(sandbox.OpFollow, "alice", "p2", "c1", mon)
	r.invite("alice", "p1", "c1", mon.AddDate(0, 0, 7)) // exactly the follow wait
	r.answer(platform.EventAccepted, "alice", "p1", mon.AddDate(0, 0, 7).Add(time.Hour))
	r.note("alice", "p2", "c1", mon.AddDate(0, 0, 7).Add(3*time.Minute), 300)         // exactly the gap, the note limit
	r.op(sandbox.OpMessage, "alice", "p1", "c1", mon.AddDate(0, 0, 8).Add(time.Hour)) // exactly the message wait
	r.op(sandbox.OpWithdraw, "alice", "p2", "c1", mon.AddDate(0, 0, 21).Add(3*time.Minute))
	r.invite("alice", "p2", "c1", mon.AddDate(0, 0, 42).Add(3*time.Minute)) // exactly the cooldown
	r.add(sandbox.Entry{Op: sandbox.OpInvite, Account: "alice", Person: "p2", Campaign: "c1", At: mon.AddDate(0, 0, 42),
		Key: r.keys["alice/p2"], Repeat: true}) // a repeat changes nothing
	// bob: a weekly cap of 3 reached exactly, a withdrawal at the pending
	// ceiling, a decline, an expiry and its cooldown.
	r.invite("bob", "q1", "c2", tcT0)
	r.invite("bob", "q2", "c2", tcT0.Add(time.Hour))
	r.invite("bob", "q3", "c2", tcT0.Add(2*time.Hour))
	r.op(sandbox.OpWithdraw, "bob", "q1", "c2", tcT0.Add(3*time.Hour)) // early, but at the ceiling (3), and the oldest
	r.answer(platform.EventDeclined, "bob", "q2", tcT0.Add(4*time.Hour))
	r.invite("bob", "q4", "c2", tcT0.Add(7*day)) // (t0, t0+7d] holds 3
	r.invite("bob", "q5", "c2", tcT0.Add(8*day)) // 2 pending before it
	r.answer(platform.EventExpired, "bob", "q3", tcT0.Add(2*time.Hour+180*day))
	r.invite("bob", "q3", "c2", tcT0.Add(2*time.Hour+201*day))
	// alice may invite q5 too: neither campaign has dedupe workspace.
	r.invite("alice", "q5", "c3", time.Date(2026, 12, 8, 10, 0, 0, 0, ny))
	tcExpect(t, cfg, camps, r)
}

func TestInvariantsRefusedAndRecord(t *testing.T) {
	cfg := tcConfig(tcAccount("alice"))
	camps := []*campaigns.Campaign{tcCampaign("c", "")}
	r := &tcRecord{}
	r.invite("alice", "p", "c", tcT0)
	r.add(sandbox.Entry{Op: sandbox.OpInvite, Account: "alice", Person: "q", Campaign: "c", At: tcT0.Add(time.Second), Refused: platform.CodeWeeklyLimit})
	r.add(sandbox.Entry{Op: sandbox.OpInvite, Account: "alice", Person: "q", Campaign: "c", At: tcT0.Add(time.Hour), Key: r.record[1].Key,
		Refused: platform.CodeWeeklyLimit, Repeat: true}) // reported once
	r.op(sandbox.OpWithdraw, "alice", "q", "c", tcT0.Add(2*time.Hour))    // nothing pending: record
	r.answer(platform.EventAccepted, "alice", "z", tcT0.Add(3*time.Hour)) // answers nothing: record
	r.invite("mallory", "p", "c", tcT0.Add(4*time.Hour))                  // unknown account: record, once
	r.invite("mallory", "q", "c", tcT0.Add(5*time.Hour))                  //
	r.invite("alice", "r", "other", tcT0.Add(6*time.Hour))                // unknown campaign: record
	// A withdrawal that lost the race with an acceptance is no violation;
	// one that nothing explains is.
	r.invite("alice", "race", "c", tcT0.Add(7*time.Hour))
	r.answer(platform.EventAccepted, "alice", "race", tcT0.Add(8*time.Hour))
	r.add(sandbox.Entry{Op: sandbox.OpWithdraw, Account: "alice", Person: "race", Campaign: "c", At: tcT0.Add(8 * time.Hour), Refused: platform.CodeNotPending})
	r.add(sandbox.Entry{Op: sandbox.OpWithdraw, Account: "alice", Person: "p", Campaign: "c", At: tcT0.Add(9 * time.Hour), Refused: platform.CodeNotPending})
	vs := tcExpect(t, cfg, camps, r, "refused:weekly_limit", "record", "record", "record", "record", "refused:not_pending")
	tcAt(t, vs, 0, tcT0.Add(time.Second))
	tcAt(t, vs, 5, tcT0.Add(9*time.Hour))
}

func TestInvariantsWeekly(t *testing.T) {
	a := tcAccount("a")
	a.Limits.Weekly = 3
	cfg := tcConfig(a)
	r := &tcRecord{}
	for i, at := range []time.Time{tcT0, tcT0.Add(day), tcT0.Add(2 * day),
		tcT0.Add(7 * day),           // (t0, t0+7d]: 3, fine
		tcT0.Add(8*day - time.Hour), // (t0+1d-1h, t0+8d-1h]: 4
	} {
		r.invite("a", fmt.Sprint("p", i), "c", at)
	}
	vs := tcExpect(t, cfg, []*campaigns.Campaign{tcCampaign("c", "")}, r, "weekly")
	tcAt(t, vs, 0, tcT0.Add(8*day-time.Hour))
}

// TestInvariantsWarmup: warm-up caps the first week at 20 and the day at 4.
func TestInvariantsWarmup(t *testing.T) {
	a := tcAccount("a")
	a.Limits.Weekly, a.Limits.Daily = 100, 100
	a.WarmupStart = tcT0.Add(-9 * time.Hour)
	cfg := tcConfig(a)
	r := &tcRecord{}
	for d := range 6 {
		for k := range 4 {
			r.invite("a", fmt.Sprint("p", d, k), "c", tcT0.Add(time.Duration(d)*day+time.Duration(k)*time.Hour))
		}
	}
	r.invite("a", "x", "c", tcT0.Add(6*day))          // 25th in the first week, 1st of the day
	r.invite("a", "y", "c", a.WarmupStart.Add(7*day)) // second week: 40 a week, 8 a day; the window holds 25
	tcExpect(t, cfg, []*campaigns.Campaign{tcCampaign("c", "")}, r, "weekly", "weekly", "weekly", "weekly", "weekly")
	r.invite("a", "z", "c", tcT0.Add(6*day+time.Hour)) // 2nd of the day: 4 a day allows it
	for k := 2; k < 5; k++ {
		r.invite("a", fmt.Sprint("d", k), "c", tcT0.Add(6*day+time.Duration(k)*time.Hour))
	}
	vs := CheckInvariants(cfg, []*campaigns.Campaign{tcCampaign("c", "")}, r.record, r.events)
	if n := tcCount(vs, RuleDaily); n != 1 {
		t.Errorf("%d daily violations, want 1 (the 5th of day 7): %v", n, vs)
	}
}

func tcCount(vs []Violation, rule string) int {
	n := 0
	for _, v := range vs {
		if v.Rule == rule {
			n++
		}
	}
	return n
}

// TestInvariantsDaily counts calendar days in the account's zone.
func TestInvariantsDaily(t *testing.T) {
	a := tcAccount("a")
	a.Location = tcLoc(t, "Asia/Tokyo")
	a.Limits.Daily = 2
	cfg := tcConfig(a)
	r := &tcRecord{}
	r.invite("a", "p1", "c", time.Date(2026, 11, 23, 14, 0, 0, 0, time.UTC)) // Monday 23:00 JST
	r.invite("a", "p2", "c", time.Date(2026, 11, 23, 14, 30, 0, 0, time.UTC))
	r.invite("a", "p3", "c", time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC)) // Tuesday 00:00 JST
	r.invite("a", "p4", "c", time.Date(2026, 11, 23, 15, 30, 0, 0, time.UTC))
	r.invite("a", "p5", "c", time.Date(2026, 11, 23, 16, 0, 0, 0, time.UTC)) // third of Tuesday
	vs := tcExpect(t, cfg, []*campaigns.Campaign{tcCampaign("c", "")}, r, "daily")
	tcAt(t, vs, 0, time.Date(2026, 11, 23, 16, 0, 0, 0, time.UTC))
}

func TestInvariantsGap(t *testing.T) {
	a := tcAccount("a")
	a.Limits.MinGap = 3 * time.Minute
	cfg := tcConfig(a)
	r := &tcRecord{}
	r.invite("a", "p1", "c", tcT0)
	r.invite("a", "p2", "c", tcT0.Add(3*time.Minute)) // exactly the gap
	r.invite("a", "p3", "c", tcT0.Add(6*time.Minute-time.Millisecond))
	vs := tcExpect(t, cfg, []*campaigns.Campaign{tcCampaign("c", "")}, r, "gap")
	tcAt(t, vs, 0, tcT0.Add(6*time.Minute-time.Millisecond))
}

// TestInvariantsHoursDST: working hours are wall-clock hours, across both
// daylight-saving changes of America/New_York.
func TestInvariantsHoursDST(t *testing.T) {
	a := tcAccount("a")
	a.Location, a.Hours = tcLoc(t, "America/New_York"), config.DefaultHours
	cfg := tcConfig(a)
	utc := func(s string) time.Time {
		at, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return at
	}
	r := &tcRecord{}
	bad := []time.Time{
		utc("2026-03-08T12:30:00Z"), // Sunday of the change, 08:30 EDT (would be 07:30 EST)
		utc("2026-03-09T12:30:00Z"), // Monday after, 08:30 EDT
		utc("2026-11-02T13:30:00Z"), // Monday after the change back, 08:30 EST (09:30 EDT)
		utc("2026-11-02T23:00:00Z"), // 18:00 EST: closed
		utc("2026-11-07T08:59:59Z"), // 03:59:59 EST
	}
	for i, at := range []time.Time{
		bad[0], utc("2026-03-08T13:00:00Z"), // 09:00 EDT
		bad[1], utc("2026-03-09T13:30:00Z"), // 09:30 EDT (08:30 for a fixed EST offset)
		bad[2], utc("2026-11-02T14:00:00Z"), // 09:00 EST
		utc("2026-11-02T22:59:00Z"), bad[3], // 17:59 EST; 18:00 EST
		bad[4],
	} {
		r.invite("a", fmt.Sprint("p", i), "c", at)
	}
	vs := tcExpect(t, cfg, []*campaigns.Campaign{tcCampaign("c", "")}, r, "hours", "hours", "hours", "hours", "hours")
	for i, at := range bad {
		tcAt(t, vs, i, at)
	}
}

// TestInvariantsHoursSchedule: the campaign's schedule replaces the
// account's working time.
func TestInvariantsHoursSchedule(t *testing.T) {
	a := tcAccount("a")
	a.Hours = config.DefaultHours
	cfg := tcConfig(a)
	paris := tcLoc(t, "Europe/Paris")
	c := tcCampaign("c", "")
	c.Schedule = &campaigns.Schedule{Days: pacing.WeekdaysOf(time.Monday), Hours: config.Hours{Start: 10 * time.Hour, End: 11 * time.Hour},
		Timezone: "Europe/Paris", Location: paris}
	r := &tcRecord{}
	r.invite("a", "p1", "c", time.Date(2026, 11, 23, 10, 0, 0, 0, paris))  // Monday 10:00 Paris
	r.invite("a", "p2", "c", time.Date(2026, 11, 23, 11, 0, 0, 0, paris))  // 11:00: closed (10:00 UTC, open for the account)
	r.invite("a", "p3", "c", time.Date(2026, 11, 24, 10, 30, 0, 0, paris)) // Tuesday
	r.invite("a", "p4", "other", time.Date(2026, 11, 24, 10, 31, 0, 0, paris))
	tcExpect(t, cfg, []*campaigns.Campaign{c, tcCampaign("other", "")}, r, "hours", "hours")
}

func TestInvariantsNotes(t *testing.T) {
	ny := tcLoc(t, "America/New_York")
	a := tcAccount("a")
	a.Location = ny
	a.Limits.NoteChars, a.Limits.NotesPerMonth = 200, 2
	cfg := tcConfig(a)
	r := &tcRecord{}
	r.note("a", "p1", "c", time.Date(2026, 11, 10, 12, 0, 0, 0, ny), 200)
	r.note("a", "p2", "c", time.Date(2026, 11, 20, 12, 0, 0, 0, ny), 201)    // too long
	r.invite("a", "p3", "c", time.Date(2026, 11, 25, 12, 0, 0, 0, ny))       // blank: no allowance used
	r.note("a", "p4", "c", time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC), 50) // November 30 in New York: third note
	r.note("a", "p5", "c", time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC), 50) // December 1 in New York
	vs := tcExpect(t, cfg, []*campaigns.Campaign{tcCampaign("c", "")}, r, "note_chars", "notes_month")
	tcAt(t, vs, 1, time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC))
	a.Limits.NotesPerMonth = pacing.Unlimited
	tcExpect(t, tcConfig(a), []*campaigns.Campaign{tcCampaign("c", "")}, r, "note_chars")
}

func TestInvariantsDuplicate(t *testing.T) {
	cfg := tcConfig(tcAccount("a"))
	r := &tcRecord{}
	at := func(d int, h time.Duration) time.Time { return tcT0.Add(time.Duration(d)*day + h) }
	r.invite("a", "pending", "c", at(0, 0))
	r.invite("a", "pending", "c", at(1, 0)) // 1: while pending
	r.invite("a", "accepted", "c", at(0, time.Hour))
	r.answer(platform.EventAccepted, "a", "accepted", at(2, 0))
	r.invite("a", "accepted", "c", at(60, 0)) // 4: after acceptance
	r.invite("a", "declined", "c", at(0, 2*time.Hour))
	r.answer(platform.EventDeclined, "a", "declined", at(1, 0))
	r.invite("a", "declined", "c", at(300, 0)) // 5: after a decline
	r.invite("a", "cool", "c", at(0, 3*time.Hour))
	r.op(sandbox.OpWithdraw, "a", "cool", "c", at(21, 3*time.Hour))
	r.invite("a", "cool", "c", at(42, 3*time.Hour-time.Second)) // 2: a second short of the cooldown
	r.invite("a", "ok", "c", at(0, 4*time.Hour))
	r.op(sandbox.OpWithdraw, "a", "ok", "c", at(21, 4*time.Hour))
	r.invite("a", "ok", "c", at(42, 4*time.Hour)) // exactly the cooldown
	r.invite("a", "expired", "c", at(0, 5*time.Hour))
	r.answer(platform.EventExpired, "a", "expired", at(180, 5*time.Hour))
	r.invite("a", "expired", "c", at(181, 0)) // 3: within the cooldown after expiry
	vs := tcExpect(t, cfg, []*campaigns.Campaign{tcCampaign("c", "")}, r, "duplicate", "duplicate", "duplicate", "duplicate", "duplicate")
	for i, want := range []time.Time{at(1, 0), at(42, 3*time.Hour-time.Second), at(60, 0), at(181, 0), at(300, 0)} {
		tcAt(t, vs, i, want)
	}
}

func TestInvariantsWorkspace(t *testing.T) {
	cfg := tcConfig(tcAccount("alice"), tcAccount("bob"))
	camps := []*campaigns.Campaign{tcCampaign("ws", ""), tcCampaign("acct", campaigns.DedupeAccount), tcCampaign("ws2", campaigns.DedupeWorkspace)}
	r := &tcRecord{}
	r.invite("alice", "p", "ws", tcT0)
	r.invite("bob", "p", "ws", tcT0.Add(30*day)) // workspace
	r.invite("alice", "q", "acct", tcT0.Add(time.Hour))
	r.invite("bob", "q", "acct", tcT0.Add(2*time.Hour)) // both under dedupe account: fine
	r.invite("alice", "r", "acct", tcT0.Add(3*time.Hour))
	r.invite("bob", "r", "ws2", tcT0.Add(4*time.Hour)) // the later one is under workspace
	r.invite("bob", "s", "ws2", tcT0.Add(5*time.Hour))
	r.invite("alice", "s", "acct", tcT0.Add(6*time.Hour)) // the earlier one is under workspace
	vs := tcExpect(t, cfg, camps, r, "workspace", "workspace", "workspace")
	tcAt(t, vs, 0, tcT0.Add(4*time.Hour))
	tcAt(t, vs, 1, tcT0.Add(6*time.Hour))
	tcAt(t, vs, 2, tcT0.Add(30*day))
}

func TestInvariantsWithdraw(t *testing.T) {
	mk := func(id string, maxPending int) config.Account {
		a := tcAccount(id)
		a.Limits.MaxPending = maxPending
		return a
	}
	cfg := tcConfig(mk("a", 3), mk("b", 3), mk("c", 2), mk("d", 3), mk("e", 1))
	camps := []*campaigns.Campaign{tcCampaign("c21", ""), tcCampaign("c14", "", tcConnect(14*day))}
	r := &tcRecord{}
	h := func(n int) time.Time { return tcT0.Add(time.Duration(n) * time.Hour) }
	// a: 2 pending of 3: an early withdrawal is not pruning.
	r.invite("a", "a1", "c21", h(0)).invite("a", "a2", "c21", h(1))
	r.op(sandbox.OpWithdraw, "a", "a1", "c21", h(24)) // withdraw_age
	// b: at the ceiling, the oldest first; then not the oldest.
	r.invite("b", "b1", "c21", h(0)).invite("b", "b2", "c21", h(1)).invite("b", "b3", "c21", h(2))
	r.op(sandbox.OpWithdraw, "b", "b1", "c21", h(3)) // fine
	r.invite("b", "b4", "c21", h(4))
	r.op(sandbox.OpWithdraw, "b", "b3", "c21", h(5)) // withdraw_oldest: b2 is older
	// c: an acceptance frees a place, so the account is below its ceiling.
	r.invite("c", "c1", "c21", h(0)).invite("c", "c2", "c21", h(1))
	r.answer(platform.EventAccepted, "c", "c1", h(2))
	r.op(sandbox.OpWithdraw, "c", "c2", "c21", h(3)) // withdraw_age
	// d: the campaign's own withdraw_after.
	r.invite("d", "d1", "c14", h(0)).invite("d", "d2", "c14", h(1))
	r.op(sandbox.OpWithdraw, "d", "d1", "c14", h(0).Add(14*day))             // exactly 14d: fine
	r.op(sandbox.OpWithdraw, "d", "d2", "c14", h(1).Add(14*day-time.Second)) // withdraw_age
	// e: a second invitation over a ceiling of 1.
	r.invite("e", "e1", "c21", h(0)).invite("e", "e2", "c21", h(1)) // max_pending
	vs := tcExpect(t, cfg, camps, r, "max_pending", "withdraw_age", "withdraw_oldest", "withdraw_age", "withdraw_age")
	for i, want := range []time.Time{h(1), h(3), h(5), h(24), h(1).Add(14*day - time.Second)} {
		tcAt(t, vs, i, want)
	}
	if len(vs) == 5 && (vs[1].Account != "c" || vs[2].Account != "b" || vs[2].Person != "b3") {
		t.Errorf("wrong accounts or people: %v", vs)
	}
}

func TestInvariantsMessage(t *testing.T) {
	cfg := tcConfig(tcAccount("a"))
	camps := []*campaigns.Campaign{
		tcCampaign("m", "", tcConnect(0), tcMessage(day), tcMessage(3*day)),
		tcCampaign("plain", ""),
	}
	r := &tcRecord{}
	r.invite("a", "p", "m", tcT0)
	r.answer(platform.EventAccepted, "a", "p", tcT0.Add(time.Hour))
	r.op(sandbox.OpMessage, "a", "p", "m", tcT0.Add(time.Hour+day)) // exactly the wait
	r.invite("a", "q", "m", tcT0.Add(time.Minute))
	r.answer(platform.EventAccepted, "a", "q", tcT0.Add(2*time.Hour))
	r.op(sandbox.OpMessage, "a", "q", "m", tcT0.Add(2*time.Hour+day-time.Second)) // too early
	r.invite("a", "r", "m", tcT0.Add(2*time.Minute))
	r.op(sandbox.OpMessage, "a", "r", "m", tcT0.Add(3*day)) // never accepted
	r.invite("a", "s", "plain", tcT0.Add(3*time.Minute))
	r.answer(platform.EventAccepted, "a", "s", tcT0.Add(time.Hour))
	r.op(sandbox.OpMessage, "a", "s", "plain", tcT0.Add(4*day)) // no message step
	tcExpect(t, cfg, camps, r, "message", "message", "message")
}

func TestInvariantsFollowFirst(t *testing.T) {
	cfg := tcConfig(tcAccount("alice"), tcAccount("bob"))
	camps := []*campaigns.Campaign{tcCampaign("ff", campaigns.DedupeAccount, tcFollow(7*day), tcConnect(0))}
	r := &tcRecord{}
	r.op(sandbox.OpFollow, "alice", "p", "ff", tcT0)
	r.invite("alice", "p", "ff", tcT0.Add(7*day)) // exactly the wait
	r.invite("alice", "q", "ff", tcT0.Add(7*day+time.Minute))
	r.op(sandbox.OpFollow, "alice", "r", "ff", tcT0)
	r.invite("alice", "r", "ff", tcT0.Add(7*day-time.Minute))
	r.op(sandbox.OpFollow, "bob", "s", "ff", tcT0) // bob's follow is not alice's
	r.invite("alice", "s", "ff", tcT0.Add(8*day))
	vs := tcExpect(t, cfg, camps, r, "follow_first", "follow_first", "follow_first")
	tcAt(t, vs, 0, tcT0.Add(7*day-time.Minute))
}

// TestInvariantsAnswerAtInvitation: an answer at the very instant of its
// invitation (a zero delay) is taken after it.
func TestInvariantsAnswerAtInvitation(t *testing.T) {
	cfg := tcConfig(tcAccount("a"))
	camps := []*campaigns.Campaign{tcCampaign("m", "", tcConnect(0), tcMessage(0))}
	r := &tcRecord{}
	r.invite("a", "p", "m", tcT0)
	r.answer(platform.EventAccepted, "a", "p", tcT0)
	r.op(sandbox.OpMessage, "a", "p", "m", tcT0.Add(time.Hour))
	tcExpect(t, cfg, camps, r)
}

func TestViolationString(t *testing.T) {
	v := Violation{Rule: RuleGap, Account: "a", Person: "p", At: tcT0, Detail: "1m0s after the previous invitation"}
	if got, want := v.String(), "gap at 2026-11-23T09:00:00Z account=a person=p: 1m0s after the previous invitation"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// BenchmarkCheckInvariants measures the referee on a record of a million
// invitations of 100 accounts, a third of them accepted.
func BenchmarkCheckInvariants(b *testing.B) {
	const accounts, n = 100, 1_000_000
	var accts []config.Account
	for i := range accounts {
		a := tcAccount(fmt.Sprint("acct-", i))
		a.Limits.MaxPending = n
		accts = append(accts, a)
	}
	cfg := tcConfig(accts...)
	camps := []*campaigns.Campaign{tcCampaign("c", "")}
	r := &tcRecord{keys: map[string]string{}}
	for i := range n {
		acct := accts[i%accounts].ID
		at := tcT0.Add(time.Duration(i) * 7 * time.Second)
		r.record = append(r.record, sandbox.Entry{Seq: int64(i + 1), Op: sandbox.OpInvite, Key: fmt.Sprint("c/", i, "/connect"),
			Account: acct, Person: fmt.Sprintf("https://www.linkedin.com/in/person-%09d", i), Campaign: "c", At: at})
		if i%3 == 0 {
			r.events = append(r.events, wire.Event{Type: platform.EventAccepted, Account: acct, Person: r.record[i].Person,
				Key: r.record[i].Key, At: at.Add(time.Hour)})
		}
	}
	b.ResetTimer()
	for range b.N {
		if vs := CheckInvariants(cfg, camps, r.record, r.events); len(vs) != 0 {
			b.Fatal(vs[0])
		}
	}
}
