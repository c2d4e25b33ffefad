package redistest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// clusterTimeout bounds `redis-cli --cluster create` and, separately, the
// wait for every node to report the cluster healthy.
const clusterTimeout = 20 * time.Second

// Cluster is a Redis Cluster of masters only (no replicas) on loopback
// ports, owned by one test.
type Cluster struct {
	nodes []*Server

	mu     sync.Mutex
	client *redis.ClusterClient
}

// StartCluster starts masters (at least 3, as `redis-cli --cluster create`
// requires) redis-servers in cluster mode, each on a free loopback port and
// in a temporary directory of its own, without persistence; joins them with
// `redis-cli --cluster create ... --cluster-replicas 0`; and waits until
// every node reports cluster_state:ok with all 16384 slots assigned and
// knows every other node. Every server is killed when t ends.
//
// As Start, it skips t when redis-server or redis-cli is not on PATH, and
// fails it instead when the environment has CI=true.
func StartCluster(t testing.TB, masters int) *Cluster {
	t.Helper()
	if masters < 3 {
		t.Fatalf("redistest: StartCluster(%d): a Redis Cluster needs at least 3 masters", masters)
	}
	if _, err := exec.LookPath("redis-server"); err != nil {
		missing(t, "redistest: redis-server not found on PATH (install it, e.g. apt-get install redis-server): "+err.Error())
	}
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		missing(t, "redistest: redis-cli not found on PATH (install it, e.g. apt-get install redis-tools): "+err.Error())
	}
	c := &Cluster{}
	for range masters {
		c.nodes = append(c.nodes, Start(t, func(cfg *config) { cfg.cluster = true }))
	}
	t.Cleanup(c.closeClient) // registered last: runs before the servers are killed

	ctx, cancel := context.WithTimeout(context.Background(), clusterTimeout)
	defer cancel()
	args := append([]string{"--cluster", "create"}, c.Addrs()...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	cmd := exec.CommandContext(ctx, cli, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	setPdeathsig(cmd)
	if err := cmd.Run(); err != nil {
		t.Fatalf("redistest: redis-cli %s: %v (timeout %v)\n%s\n%s", strings.Join(args, " "), err, clusterTimeout, out.String(), c.logTails())
	}
	if err := c.waitHealthy(); err != nil {
		t.Fatalf("redistest: cluster %v: %v\nredis-cli output:\n%s\n%s", c.Addrs(), err, out.String(), c.logTails())
	}
	return c
}

// missing skips t, or fails it when CI=true.
func missing(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + " [CI=true: tests that need Redis must not be skipped]")
	}
	t.Skip(msg)
}

// clusterArgs are the cluster-mode arguments of the server on port, its
// nodes file in dir.
func clusterArgs(dir string, port int) []string {
	return []string{
		"--cluster-enabled", "yes",
		"--cluster-config-file", filepath.Join(dir, "nodes-"+strconv.Itoa(port)+".conf"),
		"--cluster-node-timeout", "2000",
	}
}

// Addrs are the nodes' host:port, in start order.
func (c *Cluster) Addrs() []string {
	addrs := make([]string, len(c.nodes))
	for i, n := range c.nodes {
		addrs[i] = n.Addr()
	}
	return addrs
}

// Nodes are the servers, in start order; each one's Client talks to that
// node alone (DBSIZE of one master, its log, Kill).
func (c *Cluster) Nodes() []*Server { return c.nodes }

// Client returns a cluster client seeded with every node (the same one on
// every call), closed when the test ends.
func (c *Cluster) Client() *redis.ClusterClient {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.client == nil {
		c.client = redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs()})
	}
	return c.client
}

func (c *Cluster) closeClient() {
	c.mu.Lock()
	cl := c.client
	c.client = nil
	c.mu.Unlock()
	if cl != nil {
		_ = cl.Close()
	}
}

// waitHealthy waits until every node says cluster_state:ok, all slots
// assigned, and knows all the nodes.
func (c *Cluster) waitHealthy() error {
	deadline := time.Now().Add(clusterTimeout)
	for {
		var notYet error
		for _, n := range c.nodes {
			if err := nodeHealthy(n, len(c.nodes)); err != nil {
				notYet = fmt.Errorf("node %s: %w", n.Addr(), err)
				break
			}
		}
		if notYet == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not healthy after %v: %w", clusterTimeout, notYet)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func nodeHealthy(n *Server, nodes int) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	info, err := n.Client().ClusterInfo(ctx).Result()
	if err != nil {
		return fmt.Errorf("CLUSTER INFO: %w", err)
	}
	fields := map[string]string{}
	for _, line := range strings.Split(info, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok {
			fields[k] = v
		}
	}
	want := map[string]string{
		"cluster_state":          "ok",
		"cluster_slots_assigned": "16384",
		"cluster_slots_ok":       "16384",
		"cluster_known_nodes":    strconv.Itoa(nodes),
		"cluster_size":           strconv.Itoa(nodes),
	}
	for k, v := range want {
		if fields[k] != v {
			return fmt.Errorf("CLUSTER INFO %s:%s, want %s", k, fields[k], v)
		}
	}
	return nil
}

func (c *Cluster) logTails() string {
	var b strings.Builder
	for _, n := range c.nodes {
		fmt.Fprintf(&b, "log of %s: %s\n", n.Addr(), n.logTail())
	}
	return b.String()
}
