package sandbox

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/platform/responsedelay"
	"github.com/outreach-scheduler/outreach/wire"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC) // a Monday

// Outcome models that force one answer.
var (
	ignoreAll  = Options{AcceptRate: -1, DeclineRate: -1}
	acceptAll  = Options{AcceptRate: 1}
	declineAll = Options{AcceptRate: -1, DeclineRate: 1}
	acceptLate = Options{AcceptRate: 1, Delays: []DelayPoint{{day, 0}, {2 * day, 1}}} // between 1 and 2 days
)

func with(o Options, accts map[string]Account) Options {
	o.Accounts = accts
	return o
}

// small is an account with tight limits: 3 a week, 10-character notes, 2
// notes a month.
var small = map[string]Account{
	"a":   {Weekly: 3, NoteChars: 10, NotesPerMonth: 2},
	"b":   {Weekly: 100, NoteChars: 300, NotesPerMonth: Unlimited, ConnectedTo: []string{"q"}},
	"cap": {Weekly: 100, NoteChars: 300, NotesPerMonth: Unlimited, Connections: ConnectionCap},
}

// step is one request (or "advance", "restrict") of a scripted test.
type step struct {
	op   string // follow invite withdraw message advance restrict
	acct string // default "a"
	who  string // the person
	key  string // default: unique per step; "none" for an empty key
	note string
	at   time.Duration // after t0
	want platform.Code
}

func play(t *testing.T, m *Model, steps []step) {
	t.Helper()
	ctx := context.Background()
	var requests, refused int
	for i, s := range steps {
		acct := s.acct
		if acct == "" {
			acct = "a"
		}
		key := s.key
		switch key {
		case "":
			key = fmt.Sprintf("c/%s/%s/%d", s.who, s.op, i)
		case "none":
			key = ""
		}
		a := platform.Action{Key: key, Account: acct, Person: s.who, Campaign: "c", At: t0.Add(s.at)}
		var err error
		switch s.op {
		case "follow":
			err = m.Follow(ctx, a)
		case "invite":
			err = m.Invite(ctx, platform.Invite{Action: a, Variant: "v", Note: s.note})
		case "withdraw":
			err = m.Withdraw(ctx, a)
		case "message":
			err = m.Message(ctx, platform.Message{Action: a, Text: "thanks"})
		case "advance":
			m.Advance(a.At)
			continue
		case "restrict":
			m.Restrict(acct, a.At)
			continue
		default:
			t.Fatalf("step %d: unknown op %q", i, s.op)
		}
		requests++
		if got := platform.CodeOf(err); got != s.want {
			t.Errorf("step %d (%s %s at %v): got %q (%v), want %q", i, s.op, s.who, s.at, got, err, s.want)
		}
		if err != nil {
			refused++
			if platform.IsRetryable(err) {
				t.Errorf("step %d: refusal %v is retryable", i, err)
			}
		}
	}
	if got := len(m.Record()); got != requests {
		t.Errorf("record holds %d requests, want %d", got, requests)
	}
	if got := len(m.Violations()); got != refused {
		t.Errorf("violations hold %d requests, want %d", got, refused)
	}
}

