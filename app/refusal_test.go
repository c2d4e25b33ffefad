package app

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/internal/redistest"
	"github.com/outreach-scheduler/outreach/ledger"
	"github.com/outreach-scheduler/outreach/lifecycle"
	"github.com/outreach-scheduler/outreach/metrics"
	"github.com/outreach-scheduler/outreach/pacing"
	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/platform/sandbox"
	"github.com/outreach-scheduler/outreach/scheduler"
	"github.com/outreach-scheduler/outreach/wire"
)

// Timings of TestRefusalsEndToEnd: the sandbox refuses (alice) or loses
// the answers (carol) during the first refuseFor of the run; a restricted
// answer pauses the account for pauseFor, longer, so that it resumes after
// the refusals ended.
const (
	refuseFor = 5 * time.Second
	pauseFor  = 7 * time.Second
)

// refusalWorkspace is three accounts working around the clock with
// one-second gaps, each with 30 prospects of its own (pinned by the account
// column): alice's are a0..a29, bob's b0..b29, carol's c0..c29. The sandbox
// answers nothing, and refuses as platform.sandbox.refuse says: alice is
// restricted during [t0, t0+refuseFor), b2's profile is gone, and carol's
// invitations during [t0, t0+refuseFor) are performed but their answers
// lost. (The workspace has three senders, in the type of newTwoSenders'.)
func refusalWorkspace(t *testing.T, redisAddr string, t0 time.Time) *twoSenders {
	t.Helper()
	var csv strings.Builder
	csv.WriteString("profile_url,first_name,account\n")
	for _, acct := range []string{"alice", "bob", "carol"} {
		for i := range 30 {
			fmt.Fprintf(&csv, "https://example.com/in/%c%d,Name%d,%s\n", acct[0], i, i, acct)
		}
	}
	from, until := t0.Format(time.RFC3339Nano), t0.Add(refuseFor).Format(time.RFC3339Nano)
	cfg, c := loadWorkspace(t, t.TempDir(), map[string]string{
		"p.csv": csv.String(),
		"config.yaml": fmt.Sprintf(`
redis:
  addr: %s
platform:
  sandbox:
    accept_rate: 0
    decline_rate: 0
    refuse:
      - {account: alice, code: restricted, from: "%s", until: "%s"}
      - {persons: ["https://example.com/in/b2"], code: invalid_profile}
      - {account: carol, code: unavailable, applied: true, from: "%s", until: "%s"}
defaults:
  min_gap: 1s
  jitter: 0
  restriction_pause: %ds
  days: [mon, tue, wed, thu, fri, sat, sun]
  hours: "00:00-24:00"
accounts:
  - {id: alice, tier: premium, limits: {weekly: 1000000, daily: 500000}}
  - {id: bob, tier: premium, limits: {weekly: 1000000, daily: 500000}}
  - {id: carol, tier: premium, limits: {weekly: 1000000, daily: 500000}}
campaigns: [c.yaml]
`, redisAddr, from, until, from, until, int(pauseFor/time.Second)),
		"c.yaml": `
name: c
accounts: [alice, bob, carol]
prospects: {csv: p.csv}
steps:
  - connect:
      note:
        variants:
          - name: hi
            text: "Hi {{.first_name}}, let's connect."
`,
	})
	sbOpt, err := sandbox.OptionsFromConfig(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(sbOpt.Refusals) != 3 {
		t.Fatalf("the sandbox got %d refusals from the config, want 3", len(sbOpt.Refusals))
	}
	return &twoSenders{cfg: cfg, camp: c, model: sandbox.New(sbOpt)}
}

// TestRefusalsEndToEnd runs the service on a real Redis against a sandbox
// told to refuse, and checks each refusal path against the sandbox's own
// record, the limiter, the ledger and the metrics:
//
//   - restricted (alice): the account pauses for restriction_pause: the
//     platform receives no request of alice's during the pause, and takes
//     her invitations again after it; the refused prospect is not lost but
//     invited again (under a new key); outreach_account_paused{alice} reads
//     1 during the pause and 0 after.
//   - invalid_profile (b2): the prospect fails with the platform's code and
//     bob's limiter week does not count the refused invitation.
//   - an unknown outcome (carol, performed with the answer lost): the task
//     waits in asynq's retry state with its reservation still counted, is
//     retried with the same idempotency key, and the person is invited once.
func TestRefusalsEndToEnd(t *testing.T) {
	rs := redistest.Start(t)
	t0 := time.Now()
	w := refusalWorkspace(t, rs.Addr(), t0)
	cfg, model := w.cfg, w.model
	reg := prometheus.NewRegistry()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Options{Config: cfg, Campaigns: []*campaigns.Campaign{w.camp}, Model: model, Out: &out,
			Seed: 1, Registry: reg, PlanSpec: "@every 1s", horizon: 3 * time.Second})
	}()
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cancel()
			if err := <-done; err != nil {
				t.Error(err)
			}
		}
	}
	defer stop()

	insp := asynq.NewInspector(asynq.RedisClientOpt{Addr: rs.Addr()})
	defer insp.Close()
	lim, err := pacing.NewRedisLimiter(rs.Client())
	if err != nil {
		t.Fatal(err)
	}
	rulesOf := func(id string, at time.Time) pacing.Rules {
		a := cfg.Account(id)
		return pacing.RulesFor(a.Limits, a.WarmupStart, a.Location, at)
	}
	until := t0.Add(refuseFor) // the end of carol's outage

	var (
		restricted  *sandbox.Entry      // alice's first refusal
		pausedSeen  bool                // the gauge read 1 during the pause
		resumedSeen bool                // ... and 0 after it
		lost        = map[string]bool{} // carol's keys whose answer was lost
		checked     = map[string]bool{} // ... whose reservation the test checked
		ran         = map[string]bool{} // ... whose retry the test brought forward
	)
	deadline := time.Now().Add(90 * time.Second)
	for {
		if time.Now().After(deadline) {
			stop()
			t.Fatalf("not done after 90s: restricted %+v, paused gauge seen %v, 0 after %v, lost %v, retried %v\n%s",
				restricted, pausedSeen, resumedSeen, lost, ran, out.String())
		}
		time.Sleep(100 * time.Millisecond)
		rec := model.Record()
		for i := range rec {
			e := &rec[i]
			if restricted == nil && e.Account == "alice" && e.Refused == platform.CodeRestricted {
				restricted = e
			}
			if e.Account == "carol" && e.Lost {
				lost[e.Key] = true
			}
		}

		// The gauge: 1 while alice is paused, 0 once the pause is over.
		// The worker pauses the limiter just after the platform's answer,
		// so the first reads after the refusal may still see 0.
		if restricted != nil && !resumedSeen {
			end := restricted.At.Add(pauseFor)
			before := time.Now()
			v := metricValue(t, reg, metrics.AccountPaused, map[string]string{"account": "alice"})
			after := time.Now()
			switch {
			case after.Before(end.Add(-10*time.Millisecond)) && v == 1:
				pausedSeen = true
			case after.Before(end.Add(-10 * time.Millisecond)):
				if pausedSeen || after.Sub(restricted.At) > 2*time.Second {
					t.Fatalf("%s{alice} = %v at %v into a %v pause, want 1", metrics.AccountPaused, v, after.Sub(restricted.At), pauseFor)
				}
			case before.After(end.Add(10 * time.Millisecond)):
				if v != 0 {
					t.Errorf("%s{alice} = %v %v after the pause ended, want 0", metrics.AccountPaused, v, before.Sub(end))
				}
				if !pausedSeen {
					t.Fatalf("the pause of alice (refused at %v) was over before the gauge read 1", restricted.At)
				}
				resumedSeen = true
			}
			for _, other := range []string{"bob", "carol"} {
				if v := metricValue(t, reg, metrics.AccountPaused, map[string]string{"account": other}); v != 0 {
					t.Errorf("%s{%s} = %v, want 0", metrics.AccountPaused, other, v)
				}
			}
		}

		// Carol's lost answers: each task waits in asynq's retry state,
		// still counted by the limiter; once the outage is over the test
		// brings the retry forward (asynq's own first retry comes 15-45s
		// later), as `asynq task run` would.
		for key := range lost {
			if ran[key] {
				continue
			}
			info, err := insp.GetTaskInfo(wire.QueueName, key)
			if err != nil || info.State != asynq.TaskStateRetry {
				continue // not failed yet (or asynq already retried it)
			}
			if !strings.Contains(info.LastErr, string(platform.CodeUnavailable)) {
				t.Errorf("task %s: last error %q, want the platform's unavailable", key, info.LastErr)
			}
			now := time.Now()
			if !checked[key] {
				// Re-reserving an ID still in the log changes nothing.
				d, err := lim.Reserve(ctx, pacing.Request{Account: "carol", ID: key, At: now, Rules: rulesOf("carol", now)})
				if err != nil || !d.Granted || !d.Existing {
					t.Errorf("task %s with an unknown outcome: re-reserving its key = %+v, %v; want the reservation still there", key, d, err)
				}
				checked[key] = true
			}
			if now.After(until) {
				if err := insp.RunTask(wire.QueueName, key); err != nil {
					t.Fatalf("running the retry of %s now: %v", key, err)
				}
				ran[key] = true
			}
		}

		if restricted != nil && pausedSeen && resumedSeen && len(lost) > 0 && len(checked) == len(lost) &&
			resumed(rec, restricted) && settled(t, rs, lost) && refusedIn(t, rs, "https://example.com/in/b2") {
			break
		}
	}
	stop()

	rec := model.Record()
	taken := map[string]int{}               // invitations the platform took, by account
	takenBy := map[string][]sandbox.Entry{} // ... by person
	for _, e := range rec {
		if e.Op == sandbox.OpInvite && e.Refused == "" && !e.Repeat {
			taken[e.Account]++
			takenBy[e.Person] = append(takenBy[e.Person], e)
		}
	}

	// (a) Restricted: no request of alice's reached the platform during the
	// pause; she sends again after it, the refused prospect included.
	end := restricted.At.Add(pauseFor)
	for _, e := range rec {
		if e.Account == "alice" && e.At.After(restricted.At) && e.At.Before(end) {
			t.Errorf("alice's request at %v, %v into her %v pause: %+v", e.At, e.At.Sub(restricted.At), pauseFor, e)
		}
	}
	again := takenBy[restricted.Person]
	if len(again) != 1 || again[0].Key == restricted.Key || again[0].At.Before(end) {
		t.Errorf("the prospect refused restricted (key %s at %v): taken %+v; want one invitation under a new key after the pause", restricted.Key, restricted.At, again)
	}
	if v := metricValue(t, reg, metrics.DeliveryErrors, map[string]string{"account": "alice", "reason": "restricted"}); v < 1 {
		t.Errorf("%s{alice,restricted} = %v", metrics.DeliveryErrors, v)
	}

	// (b) invalid_profile: refused once, never taken, failed with the code.
	const gone = "https://example.com/in/b2"
	var goneRefused int
	for _, e := range rec {
		if e.Person == gone && e.Refused == platform.CodeInvalidProfile && !e.Repeat {
			goneRefused++
		}
	}
	if goneRefused != 1 || len(takenBy[gone]) != 0 {
		t.Errorf("b2: refused %d times, taken %+v; want refused once and never taken", goneRefused, takenBy[gone])
	}
	if reason := finalReason(t, rs, w, gone); reason != string(platform.CodeInvalidProfile) {
		t.Errorf("b2 ended with %q, want failed with %s", reason, platform.CodeInvalidProfile)
	}
	if v := metricValue(t, reg, metrics.DeliveryErrors, map[string]string{"account": "bob", "reason": string(platform.CodeInvalidProfile)}); v != 1 {
		t.Errorf("%s{bob,invalid_profile} = %v, want 1", metrics.DeliveryErrors, v)
	}

	// (c) The lost answers: each key seen again (a repeat), each person
	// invited once, under that key.
	for key := range lost {
		var attempts, repeats int
		var person string
		for _, e := range rec {
			if e.Key == key {
				attempts++
				person = e.Person
				if e.Repeat {
					repeats++
				}
			}
		}
		if attempts < 2 || repeats != attempts-1 {
			t.Errorf("lost key %s: %d attempts, %d repeats; want the first and its repeats", key, attempts, repeats)
		}
		if got := takenBy[person]; len(got) != 1 || got[0].Key != key {
			t.Errorf("the person of lost key %s was taken %+v; want once, under that key", key, got)
		}
	}
	if v := metricValue(t, reg, metrics.DeliveryErrors, map[string]string{"account": "carol", "reason": "unknown_outcome"}); v < float64(len(lost)) {
		t.Errorf("%s{carol,unknown_outcome} = %v, want at least %d", metrics.DeliveryErrors, v, len(lost))
	}

	// The limiter counts exactly what the platform took: refusals freed
	// their slots, lost answers stayed counted once.
	now := time.Now()
	for _, a := range cfg.Accounts {
		u, err := lim.Usage(context.Background(), a.ID, now, rulesOf(a.ID, now))
		if err != nil {
			t.Fatal(err)
		}
		if u.Week != taken[a.ID] {
			t.Errorf("%s: the limiter counts %d this week, the platform took %d", a.ID, u.Week, taken[a.ID])
		}
	}
	st := model.Stats().Accounts
	t.Logf("alice refused at +%v, resumed; taken: alice %d, bob %d, carol %d; carol's lost answers %d (repeats %d); refused %v %v",
		restricted.At.Sub(t0).Round(time.Millisecond), taken["alice"], taken["bob"], taken["carol"], len(lost), st["carol"].Repeats,
		st["alice"].Refused, st["bob"].Refused)
}

