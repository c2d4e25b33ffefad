package sandbox

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/wire"
)

// TestAgainstReference drives the model with random requests and replays
// its record and events through a naive re-implementation of the rules
// (plain slices and maps, no hashing, no heap): every answer must match,
// every answer event must concern a pending invitation, and every reply a
// message delivered to a connection that did not reply before.
func TestAgainstReference(t *testing.T) {
	for seed := range uint64(5) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) { checkReference(t, seed) })
	}
}

func checkReference(t *testing.T, seed uint64) {
	accts := map[string]Account{
		"a": {Weekly: 10, NoteChars: 20, NotesPerMonth: 3},
		"b": {Weekly: 25, NoteChars: 30, NotesPerMonth: Unlimited},
	}
	opt := Options{Seed: int64(seed) + 1, AcceptRate: 0.4, DeclineRate: 0.2, ExpireAfter: 20 * day, ReinviteCooldown: 5 * day, Accounts: accts}
	m := New(opt)
	rng := rand.New(rand.NewPCG(seed, 99))
	ctx := context.Background()
	notes := []string{"", "", "Hi!", "Hello there 😀", strings.Repeat("x", 25)}
	type sent struct{ op, key, acct, who string }
	var past []sent
	var events []wire.Event
	now := t0
	for i := range 4000 {
		now = now.Add(time.Duration(rng.Int64N(int64(4 * time.Hour))))
		s := sent{acct: []string{"a", "b", "zz"}[min(rng.IntN(21)/10, 2)], who: fmt.Sprint("p", rng.IntN(300))}
		switch r := rng.IntN(100); {
		case r < 60:
			s.op = "invite"
		case r < 85:
			s.op = "withdraw"
		case r < 95:
			s.op = "message"
		default:
			s.op = "follow"
		}
		s.key = fmt.Sprint(s.op, i)
		if len(past) > 0 && rng.IntN(10) == 0 {
			s = past[rng.IntN(len(past))] // a repeat
		}
		past = append(past, s)
		a := platform.Action{Key: s.key, Account: s.acct, Person: s.who, At: now}
		switch s.op {
		case "invite":
			_ = m.Invite(ctx, platform.Invite{Action: a, Variant: "v", Note: notes[rng.IntN(len(notes))]})
		case "withdraw":
			_ = m.Withdraw(ctx, a)
		case "message":
			_ = m.Message(ctx, platform.Message{Action: a, Text: "thanks"})
		default:
			_ = m.Follow(ctx, a)
		}
		if rng.IntN(50) == 0 {
			events = append(events, m.Advance(now)...)
		}
	}
	events = append(events, m.Advance(now.Add(100*day))...)
	if !slices.IsSortedFunc(events, func(x, y wire.Event) int { return x.At.Compare(y.At) }) {
		t.Fatal("events out of time order")
	}

	// The reference.
	type pair struct{ acct, who string }
	const (
		none = iota
		pending
		connected
		declined
		cooling
	)
	type state struct {
		st      int
		key     string
		until   time.Time
		msgs    map[string]bool // connected: the messages delivered
		replied bool
	}
	rel := map[pair]*state{}
	get := func(p pair) *state {
		if rel[p] == nil {
			rel[p] = &state{}
		}
		return rel[p]
	}
	var sends = map[string][]time.Time{}
	notesUsed := map[string]int{} // account/yyyy-mm
	first := map[string]platform.Code{}
	ev := 0
	counts := map[platform.EventType]int{}
	// reply checks a replied event; it reports whether x is one.
	reply := func(x wire.Event) bool {
		if x.Type != platform.EventReplied {
			return false
		}
		s := get(pair{x.Account, x.Person})
		if s.st != connected || !s.msgs[x.Key] || s.replied {
			t.Fatalf("reply %+v to no message delivered to a connection, or a second one (%+v)", x, s)
		}
		s.replied = true
		counts[x.Type]++
		return true
	}
	for _, e := range m.Record() {
		for ; ev < len(events) && !events[ev].At.After(e.At); ev++ {
			x := events[ev]
			if reply(x) {
				continue
			}
			s := get(pair{x.Account, x.Person})
			if s.st != pending || s.key != x.Key {
				t.Fatalf("event %+v for an invitation not pending (%+v)", x, s)
			}
			counts[x.Type]++
			switch x.Type {
			case platform.EventAccepted:
				*s = state{st: connected}
			case platform.EventDeclined:
				*s = state{st: declined}
			case platform.EventExpired:
				*s = state{st: cooling, until: x.At.Add(opt.ReinviteCooldown)}
			}
		}
		fk := string(e.Op) + "\x00" + e.Key
		if e.Repeat {
			if want, ok := first[fk]; !ok || e.Refused != want {
				t.Fatalf("repeat %+v: first answer %q", e, want)
			}
			continue
		}
		want := platform.Code("")
		acct, known := accts[e.Account]
		s := get(pair{e.Account, e.Person})
		month := e.Account + e.At.Format("/2006-01")
		switch {
		case !known:
			want = platform.CodeUnknownAccount
		case e.Op == OpFollow:
		case e.Op == OpMessage:
			if s.st != connected {
				want = platform.CodeNotConnected
			}
		case e.Op == OpWithdraw:
			if s.st != pending {
				want = platform.CodeNotPending
			}
		default:
			inWeek := 0
			for _, u := range sends[e.Account] {
				if e.At.Sub(u) < week {
					inWeek++
				}
			}
			switch {
			case inWeek >= acct.Weekly:
				want = platform.CodeWeeklyLimit
			case s.st == connected:
				want = platform.CodeAlreadyConnected
			case s.st == pending:
				want = platform.CodeDuplicate
			case s.st == declined:
				want = platform.CodeDeclined
			case s.st == cooling && e.At.Before(s.until):
				want = platform.CodeCooldown
			case e.HasNote && e.Chars > acct.NoteChars:
				want = platform.CodeNoteTooLong
			case e.HasNote && acct.NotesPerMonth >= 0 && notesUsed[month] >= acct.NotesPerMonth:
				want = platform.CodeNoteAllowance
			}
		}
		if e.Refused != want {
			t.Fatalf("%+v: model answered %q, reference %q (state %+v)", e, e.Refused, want, s)
		}
		first[fk] = want
		if want != "" {
			continue
		}
		switch e.Op {
		case OpInvite:
			*s = state{st: pending, key: e.Key}
			sends[e.Account] = append(sends[e.Account], e.At)
			if e.HasNote {
				notesUsed[month]++
			}
		case OpWithdraw:
			*s = state{st: cooling, until: e.At.Add(opt.ReinviteCooldown)}
		case OpMessage:
			if s.msgs == nil {
				s.msgs = map[string]bool{}
			}
			s.msgs[e.Key] = true
		}
	}
	if ev != len(events) {
		// Events after the last request: all must concern pending
		// invitations (or be replies to messages).
		for _, x := range events[ev:] {
			if reply(x) {
				continue
			}
			if s := get(pair{x.Account, x.Person}); s.st != pending || s.key != x.Key {
				t.Fatalf("late event %+v for an invitation not pending", x)
			}
			counts[x.Type]++
		}
	}
	st := m.Stats().Total()
	if st.Accepted != counts[platform.EventAccepted] || st.Declined != counts[platform.EventDeclined] || st.Expired != counts[platform.EventExpired] || st.Pending != 0 ||
		st.Replied != counts[platform.EventReplied] || st.Replied == 0 {
		t.Errorf("stats %+v, events %v", st, counts)
	}
	for _, c := range []platform.Code{platform.CodeWeeklyLimit, platform.CodeDuplicate, platform.CodeDeclined, platform.CodeCooldown, platform.CodeNoteTooLong, platform.CodeNoteAllowance, platform.CodeNotPending, platform.CodeUnknownAccount} {
		if st.Refused[c] == 0 {
			t.Errorf("the random run never exercised %s: %v", c, st.Refused)
		}
	}
}
