package app

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/internal/redistest"
	"github.com/outreach-scheduler/outreach/ledger"
	"github.com/outreach-scheduler/outreach/pacing"
	"github.com/outreach-scheduler/outreach/platform/sandbox"
)

// TestRunOnRedisCluster runs the whole service for a few seconds of real
// time on a 3-master Redis Cluster (redis.cluster_addrs) with one-second
// gaps: the invitations reach the sandbox with no refusal and the gap kept
// per account, the limiter's and the ledger's keys live on the cluster, and
// the service's keys are spread over more than one master.
func TestRunOnRedisCluster(t *testing.T) {
	cl := redistest.StartCluster(t, 3)
	w := newTwoSenders(t, "redis:\n  cluster_addrs: ["+strings.Join(cl.Addrs(), ", ")+"]\n")
	cfg, c, model := w.cfg, w.camp, w.model
	if strings.Join(cfg.Redis.ClusterAddrs, ",") != strings.Join(cl.Addrs(), ",") {
		t.Fatalf("cluster_addrs = %v, want %v", cfg.Redis.ClusterAddrs, cl.Addrs())
	}

	ctx, cancel := context.WithTimeout(context.Background(), 7*time.Second)
	defer cancel()
	var out syncBuffer
	err := Run(ctx, Options{Config: cfg, Campaigns: []*campaigns.Campaign{c}, Out: &out, Progress: time.Second, Model: model, Seed: 1})
	if err != nil {
		t.Fatalf("Run on the cluster: %v\n%s", err, out.String())
	}
	text := out.String()
	if !strings.Contains(text, "Redis at cluster "+cl.Addrs()[0]) || strings.Contains(text, "embedded Redis") {
		t.Errorf("the cluster is not announced:\n%s", text)
	}
	if !strings.Contains(text, "progress: alice ") {
		t.Errorf("no progress line:\n%s", text)
	}

	invites := map[string][]time.Time{}
	for _, e := range model.Record() {
		if e.Refused != "" {
			t.Errorf("the platform refused: %+v", e)
		}
		if e.Op == sandbox.OpInvite && !e.Repeat {
			invites[e.Account] = append(invites[e.Account], e.At)
		}
	}
	total := 0
	for _, acct := range []string{"alice", "bob"} {
		ts := invites[acct]
		if len(ts) < 2 {
			t.Errorf("%s: %d invitations in ~6s with a 1s gap", acct, len(ts))
		}
		total += len(ts)
		for i := 1; i < len(ts); i++ {
			if gap := ts[i].Sub(ts[i-1]); gap < time.Second-10*time.Millisecond {
				t.Errorf("%s: invitations %v apart, the gap is 1s", acct, gap)
			}
		}
	}
	if total < 6 || total > 2*8 {
		t.Errorf("%d invitations in ~6s from two accounts with a 1s gap\n%s", total, text)
	}
	if got := strings.Count(text, " invited "); got != total {
		t.Errorf("the report shows %d invitations, the platform received %d", got, total)
	}

	// The state really is on the cluster.
	rdb := cl.Client()
	bg := context.Background()
	streamKey := ledger.New(rdb, "").Key()
	if n, err := rdb.XLen(bg, streamKey).Result(); err != nil || n == 0 {
		t.Errorf("XLEN %s = %d, %v; want entries", streamKey, n, err)
	}
	lim, err := pacing.NewRedisLimiter(rdb)
	if err != nil {
		t.Fatal(err)
	}
	for _, acct := range []string{"alice", "bob"} {
		sends := lim.Keys(acct)[0]
		n, err := rdb.ZCard(bg, sends).Result()
		if err != nil || n != int64(len(invites[acct])) {
			t.Errorf("ZCARD %s = %d, %v; want the %d invitations of %s", sends, n, err, len(invites[acct]), acct)
		}
	}
	holding := 0
	var sizes []string
	for _, node := range cl.Nodes() {
		n, err := node.Client().DBSize(bg).Result()
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, fmt.Sprintf("%s:%d", node.Addr(), n))

		if n > 0 {
			holding++
		}
	}
	t.Logf("keys per master: %v; invitations: alice %d, bob %d", sizes, len(invites["alice"]), len(invites["bob"]))
	if holding < 2 {
		t.Errorf("keys on %d master(s) only (%v): the cluster is not used as one", holding, sizes)
	}
}
