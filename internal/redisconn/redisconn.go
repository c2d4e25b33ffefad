// Package redisconn opens the Redis the configuration names, as go-redis
// and asynq both need it: a single server, a Redis Cluster or a Sentinel
// set (with the password from the environment), or an embedded in-process
// server when none is configured.
package redisconn

import (
	"crypto/tls"
	"errors"
	"fmt"
	"os"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/outreach-scheduler/outreach/config"
)

// Conn is a Redis as go-redis and asynq see it.
type Conn struct {
	Client   redis.UniversalClient
	Asynq    asynq.RedisConnOpt
	Embedded *miniredis.Miniredis // nil for a real server
}

// Close closes the client, and stops the embedded server.
func (c *Conn) Close() {
	c.Client.Close()
	if c.Embedded != nil {
		c.Embedded.Close()
	}
}

// ErrEmbedded is returned by Shared for a config without a shared Redis.
var ErrEmbedded = errors.New("redis.addr is empty: the embedded Redis lives only inside `outreach run`; " +
	"set redis.addr (or cluster_addrs, or sentinel) to a Redis the daemons share")

// Shared opens the configured Redis, refusing the embedded one: what the
// daemons, apply and status need.
func Shared(r config.Redis) (*Conn, error) {
	if r.Addr == "" && len(r.ClusterAddrs) == 0 && r.Sentinel == nil {
		return nil, ErrEmbedded
	}
	return Open(r)
}

// Open opens the configured Redis: an embedded in-process server when
// redis.addr is "" (and no cluster or sentinel), else the server, cluster
// or sentinel set of the config, with the password from the environment.
func Open(r config.Redis) (*Conn, error) {
	password := ""
	if r.PasswordEnv != "" {
		password = os.Getenv(r.PasswordEnv)
	}
	var tlsConf *tls.Config
	if r.TLS {
		tlsConf = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	switch {
	case len(r.ClusterAddrs) > 0:
		return &Conn{
			Client: redis.NewClusterClient(&redis.ClusterOptions{Addrs: r.ClusterAddrs, Username: r.Username, Password: password, TLSConfig: tlsConf}),
			Asynq:  asynq.RedisClusterClientOpt{Addrs: r.ClusterAddrs, Username: r.Username, Password: password, TLSConfig: tlsConf},
		}, nil
	case r.Sentinel != nil:
		sp := ""
		if r.Sentinel.PasswordEnv != "" {
			sp = os.Getenv(r.Sentinel.PasswordEnv)
		}
		return &Conn{
			Client: redis.NewFailoverClient(&redis.FailoverOptions{MasterName: r.Sentinel.MasterName, SentinelAddrs: r.Sentinel.Addrs,
				SentinelPassword: sp, Username: r.Username, Password: password, DB: r.DB, TLSConfig: tlsConf}),
			Asynq: asynq.RedisFailoverClientOpt{MasterName: r.Sentinel.MasterName, SentinelAddrs: r.Sentinel.Addrs,
				SentinelPassword: sp, Username: r.Username, Password: password, DB: r.DB, TLSConfig: tlsConf},
		}, nil
	case r.Addr != "":
		return &Conn{
			Client: redis.NewClient(&redis.Options{Addr: r.Addr, Username: r.Username, Password: password, DB: r.DB, TLSConfig: tlsConf}),
			Asynq:  asynq.RedisClientOpt{Addr: r.Addr, Username: r.Username, Password: password, DB: r.DB, TLSConfig: tlsConf},
		}, nil
	}
	m := miniredis.NewMiniRedis()
	m.ClockTTL(true) // asynq's heartbeats and leases rely on expiring keys
	if err := m.StartAddr("127.0.0.1:0"); err != nil {
		return nil, fmt.Errorf("starting the embedded Redis: %w", err)
	}
	return &Conn{
		Client:   redis.NewClient(&redis.Options{Addr: m.Addr()}),
		Asynq:    asynq.RedisClientOpt{Addr: m.Addr()},
		Embedded: m,
	}, nil
}
