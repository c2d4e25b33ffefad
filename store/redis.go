package store

import (
	"crypto/tls"
	"errors"
	"os"

	"github.com/redis/go-redis/v9"

	"github.com/outreach-scheduler/outreach/config"
)

// ErrEmbedded is returned by NewClient for a config without a shared Redis.
var ErrEmbedded = errors.New("redis.addr is empty: the embedded Redis lives only inside `outreach run`; " +
	"set redis.addr (or cluster_addrs, or sentinel) in the config to a Redis the daemons share")

// NewClient returns a client of the configured Redis (server, cluster or
// sentinel set, with the password from the environment), or ErrEmbedded
// when the config asks for the embedded one, which the store cannot share.
//
// TODO: share this with app's connect (which also builds asynq's options).
func NewClient(r config.Redis) (redis.UniversalClient, error) {
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
		return redis.NewClusterClient(&redis.ClusterOptions{Addrs: r.ClusterAddrs, Username: r.Username, Password: password, TLSConfig: tlsConf}), nil
	case r.Sentinel != nil:
		sp := ""
		if r.Sentinel.PasswordEnv != "" {
			sp = os.Getenv(r.Sentinel.PasswordEnv)
		}
		return redis.NewFailoverClient(&redis.FailoverOptions{MasterName: r.Sentinel.MasterName, SentinelAddrs: r.Sentinel.Addrs,
			SentinelPassword: sp, Username: r.Username, Password: password, DB: r.DB, TLSConfig: tlsConf}), nil
	case r.Addr != "":
		return redis.NewClient(&redis.Options{Addr: r.Addr, Username: r.Username, Password: password, DB: r.DB, TLSConfig: tlsConf}), nil
	}
	return nil, ErrEmbedded
}
