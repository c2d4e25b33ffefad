package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/install"
	"github.com/outreach-scheduler/outreach/internal/redisconn"
	"github.com/outreach-scheduler/outreach/ledger"
	"github.com/outreach-scheduler/outreach/pacing"
	"github.com/outreach-scheduler/outreach/platform"
)

// InitOptions configure Init.
type InitOptions struct {
	Config *config.Config // valid
	// Recover, when not nil, are the sent invitations to rebuild the state
	// from (an export, install.ReadExport) before the marker is written.
	Recover []platform.Sent
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Logger; default: discard.
	Logger *slog.Logger
}

// InitResult is what Init did.
type InitResult struct {
	Marker  install.Marker
	Addr    string          // the Redis, as the config names it
	Ledger  int64           // ledger entries found in Redis before (kept)
	Summary install.Summary // with Recover: what was rebuilt
}

// Init creates the install marker on the configured (shared) Redis, which
// must have none: `outreach init`. With Recover it first rebuilds the
// ledger and the limiter from those invitations (install.Rebuild). It
// refuses a Redis that may evict keys (a warning where CONFIG is not
// allowed), and returns an error wrapping install.ErrExists when a marker
// is there already.
func Init(ctx context.Context, opt InitOptions) (InitResult, error) {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	log := opt.Logger.With("component", "install")
	res := InitResult{Addr: describe(opt.Config.Redis)}
	c, err := redisconn.Shared(opt.Config.Redis)
	if err != nil {
		return res, err
	}
	defer c.Close()
	rdb := c.Client
	if err := rdb.Ping(ctx).Err(); err != nil {
		return res, fmt.Errorf("connecting to Redis: %w", err)
	}
	if err := checkEviction(ctx, rdb, log); err != nil {
		return res, err
	}
	if m, err := install.Read(ctx, rdb); err == nil {
		return res, fmt.Errorf("%w: install %s (created %s, origin %s); init never replaces a marker",
			install.ErrExists, m.ID, m.Created.UTC().Format(time.RFC3339), m.Origin)
	} else if !errors.Is(err, install.ErrNoMarker) {
		return res, err
	}
	host, _ := os.Hostname()
	holder := "init:" + host + ":" + strconv.Itoa(os.Getpid())
	got, other, err := install.Lock(ctx, rdb, holder, recoveryLockTTL)
	if err != nil {
		return res, err
	}
	if !got {
		return res, fmt.Errorf("a daemon (%s) is rebuilding the state from the platform's record right now; wait for it", other)
	}
	lctx, release := context.WithCancel(ctx)
	defer func() {
		release()
		install.Unlock(context.WithoutCancel(ctx), rdb, holder)
	}()
	go renewLock(lctx, rdb, holder)

	led := ledger.New(rdb, "")
	if res.Ledger, err = rdb.XLen(ctx, led.Key()).Result(); err != nil {
		return res, fmt.Errorf("reading the ledger: %w", err)
	}
	m := install.Marker{Origin: install.OriginInit, Created: opt.Now()}
	if opt.Recover != nil {
		accounts := make(map[string]bool, len(opt.Config.Accounts))
		for _, a := range opt.Config.Accounts {
			accounts[a.ID] = true
		}
		if err := install.Validate(opt.Recover, accounts); err != nil {
			return res, err
		}
		lim, err := pacing.NewRedisLimiter(rdb)
		if err != nil {
			return res, err
		}
		if res.Summary, err = install.Rebuild(ctx, led, lim, opt.Recover, opt.Now()); err != nil {
			return res, err
		}
		m.Origin, m.Recovered = install.OriginImport, res.Summary.Invitations
		log.Warn("state rebuilt from an export of sent invitations", "invitations", res.Summary.Invitations, "accounts", res.Summary.Accounts)
	}
	res.Marker, err = install.Create(ctx, rdb, m)
	if err != nil {
		return res, err
	}
	return res, nil
}
