package ledger_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/outreach-scheduler/outreach/forget"
	"github.com/outreach-scheduler/outreach/internal/redistest"
	"github.com/outreach-scheduler/outreach/ledger"
	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/wire"
)

const (
	ann = "https://example.com/in/ann"
	bo  = "https://example.com/in/bo"
)

var sent0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func invite(key, account, person string) wire.Task {
	return wire.Task{Kind: wire.KindInvite, At: sent0, Account: account, Campaign: "spring", Person: person, Key: key, Variant: "hi", Note: "Hi there"}
}

func delivered(at time.Time) wire.Outcome { return wire.Outcome{Kind: wire.Delivered, At: at} }

func event(typ platform.EventType, key, account, person string, at time.Time) wire.Event {
	return wire.Event{Type: typ, Account: account, Person: person, Key: key, At: at}
}

// TestRecordEvent checks events against the index of sent invitations:
// each refusal, the one answer an invitation takes, and that nothing is
// appended unless the event is recorded.
func TestRecordEvent(t *testing.T) {
	t.Run("redis", func(t *testing.T) { testRecordEvent(t, redistest.Start(t).Client()) })
	t.Run("cluster", func(t *testing.T) {
		if testing.Short() {
			t.Skip("a 3-master cluster")
		}
		testRecordEvent(t, redistest.StartCluster(t, 3).Client())
	})
}

func testRecordEvent(t *testing.T, rdb redis.UniversalClient) {
	ctx := context.Background()
	led := ledger.New(rdb, "")
	const skew = 5 * time.Minute
	if err := led.AppendOutcome(ctx, invite("spring/a1/connect", "alice", ann), delivered(sent0)); err != nil {
		t.Fatal(err)
	}
	if err := led.AppendOutcome(ctx, invite("spring/b1/connect", "alice", bo), delivered(sent0)); err != nil {
		t.Fatal(err)
	}
	// Not delivered: not in the index.
	if err := led.AppendOutcome(ctx, invite("spring/b1/connect.1", "bob", bo), wire.Outcome{Kind: wire.Refused, At: sent0, Code: platform.CodeCooldown}); err != nil {
		t.Fatal(err)
	}
	base, _ := led.Len(ctx)
	later := sent0.Add(time.Hour)
	for _, c := range []struct {
		name   string
		ev     wire.Event
		want   ledger.EventResult
		detail string
	}{
		{"a key of no invitation", event(platform.EventAccepted, "spring/zz/connect", "alice", ann, later), ledger.EventUnknownKey, ""},
		{"a key not delivered", event(platform.EventAccepted, "spring/b1/connect.1", "bob", bo, later), ledger.EventUnknownKey, ""},
		{"another account's key", event(platform.EventAccepted, "spring/a1/connect", "bob", ann, later), ledger.EventKeyMismatch, "account"},
		{"another person's key", event(platform.EventAccepted, "spring/a1/connect", "alice", bo, later), ledger.EventKeyMismatch, "person"},
		{"year 1", event(platform.EventAccepted, "spring/a1/connect", "alice", ann, time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC)), ledger.EventBeforeSend, "sent at 2026-11-23T09:00:00Z"},
		{"1970", event(platform.EventAccepted, "spring/a1/connect", "alice", ann, time.Unix(0, 0)), ledger.EventBeforeSend, "sent at 2026-11-23T09:00:00Z"},
		{"before the send minus the skew", event(platform.EventAccepted, "spring/a1/connect", "alice", ann, sent0.Add(-skew-time.Second)), ledger.EventBeforeSend, "sent at 2026-11-23T09:00:00Z"},
		{"within the skew", event(platform.EventDeclined, "spring/b1/connect", "alice", bo, sent0.Add(-skew+time.Second)), ledger.EventRecorded, ""},
		{"the person's key written otherwise", event(platform.EventAccepted, "spring/a1/connect", "alice", "HTTPS://Example.com/in/ann/", later), ledger.EventRecorded, ""},
		{"the same answer again", event(platform.EventAccepted, "spring/a1/connect", "alice", ann, later.Add(time.Minute)), ledger.EventDuplicate, ""},
		{"another answer after it", event(platform.EventExpired, "spring/a1/connect", "alice", ann, later), ledger.EventAnswered, "accepted"},
	} {
		got, detail, err := led.RecordEvent(ctx, c.ev, skew)
		if err != nil || got != c.want || detail != c.detail {
			t.Errorf("%s: %q %q %v; want %q %q", c.name, got, detail, err, c.want, c.detail)
		}
		if got.Taken() != (c.want == ledger.EventRecorded || c.want == ledger.EventDuplicate) {
			t.Errorf("%s: Taken() = %v", c.name, got.Taken())
		}
	}
	if n, _ := led.Len(ctx); n != base+2 {
		t.Errorf("%d entries appended, want the 2 recorded", n-base)
	}
	// The index holds no personal data: no key, no note.
	if hits, err := redistest.Grep(ctx, rdb, "example.com", "Hi there"); err != nil {
		t.Fatal(err)
	} else {
		for _, h := range hits {
			if strings.Contains(h, ":sent:") {
				t.Errorf("the index names a person or a note: %s", h)
			}
		}
	}
	// Answered: kept a day for repeats, then gone.
	if ttl := rdb.PTTL(ctx, "outreach:{ledger}:sent:spring/a1/connect").Val(); ttl > ledger.AnsweredTTL || ttl <= 0 {
		t.Errorf("an answered invitation's entry lives %v, want at most %v", ttl, ledger.AnsweredTTL)
	}

	// A forgotten person's events are dropped, not recorded.
	if _, err := forget.New(rdb, "").Add(ctx, bo); err != nil {
		t.Fatal(err)
	}
	if got, _, err := led.RecordEvent(ctx, event(platform.EventAccepted, "spring/b1/connect", "alice", bo, later), skew); got != ledger.EventForgotten || err != nil {
		t.Errorf("a forgotten person's event: %q %v", got, err)
	}
}