func TestRules(t *testing.T) {
	const d = day
	tests := []struct {
		name  string
		opt   Options
		steps []step
	}{
		{"unknown account", ignoreAll, []step{
			{op: "invite", acct: "zz", who: "p", want: platform.CodeUnknownAccount},
			{op: "follow", acct: "zz", who: "p", want: platform.CodeUnknownAccount},
		}},
		{"invalid request", ignoreAll, []step{
			{op: "invite", who: "p", key: "none", want: platform.CodeInvalid},
			{op: "invite", who: "", want: platform.CodeInvalid},
			{op: "invite", who: "p"},
		}},
		{"weekly limit", ignoreAll, []step{
			{op: "invite", who: "p1"},
			{op: "invite", who: "p2", at: time.Hour},
			{op: "invite", who: "p3", at: 2 * time.Hour},
			{op: "invite", who: "p4", at: 3 * time.Hour, want: platform.CodeWeeklyLimit},
			{op: "follow", who: "p4", at: 3 * time.Hour}, // follows are unlimited
			{op: "invite", who: "p4", at: 7 * d},
		}},
		{"note too long", ignoreAll, []step{
			{op: "invite", who: "p1", note: "12345678901", want: platform.CodeNoteTooLong},
			{op: "invite", who: "p2", note: "123456789😀", want: platform.CodeNoteTooLong}, // 11 UTF-16 units
			{op: "invite", who: "p3", note: "12345678😀"},                                  // 10
			{op: "invite", who: "p4", note: "ééééééééé"},                                  // 9, though 18 bytes
		}},
		{"note allowance", ignoreAll, []step{
			{op: "invite", who: "p1", note: "hi"},
			{op: "invite", who: "p2", note: "hi"},
			{op: "invite", who: "p3", note: "hi", want: platform.CodeNoteAllowance},
			{op: "invite", who: "p3"}, // blank invitations are not counted
		}},
		{"connection cap", ignoreAll, []step{
			{op: "invite", acct: "cap", who: "p", want: platform.CodeConnectionCap},
			{op: "follow", acct: "cap", who: "p"},
		}},
		{"duplicate while pending", ignoreAll, []step{
			{op: "invite", who: "p"},
			{op: "invite", who: "p", at: d, want: platform.CodeDuplicate},
			{op: "invite", acct: "b", who: "p", at: d}, // another account may
		}},
		{"already connected", acceptAll, []step{
			{op: "invite", who: "p"},
			{op: "advance", at: 61 * d},
			{op: "invite", who: "p", at: 61 * d, want: platform.CodeAlreadyConnected},
			{op: "invite", acct: "b", who: "q", want: platform.CodeAlreadyConnected},
			{op: "message", acct: "b", who: "q"},
		}},
		{"cooldown after withdrawal", ignoreAll, []step{
			{op: "invite", who: "p"},
			{op: "withdraw", who: "p", at: d},
			{op: "invite", who: "p", at: 22*d - time.Nanosecond, want: platform.CodeCooldown},
			{op: "invite", who: "p", at: 22 * d},
		}},
		{"decliner is never re-invited", declineAll, []step{
			{op: "invite", who: "p"},
			{op: "invite", who: "p", at: 61 * d, want: platform.CodeDeclined},
			{op: "invite", who: "p", at: 400 * d, want: platform.CodeDeclined},
			{op: "message", who: "p", at: 400 * d, want: platform.CodeNotConnected},
		}},
		{"withdraw needs a pending invitation", ignoreAll, []step{
			{op: "withdraw", who: "p", want: platform.CodeNotPending},
			{op: "invite", who: "p", at: time.Hour},
			{op: "withdraw", who: "p", at: 2 * time.Hour},
			{op: "withdraw", who: "p", at: 3 * time.Hour, want: platform.CodeNotPending},
		}},
		{"message needs a connection", acceptLate, []step{
			{op: "message", who: "p", want: platform.CodeNotConnected},
			{op: "invite", who: "p", at: time.Hour},
			{op: "message", who: "p", at: d, want: platform.CodeNotConnected}, // not answered yet
			{op: "message", who: "p", at: 3*d + time.Hour},
		}},
		{"key reused for another person", ignoreAll, []step{
			{op: "invite", who: "p", key: "k"},
			{op: "invite", who: "q", key: "k", want: platform.CodeKeyConflict},
			{op: "invite", acct: "b", who: "p", key: "k", want: platform.CodeKeyConflict},
			{op: "withdraw", who: "p", key: "k"}, // keys are per operation
		}},
		{"restricted account", ignoreAll, []step{
			{op: "restrict", at: d},
			{op: "invite", who: "p", want: platform.CodeRestricted},
			{op: "withdraw", who: "p", want: platform.CodeNotPending},
			{op: "invite", who: "p", at: d},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			play(t, New(with(tt.opt, small)), tt.steps)
		})
	}
}

