package app

import (
	"crypto/tls"
	"fmt"
	"os"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/outreach-scheduler/outreach/config"
)

// conn is the Redis the service runs on, as go-redis and asynq see it.
type conn struct {
	rdb      redis.UniversalClient
	asynq    asynq.RedisConnOpt
	embedded *miniredis.Miniredis // nil for a real server
}

func (c *conn) Close() {
	c.rdb.Close()
	if c.embedded != nil {
		c.embedded.Close()
	}
}

// connect opens the configured Redis: an embedded in-process server when
// redis.addr is "" (and no cluster or sentinel), else the server, cluster
// or sentinel set of the config, with the password from the environment.
func connect(r config.Redis) (*conn, error) {
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
		return &conn{
			rdb:   redis.NewClusterClient(&redis.ClusterOptions{Addrs: r.ClusterAddrs, Username: r.Username, Password: password, TLSConfig: tlsConf}),
			asynq: asynq.RedisClusterClientOpt{Addrs: r.ClusterAddrs, Username: r.Username, Password: password, TLSConfig: tlsConf},
		}, nil
	case r.Sentinel != nil:
		sp := ""
		if r.Sentinel.PasswordEnv != "" {
			sp = os.Getenv(r.Sentinel.PasswordEnv)
		}
		return &conn{
			rdb: redis.NewFailoverClient(&redis.FailoverOptions{MasterName: r.Sentinel.MasterName, SentinelAddrs: r.Sentinel.Addrs,
				SentinelPassword: sp, Username: r.Username, Password: password, DB: r.DB, TLSConfig: tlsConf}),
			asynq: asynq.RedisFailoverClientOpt{MasterName: r.Sentinel.MasterName, SentinelAddrs: r.Sentinel.Addrs,
				SentinelPassword: sp, Username: r.Username, Password: password, DB: r.DB, TLSConfig: tlsConf},
		}, nil
	case r.Addr != "":
		return &conn{
			rdb:   redis.NewClient(&redis.Options{Addr: r.Addr, Username: r.Username, Password: password, DB: r.DB, TLSConfig: tlsConf}),
			asynq: asynq.RedisClientOpt{Addr: r.Addr, Username: r.Username, Password: password, DB: r.DB, TLSConfig: tlsConf},
		}, nil
	}
	m := miniredis.NewMiniRedis()
	m.ClockTTL(true) // asynq's heartbeats and leases rely on expiring keys
	if err := m.StartAddr("127.0.0.1:0"); err != nil {
		return nil, fmt.Errorf("starting the embedded Redis: %w", err)
	}
	return &conn{
		rdb:      redis.NewClient(&redis.Options{Addr: m.Addr()}),
		asynq:    asynq.RedisClientOpt{Addr: m.Addr()},
		embedded: m,
	}, nil
}
