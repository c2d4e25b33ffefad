package app

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/internal/redistest"
	"github.com/outreach-scheduler/outreach/ledger"
	"github.com/outreach-scheduler/outreach/lifecycle"
	"github.com/outreach-scheduler/outreach/pacing"
	"github.com/outreach-scheduler/outreach/platform/sandbox"
	"github.com/outreach-scheduler/outreach/scheduler"
	schedulerdaemon "github.com/outreach-scheduler/outreach/scheduler/daemon"
	"github.com/outreach-scheduler/outreach/store"
	"github.com/outreach-scheduler/outreach/wire"
	"github.com/outreach-scheduler/outreach/worker"
	workerdaemon "github.com/outreach-scheduler/outreach/worker/daemon"
)

// TestOutcomesByIdentity: a leader plans every prospect of a campaign and
// enqueues the tasks; the campaign's CSV is then re-applied with its rows
// reversed, one inserted at the top and one removed; a new leader takes
// over (built from the new rows), and only then do the workers deliver
// the first leader's tasks. Every outcome must land on the person it was
// sent to (by campaign and key, not by row), nobody is invited twice, and
// the removed person is never invited (their queued task is cancelled).
func TestOutcomesByIdentity(t *testing.T) {
	rs := redistest.Start(t)
	dir := t.TempDir()
	csv := func(keys []string) string {
		var b strings.Builder
		b.WriteString("profile_url,first_name\n")
		for _, k := range keys {
			fmt.Fprintf(&b, "https://example.com/in/%s,%s\n", k, strings.ToUpper(k))
		}
		return b.String()
	}
	var v1 []string
	for i := range 12 {
		v1 = append(v1, fmt.Sprintf("p%d", i))
	}
	cfg, camp := loadWorkspace(t, dir, twoSendersFiles(fmt.Sprintf("redis:\n  addr: %s\n", rs.Addr()), csv(v1)))
	camps := []*campaigns.Campaign{camp}
	ctx := context.Background()
	rdb := rs.Client()
	st := store.New(rdb, "")
	apply := func() {
		rows, hint, err := store.CSVRows(camp)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Apply(ctx, camp, rows, store.ApplyOptions{SizeHint: hint}); err != nil {
			t.Fatal(err)
		}
	}
	apply()
	led := ledger.New(rdb, "")
	redisOpt := asynq.RedisClientOpt{Addr: rs.Addr()}
	client := asynq.NewClient(redisOpt)
	defer client.Close()
	insp := asynq.NewInspector(redisOpt)
	defer insp.Close()
	log := slog.New(slog.DiscardHandler)
	newPlanner := func(seed uint64) *schedulerdaemon.Leader {
		l, err := schedulerdaemon.NewLeader(schedulerdaemon.LeaderOptions{
			Config: cfg, Campaigns: camps, Now: time.Now, Logger: log, Ledger: led, Client: client, Inspector: insp,
			PlanSpec: "@every 1s", Seed: seed,
			Sources: func(ctx context.Context) (map[string]scheduler.Source, error) { return openAll(ctx, st, camps) },
		})
		if err != nil {
			t.Fatal(err)
		}
		return l
	}

	// Leader A plans everyone (12 prospects, 1s gaps, 2 senders: all within
	// the two-minute horizon); nothing is delivered yet.
	a := newPlanner(1)
	if err := a.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	a.Plan(ctx)
	qi, err := insp.GetQueueInfo(wire.QueueName)
	if err != nil || qi.Scheduled+qi.Pending != len(v1) {
		t.Fatalf("leader A enqueued %+v (%v), want %d tasks", qi, err, len(v1))
	}

	// The CSV changes: reversed, p5 removed, "new" inserted at the top.
	v2 := []string{"new"}
	for i := len(v1) - 1; i >= 0; i-- {
		if v1[i] != "p5" {
			v2 = append(v2, v1[i])
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "p.csv"), []byte(csv(v2)), 0o644); err != nil {
		t.Fatal(err)
	}
	apply()

	// Leader B takes over, then the workers start.
	b := newPlanner(2)
	if err := b.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	sbOpt, err := sandbox.OptionsFromConfig(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	sbOpt.AcceptRate, sbOpt.DeclineRate = -1, -1 // nobody answers: every invitation stays pending
	model := sandbox.New(sbOpt)
	lim, err := pacing.NewRedisLimiter(rdb)
	if err != nil {
		t.Fatal(err)
	}
	srv := workerdaemon.NewServer(redisOpt, 4, log)
	h := &workerdaemon.Handler{Deliver: &worker.Deliverer{Limiter: lim, Platform: model, Rules: worker.ConfigRules(cfg), RestrictionPause: time.Hour}, Ledger: led, Now: time.Now, Log: log}
	if err := srv.Start(h); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	lctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- b.Run(lctx) }()
	deadline := time.Now().Add(40 * time.Second)
	for time.Now().Before(deadline) && len(invitedBy(model)) < len(v2) {
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(1500 * time.Millisecond) // the last outcomes reach B
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	b.Drain(ctx)

	invited := invitedBy(model)
	slices.Sort(invited)
	var want []string
	for _, k := range v2 {
		want = append(want, "https://example.com/in/"+k)
	}
	slices.Sort(want)
	if !slices.Equal(invited, want) {
		t.Fatalf("the platform saw invitations for\n  %v\nwant exactly once each of\n  %v", invited, want)
	}
	for _, k := range v2 {
		s, ok := b.Engine().State("c", "https://example.com/in/"+k)
		if !ok || s != lifecycle.StateInvited {
			t.Errorf("%s: state %v (%v), want invited: an outcome landed elsewhere", k, s, ok)
		}
	}
	if s, _ := b.Engine().State("c", "https://example.com/in/p5"); s != lifecycle.StateSkipped {
		t.Errorf("the removed p5 is %v, want skipped", s)
	}
	total, _ := b.Engine().Counts("c")
	if total.Invited != len(v2) || total.Pending != len(v2) {
		t.Errorf("counts %+v, want %d invited and pending", total, len(v2))
	}
}