func TestWeeklyWindow(t *testing.T) {
	tight := map[string]Account{"a": {Weekly: 2, NoteChars: 300, NotesPerMonth: Unlimited}}
	for _, tt := range []struct {
		name  string
		steps []step
	}{
		{"boundary in order", []step{
			{op: "invite", who: "p1"},
			{op: "invite", who: "p2", at: time.Hour},
			{op: "invite", who: "p3", at: week - time.Nanosecond, want: platform.CodeWeeklyLimit},
			{op: "invite", who: "p3", at: week}, // (0, 7d]: the first one left
			{op: "invite", who: "p4", at: week + time.Hour - time.Nanosecond, want: platform.CodeWeeklyLimit},
			{op: "invite", who: "p4", at: week + time.Hour},
		}},
		{"late arrivals", []step{
			{op: "invite", who: "p1"},
			{op: "invite", who: "p2", at: 6 * day},
			{op: "invite", who: "p3", at: 3 * day, want: platform.CodeWeeklyLimit}, // three within 6 days
			{op: "invite", who: "p3", at: -2 * day},                                // {-2d, 0}, {0, 6d}: no 3 within 7 days
			{op: "invite", who: "p4", at: -time.Hour, want: platform.CodeWeeklyLimit},
			{op: "invite", who: "p4", at: 13 * day}, // 13d-6d is not < 7d
		}},
	} {
		t.Run(tt.name, func(t *testing.T) { play(t, New(with(ignoreAll, tight)), tt.steps) })
	}
}

// TestWeeklyWindowReference checks the limiter against a brute-force
// reference over a long run of requests arriving slightly out of order.
func TestWeeklyWindowReference(t *testing.T) {
	const w = 5
	m := New(with(ignoreAll, map[string]Account{"a": {Weekly: w, NotesPerMonth: Unlimited}}))
	rng := rand.New(rand.NewPCG(1, 2))
	var accepted []time.Time
	refused := 0
	for i := range 3000 {
		at := t0.Add(time.Duration(i)*30*time.Hour + time.Duration(rng.Int64N(int64(5*day))) - 5*day/2)
		// Reference: refused iff some 7-day span holding at already holds w.
		want := refWindowFull(accepted, at, w)
		err := m.Invite(context.Background(), platform.Invite{Action: platform.Action{
			Key: fmt.Sprint(i), Account: "a", Person: fmt.Sprint("p", i), At: at}})
		if got := platform.CodeOf(err) == platform.CodeWeeklyLimit; got != want {
			t.Fatalf("request %d at %v: refused %v, reference %v", i, at, got, want)
		}
		if err == nil {
			accepted = append(accepted, at)
		} else {
			refused++
		}
	}
	if refused < 100 || len(accepted) < 1000 {
		t.Fatalf("degenerate run: %d accepted, %d refused", len(accepted), refused)
	}
}

// refWindowFull: would adding at put w+1 times within less than 7 days?
func refWindowFull(times []time.Time, at time.Time, w int) bool {
	all := append(slices.Clone(times), at)
	slices.SortFunc(all, func(x, y time.Time) int { return x.Compare(y) })
	for i := 0; i+w < len(all); i++ {
		lo, hi := all[i], all[i+w]
		if hi.Sub(lo) < week && !at.Before(lo) && !at.After(hi) {
			return true
		}
	}
	return false
}

func TestNoteAllowanceMonthInZone(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip(err)
	}
	m := New(with(ignoreAll, map[string]Account{"a": {Weekly: 100, NoteChars: 300, NotesPerMonth: 1, Location: ny}}))
	ctx := context.Background()
	for i, tt := range []struct {
		at   time.Time
		want platform.Code
	}{
		{time.Date(2026, 1, 31, 23, 0, 0, 0, ny), ""},                          // January's note
		{time.Date(2026, 1, 31, 23, 59, 0, 0, ny), platform.CodeNoteAllowance}, // still January in New York (February in UTC)
		{time.Date(2026, 2, 1, 0, 0, 0, 0, ny), ""},                            // February
		{time.Date(2026, 2, 27, 0, 0, 0, 0, ny), platform.CodeNoteAllowance},
		{time.Date(2026, 1, 31, 22, 0, 0, 0, ny), platform.CodeNoteAllowance}, // late arrival: January is spent too
		{time.Date(2026, 3, 1, 0, 0, 0, 0, ny), ""},
	} {
		err := m.Invite(ctx, platform.Invite{Action: platform.Action{Key: fmt.Sprint(i), Account: "a", Person: fmt.Sprint("p", i), At: tt.at}, Variant: "v", Note: "Hello"})
		if got := platform.CodeOf(err); got != tt.want {
			t.Errorf("note at %v: got %q, want %q", tt.at, got, tt.want)
		}
	}
}

