package redisconn

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/outreach-scheduler/outreach/config"
)

func TestOpenEmbedded(t *testing.T) {
	c, err := Open(config.Redis{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Embedded == nil {
		c.Close()
		t.Fatal("Open of an empty config: no embedded server")
	}
	addr := c.Embedded.Addr()
	if host, _, _ := net.SplitHostPort(addr); host != "127.0.0.1" {
		t.Errorf("embedded server on %s, want loopback only", addr)
	}
	if o, ok := c.Asynq.(asynq.RedisClientOpt); !ok || o.Addr != addr {
		t.Errorf("asynq options %#v, want a RedisClientOpt for %s", c.Asynq, addr)
	}
	ctx := context.Background()
	if err := c.Client.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.Embedded.Get("k"); got != "v" {
		t.Errorf("the client's write is not in the embedded server: %q", got)
	}
	// asynq's leases and heartbeats expire on the wall clock.
	if err := c.Client.Set(ctx, "lease", "x", 50*time.Millisecond).Err(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if n, err := c.Client.Exists(ctx, "lease").Result(); err != nil || n != 0 {
		t.Errorf("a key with a 50ms TTL still exists 200ms later (%d, %v): the embedded server's TTLs do not follow the clock", n, err)
	}
	c.Close()
	if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		conn.Close()
		t.Errorf("the embedded server still listens on %s after Close", addr)
	}
}

func TestOpenAddr(t *testing.T) {
	m := miniredis.RunT(t)
	c, err := Open(config.Redis{Addr: m.Addr(), DB: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Embedded != nil {
		t.Error("Open of an addr started an embedded server")
	}
	if o, ok := c.Asynq.(asynq.RedisClientOpt); !ok || o.Addr != m.Addr() || o.DB != 3 || o.TLSConfig != nil {
		t.Errorf("asynq options %#v, want a RedisClientOpt for %s db 3, no TLS", c.Asynq, m.Addr())
	}
	if err := c.Client.Set(context.Background(), "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	m.Select(3)
	if got, _ := m.Get("k"); got != "v" {
		t.Errorf("db 3 of the server has %q, want the client's write", got)
	}
}

func TestPasswordFromEnv(t *testing.T) {
	m := miniredis.RunT(t)
	m.RequireUserAuth("ops", "pw-from-env")
	cfg := config.Redis{Addr: m.Addr(), Username: "ops", PasswordEnv: "OUTREACH_TEST_REDIS_PASSWORD"}

	t.Setenv("OUTREACH_TEST_REDIS_PASSWORD", "pw-from-env")
	c, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Client.Ping(context.Background()).Err(); err != nil {
		t.Errorf("with the password in the environment: %v", err)
	}
	if o := c.Asynq.(asynq.RedisClientOpt); o.Username != "ops" || o.Password != "pw-from-env" {
		t.Errorf("asynq options: username %q, password %q", o.Username, o.Password)
	}
	c.Close()

	t.Setenv("OUTREACH_TEST_REDIS_PASSWORD", "")
	c, err = Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Client.Ping(context.Background()).Err(); err == nil {
		t.Error("without the password: the server took the connection")
	}
}

func TestOpenCluster(t *testing.T) {
	t.Setenv("OUTREACH_TEST_REDIS_PASSWORD", "pw")
	addrs := []string{"127.0.0.1:1", "127.0.0.1:2"}
	// Cluster addresses win over a sentinel and an addr.
	c, err := Open(config.Redis{ClusterAddrs: addrs, Addr: "127.0.0.1:3", Sentinel: &config.Sentinel{MasterName: "m", Addrs: []string{"127.0.0.1:4"}},
		Username: "ops", PasswordEnv: "OUTREACH_TEST_REDIS_PASSWORD", TLS: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cc, ok := c.Client.(*redis.ClusterClient)
	if !ok {
		t.Fatalf("client %T, want a *redis.ClusterClient", c.Client)
	}
	if o := cc.Options(); !equal(o.Addrs, addrs) || o.Username != "ops" || o.Password != "pw" || !tls12(o.TLSConfig) {
		t.Errorf("cluster options: addrs %v, username %q, password %q, TLS 1.2+ %v", o.Addrs, o.Username, o.Password, tls12(o.TLSConfig))
	}
	o, ok := c.Asynq.(asynq.RedisClusterClientOpt)
	if !ok || !equal(o.Addrs, addrs) || o.Username != "ops" || o.Password != "pw" || !tls12(o.TLSConfig) {
		t.Errorf("asynq options %#v, want a RedisClusterClientOpt with the same addresses and credentials", c.Asynq)
	}
	if c.Embedded != nil {
		t.Error("a cluster config started an embedded server")
	}
}

func TestOpenSentinel(t *testing.T) {
	t.Setenv("OUTREACH_TEST_REDIS_PASSWORD", "pw")
	t.Setenv("OUTREACH_TEST_SENTINEL_PASSWORD", "spw")
	sentinels := []string{"127.0.0.1:1", "127.0.0.1:2"}
	// A sentinel wins over an addr.
	c, err := Open(config.Redis{Addr: "127.0.0.1:3", DB: 2, Username: "ops", PasswordEnv: "OUTREACH_TEST_REDIS_PASSWORD",
		Sentinel: &config.Sentinel{MasterName: "mymaster", Addrs: sentinels, PasswordEnv: "OUTREACH_TEST_SENTINEL_PASSWORD"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rc, ok := c.Client.(*redis.Client)
	if !ok {
		t.Fatalf("client %T, want the *redis.Client of a failover client", c.Client)
	}
	if o := rc.Options(); o.Addr == "127.0.0.1:3" || o.DB != 2 || o.Username != "ops" || o.Password != "pw" || o.TLSConfig != nil {
		t.Errorf("client options: addr %q, db %d, username %q, password %q, TLS %v", o.Addr, o.DB, o.Username, o.Password, o.TLSConfig != nil)
	}
	o, ok := c.Asynq.(asynq.RedisFailoverClientOpt)
	if !ok || o.MasterName != "mymaster" || !equal(o.SentinelAddrs, sentinels) || o.SentinelPassword != "spw" ||
		o.Username != "ops" || o.Password != "pw" || o.DB != 2 {
		t.Errorf("asynq options %#v, want a RedisFailoverClientOpt with the sentinels and credentials", c.Asynq)
	}
}

func TestShared(t *testing.T) {
	c, err := Shared(config.Redis{})
	if !errors.Is(err, ErrEmbedded) || c != nil {
		t.Errorf("Shared of an empty config = %v, %v; want ErrEmbedded", c, err)
	}
	m := miniredis.RunT(t)
	c, err = Shared(config.Redis{Addr: m.Addr()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Embedded != nil {
		t.Error("Shared started an embedded server")
	}
	if err := c.Client.Ping(context.Background()).Err(); err != nil {
		t.Errorf("Shared's client: %v", err)
	}
	for _, r := range []config.Redis{
		{ClusterAddrs: []string{"127.0.0.1:1"}},
		{Sentinel: &config.Sentinel{MasterName: "m", Addrs: []string{"127.0.0.1:1"}}},
	} {
		c, err := Shared(r)
		if err != nil {
			t.Errorf("Shared(%+v): %v", r, err)
			continue
		}
		c.Close()
	}
}

func tls12(c *tls.Config) bool { return c != nil && c.MinVersion == tls.VersionTLS12 }

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