// resumed reports whether the platform took the invitation refused
// restricted again, from the same account, after the pause.
func resumed(rec []sandbox.Entry, r *sandbox.Entry) bool {
	return slices.ContainsFunc(rec, func(e sandbox.Entry) bool {
		return e.Account == r.Account && e.Refused == "" && !e.At.Before(r.At.Add(pauseFor)) && e.Person == r.Person
	})
}

// settled reports whether the ledger holds a delivered outcome for each of
// the keys.
func settled(t *testing.T, rs *redistest.Server, keys map[string]bool) bool {
	n := 0
	eachEntry(t, rs, func(e ledger.Entry) {
		if e.Task != nil && keys[e.Task.Key] && e.Outcome != nil && e.Outcome.Kind == wire.Delivered {
			n++
		}
	})
	return n >= len(keys)
}

// refusedIn reports whether the ledger holds an invitation of person
// refused with invalid_profile.
func refusedIn(t *testing.T, rs *redistest.Server, person string) bool {
	found := false
	eachEntry(t, rs, func(e ledger.Entry) {
		if e.Task != nil && e.Task.Person == person && e.Outcome != nil && e.Outcome.Kind == wire.Refused &&
			e.Outcome.Code == platform.CodeInvalidProfile {
			found = true
		}
	})
	return found
}