func TestIdempotentRepeats(t *testing.T) {
	m := New(with(ignoreAll, small))
	ctx := context.Background()
	inv := func(key, who string, at time.Duration) error {
		return m.Invite(ctx, platform.Invite{Action: platform.Action{Key: key, Account: "a", Person: who, At: t0.Add(at)}})
	}
	for i, tt := range []struct {
		key, who string
		at       time.Duration
		want     platform.Code
	}{
		{"k1", "p1", 0, ""},
		{"k1", "p1", time.Minute, ""}, // repeat: not a duplicate, not counted
		{"k2", "p2", time.Hour, ""},
		{"k3", "p3", 2 * time.Hour, ""},
		{"k4", "p4", 3 * time.Hour, platform.CodeWeeklyLimit},
		{"k4", "p4", 30 * day, platform.CodeWeeklyLimit}, // the first answer, though the window has room now
		{"k5", "p4", 30 * day, ""},
		{"k2", "p2", 31 * day, ""},
	} {
		if got := platform.CodeOf(inv(tt.key, tt.who, tt.at)); got != tt.want {
			t.Errorf("step %d (%s): got %q, want %q", i, tt.key, got, tt.want)
		}
	}
	// Withdrawals are idempotent too: the repeat is not "not pending".
	for i, want := range []platform.Code{"", "", platform.CodeNotPending} {
		key := "w1"
		if i == 2 {
			key = "w2"
		}
		err := m.Withdraw(ctx, platform.Action{Key: key, Account: "a", Person: "p1", At: t0.Add(32 * day)})
		if got := platform.CodeOf(err); got != want {
			t.Errorf("withdrawal %d: got %q, want %q", i, got, want)
		}
	}
	st := m.Stats().Accounts["a"]
	if st.Invited != 4 || st.Repeats != 4 || st.Withdrawn != 1 || st.Pending != 3 || st.Refused[platform.CodeWeeklyLimit] != 1 {
		t.Errorf("stats = %+v", st)
	}
	var repeats []int64
	for _, e := range m.Record() {
		if e.Repeat {
			repeats = append(repeats, e.Seq)
		}
	}
	if !slices.Equal(repeats, []int64{2, 6, 8, 10}) {
		t.Errorf("repeats at %v, want [2 6 8 10]", repeats)
	}
	v := m.Violations()
	if len(v) != 3 || !v[1].Repeat || v[1].Refused != platform.CodeWeeklyLimit || v[2].Refused != platform.CodeNotPending {
		t.Errorf("violations = %+v", v)
	}
}