// TestSentIndexLifetime: a pending invitation lives SentTTL in the index;
// a delivered withdrawal or expiry shortens it to AnsweredTTL; a repeated
// outcome keeps the first entry and its answer; BackfillSent adds only what
// is missing; SetSentTTL(0) keeps no index.
func TestSentIndexLifetime(t *testing.T) {
	rdb := redistest.Start(t).Client()
	ctx := context.Background()
	led := ledger.New(rdb, "")
	led.SetSentTTL(ledger.SentTTL(30 * 24 * time.Hour))
	key := func(k string) string { return "outreach:{ledger}:sent:" + k }
	for _, k := range []string{"spring/a/connect", "spring/b/connect.2", "spring/c/connect"} {
		if err := led.AppendOutcome(ctx, invite(k, "alice", ann+k), delivered(sent0)); err != nil {
			t.Fatal(err)
		}
	}
	if ttl := rdb.PTTL(ctx, key("spring/a/connect")).Val(); ttl < 36*24*time.Hour || ttl > 37*24*time.Hour {
		t.Errorf("a pending invitation lives %v, want expire_after and a week (37d)", ttl)
	}
	end := func(kind wire.Kind, k string) {
		t.Helper()
		tk := invite(k, "alice", ann)
		tk.Kind = kind
		if err := led.AppendOutcome(ctx, tk, delivered(sent0.Add(time.Hour))); err != nil {
			t.Fatal(err)
		}
	}
	end(wire.KindWithdraw, "spring/a/withdraw")
	end(wire.KindExpire, "spring/b/expire.2")
	for _, k := range []string{"spring/a/connect", "spring/b/connect.2"} {
		if ttl := rdb.PTTL(ctx, key(k)).Val(); ttl > ledger.AnsweredTTL || ttl <= 0 {
			t.Errorf("%s lives %v after its end, want at most %v", k, ttl, ledger.AnsweredTTL)
		}
	}
	if ttl := rdb.PTTL(ctx, key("spring/c/connect")).Val(); ttl < 36*24*time.Hour {
		t.Errorf("a pending invitation's entry was shortened to %v", ttl)
	}
	// A repeated outcome keeps the first entry (and its answer).
	if r, _, _ := led.RecordEvent(ctx, event(platform.EventAccepted, "spring/c/connect", "alice", ann+"spring/c/connect", sent0.Add(time.Hour)), time.Minute); r != ledger.EventRecorded {
		t.Fatalf("accepted: %q", r)
	}
	if err := led.AppendOutcome(ctx, invite("spring/c/connect", "alice", ann+"spring/c/connect"), delivered(sent0)); err != nil {
		t.Fatal(err)
	}
	if v := rdb.Get(ctx, key("spring/c/connect")).Val(); !strings.HasSuffix(v, " accepted") {
		t.Errorf("a repeated outcome overwrote the answer: %q", v)
	}
	// Backfill: only what is missing.
	n, err := led.BackfillSent(ctx, []ledger.SentInvitation{
		{Key: "spring/c/connect", Account: "alice", Person: ann + "spring/c/connect", At: sent0},
		{Key: "spring/d/connect", Account: "bob", Person: bo, At: sent0},
	})
	if err != nil || n != 1 {
		t.Errorf("BackfillSent: %d %v; want 1 added", n, err)
	}
	if r, _, _ := led.RecordEvent(ctx, event(platform.EventDeclined, "spring/d/connect", "bob", bo, sent0.Add(time.Hour)), time.Minute); r != ledger.EventRecorded {
		t.Errorf("an answer to a backfilled invitation: %q", r)
	}
	// No index: nothing written, and events cannot be checked.
	off := ledger.New(rdb, "x:")
	off.SetSentTTL(0)
	if err := off.AppendOutcome(ctx, invite("spring/e/connect", "alice", ann), delivered(sent0)); err != nil {
		t.Fatal(err)
	}
	if n := rdb.Exists(ctx, "x:{ledger}:sent:spring/e/connect").Val(); n != 0 {
		t.Error("SetSentTTL(0) still indexed an invitation")
	}
	if _, _, err := off.RecordEvent(ctx, event(platform.EventAccepted, "spring/e/connect", "alice", ann, sent0), time.Minute); err == nil {
		t.Error("RecordEvent without an index did not fail")
	}
}

