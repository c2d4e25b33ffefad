package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/internal/redistest"
	"github.com/outreach-scheduler/outreach/ledger"
	"github.com/outreach-scheduler/outreach/lifecycle"
	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/platform/sandbox"
	"github.com/outreach-scheduler/outreach/scheduler"
	schedulerdaemon "github.com/outreach-scheduler/outreach/scheduler/daemon"
	"github.com/outreach-scheduler/outreach/wire"
)

// TestRetryEndToEnd: the daemons on a real Redis, the sandbox server over
// HTTP refusing two profiles (invalid_profile, as platform.sandbox.refuse
// configures) for the first seconds. The two fail with that reason; once
// the refusal ends, the retry (what `outreach retry --reason
// invalid_profile` does: PlanRetry, then Retry) counts them, records the
// command, and the leading scheduler puts them back: each is invited once,
// under a new key. A restart (the state restored from the snapshot written
// at shutdown) and a replay of the whole ledger do not requeue them again.
func TestRetryEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end: about 30s")
	}
	rs := redistest.Start(t)
	const n = 16
	// The first of each sender (the queue is in CSV order), well within
	// the refusal (generous: a loaded machine starts the daemons slowly).
	gone := []string{"https://example.com/in/p0", "https://example.com/in/p1"}
	until := time.Now().Add(20 * time.Second)
	cfg, camp, model := integrationWorkspace(t, rs.Addr(), n,
		fmt.Sprintf(`{code: invalid_profile, persons: [%q, %q], until: %q}`, gone[0], gone[1], until.Format(time.RFC3339Nano)))
	cfg.Ledger.SnapshotEvery = 10 * time.Second // and one at shutdown
	hs := httptest.NewServer(newFaultyIntegration(model))
	defer hs.Close()
	cfg.Platform = config.Platform{Driver: config.DriverWebhook, Webhook: &config.Webhook{URL: hs.URL, Timeout: 2 * time.Second}}
	camps := []*campaigns.Campaign{camp}
	var wlogs, slogs syncBuffer
	wlog := slog.New(slog.NewTextHandler(&wlogs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	slog_ := slog.New(slog.NewTextHandler(&slogs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	defer func() {
		if t.Failed() {
			t.Logf("worker log:\n%s\nscheduler log:\n%s", wlogs.String(), slogs.String())
		}
	}()
	ctx := context.Background()
	takenBy := func() map[string][]string { // person -> keys taken
		out := map[string][]string{}
		for _, e := range model.Record() {
			if e.Op == sandbox.OpInvite && e.Refused == "" && !e.Repeat {
				out[e.Person] = append(out[e.Person], e.Key)
			}
		}
		return out
	}
	refusedKeys := map[string]string{}
	refused := func() bool {
		eachEntry(t, rs, func(e ledger.Entry) {
			if e.Outcome != nil && e.Outcome.Kind == wire.Refused && e.Outcome.Code == platform.CodeInvalidProfile {
				refusedKeys[e.Task.Person] = e.Task.Key
			}
		})
		return len(refusedKeys) == len(gone)
	}

	_, stop := runDaemons(t, cfg, camp, wlog, slog_)
	defer stop()
	waitUntil(t, 120*time.Second, "the others invited, the two refused, the refusal over", func() bool {
		return len(takenBy()) >= n-len(gone) && refused() && time.Now().After(until)
	})
	plan, err := PlanRetry(ctx, cfg, camps, string(platform.CodeInvalidProfile), "")
	if err != nil {
		t.Fatal(err)
	}
	if plan.Total != 2 || len(plan.Campaigns) != 1 || plan.Campaigns[0].Failed != 2 || plan.Reasons["invalid_profile"] != 2 {
		t.Fatalf("retry plan %+v, want the 2 of campaign c", plan)
	}
	if other, err := PlanRetry(ctx, cfg, camps, "note_too_long", "c"); err != nil || other.Total != 0 {
		t.Errorf("a retry of another reason: %+v, %v", other, err)
	}
	id, err := Retry(ctx, cfg, wire.Command{Kind: wire.CommandRetry, At: time.Now().UTC(), Code: "invalid_profile", By: "ops@test", Reason: "profiles back"})
	if err != nil || id == "" {
		t.Fatalf("Retry: %q, %v", id, err)
	}
	waitUntil(t, 120*time.Second, "the two invited again", func() bool {
		tb := takenBy()
		return len(tb[gone[0]]) > 0 && len(tb[gone[1]]) > 0
	})
	if !strings.Contains(slogs.String(), "operator command applied") || !strings.Contains(slogs.String(), "id="+id) {
		t.Errorf("the scheduler did not log the command")
	}
	stop()

	// A restart: the state comes back from the snapshot written at
	// shutdown (after the command); several planning ticks requeue nothing.
	snap, _, err := ledger.New(rs.Client(), "").Snapshots(ctx)
	if err != nil || snap == nil || ledger.After(id, snap.Position) {
		t.Fatalf("no snapshot after the command (%s): %+v, %v", id, snap, err)
	}
	before := len(model.Record())
	_, stop2 := runDaemons(t, cfg, camp, wlog, slog_)
	waitUntil(t, 30*time.Second, "the restarted scheduler leading", func() bool {
		return strings.Count(slogs.String(), "snapshot restored") >= 1
	})
	time.Sleep(4 * time.Second)
	stop2()
	if after := len(model.Record()); after != before {
		t.Errorf("after the restart the platform got %d more requests, want none", after-before)
	}

	tb := takenBy()
	for i := range n {
		p := fmt.Sprintf("https://example.com/in/p%d", i)
		if len(tb[p]) != 1 {
			t.Errorf("%s taken %v, want once", p, tb[p])
		}
	}
	for _, p := range gone {
		// A later attempt's key (.1, or more when the limiter's gap
		// deferred the retry: a denial plans it again under the next).
		if got := tb[p]; len(got) != 1 || attemptOf(t, got[0]) <= attemptOf(t, refusedKeys[p]) {
			t.Errorf("%s refused under %s, taken under %v; want a later attempt's key", p, refusedKeys[p], got)
		}
	}
	// A replay of the whole ledger, command included, has them invited.
	eng, err := scheduler.New(scheduler.Options{Config: cfg, Campaigns: camps, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	eachEntry(t, rs, func(e ledger.Entry) {
		if err := schedulerdaemon.ApplyEntry(eng, e, true); err != nil {
			t.Fatalf("replaying %s: %v", e.ID, err)
		}
	})
	for _, p := range gone {
		if st, _ := eng.State("c", p); st != lifecycle.StateInvited {
			t.Errorf("%s after a full replay: %s, want invited", p, st)
		}
	}
	if again, err := PlanRetry(ctx, cfg, camps, "invalid_profile", ""); err != nil || again.Total != 0 {
		t.Errorf("a retry after the retry: %+v, %v; want nothing", again, err)
	}
	st, err := ReadStatus(ctx, cfg, camps, time.Now())
	if err != nil || len(st.Campaigns) != 1 || len(st.Campaigns[0].Failed) != 0 || st.Campaigns[0].Counts.Invited != n {
		t.Errorf("status after: %+v, %v", st.Campaigns, err)
	}
}

// attemptOf is the attempt of an invitation's key: campaign/person/connect
// then ".N" from the second attempt on.
func attemptOf(t *testing.T, key string) int {
	t.Helper()
	i := strings.LastIndex(key, "/connect")
	if i < 0 {
		t.Fatalf("%q is not an invitation's key", key)
	}
	n := 0
	if rest := key[i+len("/connect"):]; rest != "" {
		if _, err := fmt.Sscanf(rest, ".%d", &n); err != nil {
			t.Fatalf("key %q: %v", key, err)
		}
	}
	return n
}