func TestRecordEntries(t *testing.T) {
	m := New(with(ignoreAll, small))
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.FixedZone("X", 3600))
	ctx := context.Background()
	_ = m.Invite(ctx, platform.Invite{Action: platform.Action{Key: "k", Account: "b", Person: "p", Campaign: "camp", At: at}, Variant: "short", Note: "Hi 😀"})
	_ = m.Invite(ctx, platform.Invite{Action: platform.Action{Key: "k2", Account: "b", Person: "p2", Campaign: "camp", At: at}})
	_ = m.Message(ctx, platform.Message{Action: platform.Action{Key: "m", Account: "b", Person: "p", At: at}, Text: "x"})
	want := []Entry{
		{Seq: 1, Op: OpInvite, Key: "k", Account: "b", Person: "p", Campaign: "camp", Variant: "short", Chars: 5, HasNote: true, At: at.UTC()},
		{Seq: 2, Op: OpInvite, Key: "k2", Account: "b", Person: "p2", Campaign: "camp", Variant: "blank", At: at.UTC()},
		{Seq: 3, Op: OpMessage, Key: "m", Account: "b", Person: "p", Chars: 1, At: at.UTC(), Refused: platform.CodeNotConnected},
	}
	got := m.Record()
	if !slices.Equal(got, want) {
		t.Errorf("record:\n got %+v\nwant %+v", got, want)
	}
	got[0].Key = "changed"
	if m.Record()[0].Key != "k" {
		t.Error("Record returned the model's own storage")
	}
	vo := New(Options{Accounts: small, ViolationsOnly: true, AcceptRate: -1, DeclineRate: -1})
	_ = vo.Invite(ctx, platform.Invite{Action: platform.Action{Key: "k", Account: "b", Person: "p", At: at}})
	_ = vo.Invite(ctx, platform.Invite{Action: platform.Action{Key: "k2", Account: "b", Person: "p", At: at}})
	if r := vo.Record(); len(r) != 1 || r[0].Seq != 2 || r[0].Refused != platform.CodeDuplicate {
		t.Errorf("violations-only record = %+v", r)
	}
	if st := vo.Stats().Accounts["b"]; st.Invited != 1 {
		t.Errorf("violations-only stats = %+v", st)
	}
}

func TestUTF16Len(t *testing.T) {
	for _, tt := range []struct {
		s    string
		want int
	}{
		{"", 0}, {"abc", 3}, {"é", 1}, {"日本", 2}, {"😀", 2}, {"a😀b", 4}, {"👍🏽", 4}, {"\xff", 1},
	} {
		if got := utf16Len(tt.s); got != tt.want {
			t.Errorf("utf16Len(%q) = %d, want %d", tt.s, got, tt.want)
		}
	}
}