// TestForgetSent: forgetting a person removes their index entries, those
// the stream still names and those it no longer does (trimmed).
func TestForgetSent(t *testing.T) {
	rdb := redistest.Start(t).Client()
	ctx := context.Background()
	led := ledger.New(rdb, "")
	for _, k := range []string{"spring/a/connect", "autumn/a/connect.1"} {
		if err := led.AppendOutcome(ctx, invite(k, "alice", ann), delivered(sent0)); err != nil {
			t.Fatal(err)
		}
	}
	if err := led.AppendOutcome(ctx, invite("spring/b/connect", "alice", bo), delivered(sent0)); err != nil {
		t.Fatal(err)
	}
	rdb.XTrimMaxLen(ctx, led.Key(), 1) // the stream forgot the first ones; the index did not
	if _, err := led.Forget(ctx, []string{ann}); err != nil {
		t.Fatal(err)
	}
	keys := rdb.Keys(ctx, "outreach:{ledger}:sent:*").Val()
	if len(keys) != 1 || keys[0] != "outreach:{ledger}:sent:spring/b/connect" {
		t.Errorf("index after forgetting ann: %v; want bo's entry only", keys)
	}
}

func TestInviteKeyOf(t *testing.T) {
	for in, want := range map[string]string{
		"spring/1x9k/withdraw":   "spring/1x9k/connect",
		"spring/1x9k/withdraw.3": "spring/1x9k/connect.3",
		"spring/1x9k/expire.12":  "spring/1x9k/connect.12",
		"k1~withdrawn":           "k1",
		"spring/1x9k/message0":   "",
		"spring/1x9k/connect":    "",
		"withdraw":               "",
	} {
		got, ok := ledger.InviteKeyOf(in)
		if got != want || ok != (want != "") {
			t.Errorf("InviteKeyOf(%q) = %q %v, want %q", in, got, ok, want)
		}
	}
}

// TestReplays: a signature recorded through one Replays is a replay for
// another on the same Redis (another scheduler, or this one restarted),
// until its window ends; Forget lets it through again.
func TestReplays(t *testing.T) {
	rdb := redistest.Start(t).Client()
	ctx := context.Background()
	a, b := ledger.New(rdb, "").Replays(), ledger.New(redis.NewClient(&redis.Options{Addr: rdb.Options().Addr}), "").Replays()
	now := time.Now()
	if ok, err := a.Add(ctx, "v1=abc", now.Add(time.Second), now); !ok || err != nil {
		t.Fatalf("first Add: %v %v", ok, err)
	}
	if ok, err := b.Add(ctx, "v1=abc", now.Add(time.Second), now); ok || err != nil {
		t.Errorf("the other scheduler took a replay: %v %v", ok, err)
	}
	if ok, _ := a.Add(ctx, "v1=abd", now.Add(time.Second), now); !ok {
		t.Error("another signature refused")
	}
	if err := b.Forget(ctx, "v1=abc"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := a.Add(ctx, "v1=abc", now.Add(200*time.Millisecond), now); !ok {
		t.Error("refused after Forget")
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if ok, _ := b.Add(ctx, "v1=abc", time.Now().Add(time.Minute), time.Now()); ok {
			break // its window ended
		}
		if time.Now().After(deadline) {
			t.Fatal("a signature still remembered 10s after its 200ms window")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if keys := rdb.Keys(ctx, "outreach:{ledger}:seen:*").Val(); len(keys) != 2 || strings.Contains(keys[0], "abc") {
		t.Errorf("replay keys %v: want 2, hashed", keys)
	}
}
