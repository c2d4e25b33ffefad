package daemon

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/internal/redistest"
	"github.com/outreach-scheduler/outreach/ledger"
	"github.com/outreach-scheduler/outreach/wire"
)

// leaderWorkspace is one account working around the clock with one-second
// gaps and one campaign of n prospects.
func leaderWorkspace(t *testing.T, n int) (*config.Config, []*campaigns.Campaign) {
	t.Helper()
	dir := t.TempDir()
	var csv strings.Builder
	csv.WriteString("profile_url,first_name\n")
	for i := range n {
		fmt.Fprintf(&csv, "https://example.com/in/p%d,P%d\n", i, i)
	}
	files := map[string]string{
		"p.csv": csv.String(),
		"config.yaml": `
defaults: {min_gap: 1s, jitter: 0, days: [mon, tue, wed, thu, fri, sat, sun], hours: "00:00-24:00"}
accounts:
  - {id: alice, tier: premium, limits: {weekly: 100000, daily: 50000}}
campaigns: [c.yaml]
`,
		"c.yaml": "name: c\naccounts: [alice]\nprospects: {csv: p.csv}\nsteps:\n  - connect: {}\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg, fs, err := config.Load(filepath.Join(dir, "config.yaml"))
	if err != nil || fs.HasErrors() {
		t.Fatal(err, fs.Strings())
	}
	c, fs, err := campaigns.Load(filepath.Join(dir, "c.yaml"), cfg)
	if err != nil || fs.HasErrors() {
		t.Fatal(err, fs.Strings())
	}
	return cfg, []*campaigns.Campaign{c}
}

// TestLeaderStartStop: Start rebuilds and plans at once (the tasks of the
// first two minutes reach the queue, each under its key); Stop returns
// once the loop ended, with no error; a second Start is refused; a
// leader whose lease is lost (Lost closed) ends with ErrLostLead.
func TestLeaderStartStop(t *testing.T) {
	rs := redistest.Start(t)
	ctx := context.Background()
	cfg, camps := leaderWorkspace(t, 200)
	redisOpt := asynq.RedisClientOpt{Addr: rs.Addr()}
	client := asynq.NewClient(redisOpt)
	defer client.Close()
	insp := asynq.NewInspector(redisOpt)
	defer insp.Close()
	now := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	var live []bool
	lost := make(chan struct{})
	l, err := NewLeader(LeaderOptions{
		Config: cfg, Campaigns: camps, Ledger: ledger.New(rs.Client(), ""), Client: client, Inspector: insp,
		Now: func() time.Time { return now }, Seed: 1, Lost: lost, OnLive: func(b bool) { live = append(live, b) },
	})
	if err != nil {
		t.Fatal(err)
	}
	l.Stop() // before Start: nothing to stop
	if err := l.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if err := l.Start(ctx); err == nil {
		t.Error("a second Start was taken")
	}
	deadline := time.Now().Add(10 * time.Second)
	var queued int
	for time.Now().Before(deadline) {
		qi, err := insp.GetQueueInfo(wire.QueueName)
		if err == nil {
			queued = qi.Scheduled + qi.Pending
		}
		if queued >= 50 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Two minutes from 10:00:00 with gaps of at least a second (drawn
	// above it): dozens of invitations, never more than one a second.
	time.Sleep(200 * time.Millisecond)
	if qi, err := insp.GetQueueInfo(wire.QueueName); err == nil {
		queued = qi.Scheduled + qi.Pending
	}
	if queued < 50 || queued > 121 {
		t.Errorf("%d tasks queued after the first plan, want 50 to 121 (two minutes, gaps of 1s or more)", queued)
	}
	if len(live) != 2 || live[0] || !live[1] {
		t.Errorf("OnLive calls %v, want [false true] (rebuilding, then live)", live)
	}
	close(lost)
	select {
	case <-l.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the leader did not stop when its lease was lost")
	}
	if !errors.Is(l.Err(), ErrLostLead) {
		t.Errorf("Err() = %v, want ErrLostLead", l.Err())
	}
	l.Stop() // after it ended on its own: returns at once

	l2, err := NewLeader(LeaderOptions{Config: cfg, Campaigns: camps, Ledger: ledger.New(rs.Client(), ""), Client: client, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if err := l2.Start(ctx); err != nil {
		t.Fatal(err)
	}
	l2.Stop()
	if l2.Err() != nil {
		t.Errorf("Err() after Stop = %v, want nil", l2.Err())
	}
}

// TestLeaderOptionsValidate names the missing field.
func TestLeaderOptionsValidate(t *testing.T) {
	cfg, camps := leaderWorkspace(t, 1)
	for _, tc := range []struct {
		opt  LeaderOptions
		want string
	}{
		{LeaderOptions{Campaigns: camps}, "Config"},
		{LeaderOptions{Config: cfg}, "Ledger"},
		{LeaderOptions{Config: cfg, Ledger: &ledger.Ledger{}}, "Client"},
	} {
		_, err := NewLeader(tc.opt)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewLeader without %s: %v", tc.want, err)
		}
	}
}