func TestValidate(t *testing.T) {
	for _, tt := range []struct {
		name string
		opt  Options
		want string // "" = valid
	}{
		{"zero", Options{}, ""},
		{"rate above 1", Options{AcceptRate: 1.2}, "accept rate"},
		{"variant rate", Options{VariantAcceptRates: map[string]float64{"x": -0.1}}, `variant "x"`},
		{"delays not ending at 1", Options{Delays: []DelayPoint{{day, 0.5}}}, "share 1"},
		{"delays decreasing", Options{Delays: []DelayPoint{{day, 0.5}, {week, 0.4}, {30 * day, 1}}}, "point 1"},
		{"negative limit", Options{Accounts: map[string]Account{"a": {Weekly: -1}}}, `account "a"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.opt.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("unexpected error %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("error %v, want one mentioning %q", err, tt.want)
			}
			if tt.want != "" {
				defer func() {
					if recover() == nil {
						t.Error("New accepted invalid options")
					}
				}()
				New(tt.opt)
			}
		})
	}
}

func TestCancelledContext(t *testing.T) {
	m := New(with(ignoreAll, small))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := m.Invite(ctx, platform.Invite{Action: platform.Action{Key: "k", Account: "a", Person: "p", At: t0}})
	if err == nil || !platform.IsRetryable(err) || len(m.Record()) != 0 {
		t.Fatalf("cancelled context: err %v, record %v", err, m.Record())
	}
}

// repliesOf invites n people from one account (all accept), sends each
// the given number of messages a day apart once connected, and returns the
// replies the model reports, far enough later for all of them to come.
func repliesOf(t *testing.T, opt Options, n, messages int) (replies []wire.Event, sent int) {
	t.Helper()
	opt.AcceptRate, opt.Accounts = 1, map[string]Account{"a": {Weekly: n, NoteChars: 300, NotesPerMonth: Unlimited}}
	m := New(opt)
	ctx := context.Background()
	for i := range n {
		a := platform.Action{Key: fmt.Sprint("inv", i), Account: "a", Person: fmt.Sprint("p", i), At: t0.Add(time.Duration(i) * time.Second)}
		if err := m.Invite(ctx, platform.Invite{Action: a, Variant: "blank"}); err != nil {
			t.Fatal(err)
		}
	}
	at := t0.Add(61 * day) // every acceptance in
	if evs := m.Advance(at); len(evs) != n {
		t.Fatalf("%d acceptances, want %d", len(evs), n)
	}
	for k := range messages {
		for i := range n {
			a := platform.Action{Key: fmt.Sprint("msg", k, "-", i), Account: "a", Person: fmt.Sprint("p", i), At: at.Add(time.Duration(k)*day + time.Duration(i)*time.Millisecond)}
			if err := m.Message(ctx, platform.Message{Action: a, Text: "hello"}); err != nil {
				t.Fatal(err)
			}
			sent++
		}
	}
	for _, ev := range m.Advance(at.Add(30 * day)) {
		if ev.Type != platform.EventReplied {
			t.Fatalf("unexpected event %+v", ev)
		}
		replies = append(replies, ev)
	}
	if got := m.Stats().Total().Replied; got != len(replies) {
		t.Errorf("stats count %d replies, the events %d", got, len(replies))
	}
	return replies, sent
}

// TestRepliesAtTheConfiguredRate: the share of delivered messages that
// get a reply is ReplyRate (default 0.15), each reply names the message's
// key and comes after it along the reply curve; the draw is the seed's
// alone; a person replies once; a rate of none gives none.
func TestRepliesAtTheConfiguredRate(t *testing.T) {
	const n = 4000
	for _, rate := range []float64{0, 0.5} { // 0: the default, 0.15
		want := rate
		if rate == 0 {
			want = 0.15
		}
		replies, sent := repliesOf(t, Options{Seed: 7, ReplyRate: rate}, n, 1)
		got := float64(len(replies)) / float64(sent)
		if sigma := math.Sqrt(want * (1 - want) / n); math.Abs(got-want) > 4*sigma {
			t.Errorf("rate %v: %d replies to %d messages (%.3f), want about %.2f", rate, len(replies), sent, got, want)
		}
		var delays []time.Duration
		for _, ev := range replies {
			var i int
			if _, err := fmt.Sscanf(ev.Key, "msg0-%d", &i); err != nil || ev.Person != fmt.Sprint("p", i) || ev.Account != "a" {
				t.Fatalf("reply %+v does not name its message", ev)
			}
			delays = append(delays, ev.At.Sub(t0.Add(61*day+time.Duration(i)*time.Millisecond)))
		}
		slices.Sort(delays)
		if med, want := delays[len(delays)/2], responsedelay.Reply().Quantile(0.5); delays[0] <= 0 || med < want*8/10 || med > want*12/10 {
			t.Errorf("rate %v: reply delays from %v, median %v; want after the message, median about %v", rate, delays[0], med, want)
		}
	}
	a, _ := repliesOf(t, Options{Seed: 7, ReplyRate: 0.5}, 300, 1)
	b, _ := repliesOf(t, Options{Seed: 7, ReplyRate: 0.5}, 300, 1)
	c, _ := repliesOf(t, Options{Seed: 8, ReplyRate: 0.5}, 300, 1)
	if !slices.Equal(a, b) || slices.Equal(a, c) {
		t.Error("the replies are not the seed's alone")
	}
	// Three messages each at rate 0.5: most people reply, none twice.
	once, sent := repliesOf(t, Options{Seed: 7, ReplyRate: 0.5}, 1000, 3)
	who := map[string]bool{}
	for _, ev := range once {
		if who[ev.Person] {
			t.Fatalf("%s replied twice", ev.Person)
		}
		who[ev.Person] = true
	}
	if len(once) < 800 || sent != 3000 {
		t.Errorf("%d of 1000 people replied to three messages at rate 0.5, want about 875", len(once))
	}
	if none, _ := repliesOf(t, Options{Seed: 7, ReplyRate: -1}, 500, 2); len(none) != 0 {
		t.Errorf("%d replies at rate none", len(none))
	}
	if err := (Options{ReplyRate: 1.5}).Validate(); err == nil || !strings.Contains(err.Error(), "reply rate") {
		t.Errorf("Validate(reply rate 1.5) = %v", err)
	}
}