func eachEntry(t *testing.T, rs *redistest.Server, f func(ledger.Entry)) {
	t.Helper()
	led := ledger.New(rs.Client(), "")
	for after := "0"; ; {
		es, err := led.Read(context.Background(), after, 1000, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(es) == 0 {
			return
		}
		for _, e := range es {
			f(e)
			after = e.ID
		}
	}
}

// finalReason rebuilds the state from the ledger, as a new scheduler
// would, and returns the reason of person's failure ("" if it did not
// fail).
func finalReason(t *testing.T, rs *redistest.Server, w *twoSenders, person string) string {
	t.Helper()
	reason := ""
	eng, err := scheduler.New(scheduler.Options{Config: w.cfg, Campaigns: []*campaigns.Campaign{w.camp}, Seed: 1,
		OnEvent: func(ev scheduler.Event) {
			if ev.Person == person && ev.Type == lifecycle.EvFailed {
				reason = ev.Reason
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	eachEntry(t, rs, func(e ledger.Entry) {
		var err error
		switch {
		case e.Event != nil:
			err = eng.Observe(*e.Event)
		case e.Task != nil && e.Outcome != nil:
			err = eng.Replay(*e.Task, *e.Outcome)
		}
		if err != nil {
			t.Fatalf("replaying ledger entry %s: %v", e.ID, err)
		}
	})
	return reason
}

// metricValue returns the sum of the gauges or counters of family name
// whose labels include the given ones; 0 when there is none.
func metricValue(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var v float64
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
	series:
		for _, m := range f.GetMetric() {
			n := 0
			for _, l := range m.GetLabel() {
				if want, ok := labels[l.GetName()]; ok {
					if l.GetValue() != want {
						continue series
					}
					n++
				}
			}
			if n != len(labels) {
				continue
			}
			v += m.GetGauge().GetValue() + m.GetCounter().GetValue()
		}
	}
	return v
}
