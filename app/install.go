package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/install"
	"github.com/outreach-scheduler/outreach/ledger"
	"github.com/outreach-scheduler/outreach/metrics"
	"github.com/outreach-scheduler/outreach/pacing"
	"github.com/outreach-scheduler/outreach/platform"
	schedulerdaemon "github.com/outreach-scheduler/outreach/scheduler/daemon"
)

// SentLister is the platform driver's record of the invitations it sent,
// which a process starting on a Redis without its install marker asks for
// (package install). The sandbox model and the webhook driver implement
// it; a driver that cannot answer returns an error wrapping
// platform.ErrNoSentRecord.
type SentLister interface {
	SentInvitations(ctx context.Context, since time.Time) ([]platform.Sent, error)
}

// DefaultInstallCheck is how often a process re-reads the install marker.
const DefaultInstallCheck = 2 * time.Second

// recoveryLockTTL is how long the recovery lock lasts unless renewed (it is
// renewed every third of it while the recovery runs).
const recoveryLockTTL = 30 * time.Second

// ErrNeedInit is returned when a process starts on a Redis without an
// install marker and the platform cannot list what it sent.
var ErrNeedInit = errors.New("Redis has no install marker (a new Redis, or one that lost its data) and the platform driver " +
	"cannot list the invitations it sent, so outreach cannot tell which; it refuses to start rather than invite people again " +
	"and send past the caps. If this Redis is new (or holds outreach's state from before install markers), run `outreach init`; " +
	"if it lost its data, run `outreach init --recover FILE` with an export of the sent invitations")

type installOptions struct {
	rdb      redis.UniversalClient
	embedded bool // the embedded Redis of `run`: nothing to lose, nothing to check
	cfg      *config.Config
	lister   SentLister // nil: the driver cannot answer
	now      func() time.Time
	log      *slog.Logger
	every    time.Duration // how often to check the marker; 0: DefaultInstallCheck
	holder   string        // this process, in the recovery lock
	recovery *metrics.Recovery
}

// guard holds the install marker of a running process: it checks the
// eviction policy and the marker at start (recovering from the platform
// when there is none), then watches the marker, and trips (Err, Lost) when
// it vanishes or changes. A tripped process must not send anything more.
type guard struct {
	rdb   redis.UniversalClient
	id    string
	every time.Duration
	log   *slog.Logger

	lost    chan struct{}
	once    sync.Once
	tripped atomic.Bool
	mu      sync.Mutex
	err     error

	stop context.CancelFunc
	done chan struct{}
}

// openInstall checks the eviction policy (a real Redis only), makes sure
// the marker is there (see package install) and starts watching it.
func openInstall(ctx context.Context, o installOptions) (*guard, error) {
	if o.every <= 0 {
		o.every = DefaultInstallCheck
	}
	o.log = o.log.With("component", "install")
	if !o.embedded {
		if err := checkEviction(ctx, o.rdb, o.log); err != nil {
			return nil, err
		}
	}
	m, err := ensureMarker(ctx, o)
	if err != nil {
		return nil, err
	}
	wctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	g := &guard{rdb: o.rdb, id: m.ID, every: o.every, log: o.log, lost: make(chan struct{}), stop: stop, done: make(chan struct{})}
	o.rdb.AddHook(barrier{g})
	go g.watch(wctx)
	return g, nil
}

// barrier is a go-redis hook that fails every command once the guard has
// tripped: a process that saw the marker lost writes nothing more to that
// Redis (no last statistics, snapshot, lease or ledger entry made from a
// state the Redis no longer has), and its limiter grants nothing.
type barrier struct{ g *guard }

func (b barrier) DialHook(next redis.DialHook) redis.DialHook { return next }

func (b barrier) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if b.g.tripped.Load() {
			err := b.g.Err()
			cmd.SetErr(err)
			return err
		}
		return next(ctx, cmd)
	}
}

func (b barrier) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if b.g.tripped.Load() {
			err := b.g.Err()
			for _, c := range cmds {
				c.SetErr(err)
			}
			return err
		}
		return next(ctx, cmds)
	}
}

// checkEviction refuses a Redis that may evict keys, and warns when the
// policy cannot be read.
func checkEviction(ctx context.Context, rdb redis.UniversalClient, log *slog.Logger) error {
	err := install.CheckEviction(ctx, rdb)
	if errors.Is(err, install.ErrConfigRefused) {
		log.Warn("cannot check Redis's maxmemory-policy: make sure it is noeviction", "err", err)
		return nil
	}
	return err
}

// ensureMarker returns the marker, creating it or recovering first when
// there is none.
func ensureMarker(ctx context.Context, o installOptions) (install.Marker, error) {
	waiting := false
	for {
		m, err := install.Read(ctx, o.rdb)
		if err == nil {
			return m, nil
		}
		if !errors.Is(err, install.ErrNoMarker) {
			return install.Marker{}, err
		}
		if o.embedded {
			return createMarker(ctx, o, install.Marker{Origin: install.OriginNew})
		}
		if o.lister == nil {
			return install.Marker{}, fmt.Errorf("%w (platform.driver %s)", ErrNeedInit, o.cfg.Platform.Driver)
		}
		got, other, err := install.Lock(ctx, o.rdb, o.holder, recoveryLockTTL)
		if err != nil {
			return install.Marker{}, err
		}
		if got {
			return recoverInstall(ctx, o)
		}
		if !waiting {
			o.log.Warn("Redis has no install marker and another process is rebuilding the state from the platform's record; waiting for it", "holder", other)
			waiting = true
		}
		select {
		case <-ctx.Done():
			return install.Marker{}, ctx.Err()
		case <-time.After(o.every):
		}
	}
}

func createMarker(ctx context.Context, o installOptions, m install.Marker) (install.Marker, error) {
	m.Created = o.now()
	got, err := install.Create(ctx, o.rdb, m)
	if errors.Is(err, install.ErrExists) {
		return got, nil // created by another process meanwhile: join it
	}
	return got, err
}

// recoverInstall runs with the recovery lock: it asks the platform for the
// invitations it sent and rebuilds the state from them, or creates a new
// install when there are none.
func recoverInstall(ctx context.Context, o installOptions) (install.Marker, error) {
	lctx, release := context.WithCancel(ctx)
	defer func() {
		release()
		if err := install.Unlock(context.WithoutCancel(ctx), o.rdb, o.holder); err != nil {
			o.log.Warn("releasing the recovery lock", "err", err)
		}
	}()
	go renewLock(lctx, o.rdb, o.holder)

	// The marker may have come meanwhile (a process that recovered and
	// released the lock just before this one took it).
	if m, err := install.Read(ctx, o.rdb); err == nil {
		return m, nil
	}
	sent, err := o.lister.SentInvitations(ctx, time.Time{})
	if errors.Is(err, platform.ErrNoSentRecord) {
		return install.Marker{}, fmt.Errorf("%w (platform.driver %s: %v)", ErrNeedInit, o.cfg.Platform.Driver, err)
	}
	if err != nil {
		return install.Marker{}, fmt.Errorf("Redis has no install marker; asking the platform for the invitations it sent: %w", err)
	}
	accounts := make(map[string]bool, len(o.cfg.Accounts))
	for _, a := range o.cfg.Accounts {
		accounts[a.ID] = true
	}
	ours := sent[:0:0]
	for _, s := range sent {
		if accounts[s.Account] {
			ours = append(ours, s)
		}
	}
	if len(ours) == 0 {
		m, err := createMarker(ctx, o, install.Marker{Origin: install.OriginNew})
		if err == nil {
			o.log.Info("new install: Redis had no install marker and the platform reports no invitations from these accounts",
				"install", m.ID, "other_accounts_invitations", len(sent))
		}
		return m, err
	}
	if err := install.Validate(ours, accounts); err != nil {
		return install.Marker{}, fmt.Errorf("the platform's record of sent invitations: %w", err)
	}
	now := o.now()
	o.log.Error("Redis has no install marker but the platform reports invitations from these accounts: Redis lost its data. "+
		"Rebuilding the ledger and the limiter from the platform's record", "invitations", len(ours))
	lim, err := pacing.NewRedisLimiter(o.rdb)
	if err != nil {
		return install.Marker{}, err
	}
	sum, err := install.Rebuild(ctx, ledger.New(o.rdb, ""), lim, ours, now)
	if err != nil {
		return install.Marker{}, err
	}
	m, err := createMarker(ctx, o, install.Marker{Origin: install.OriginRecovered, Recovered: sum.Invitations})
	if err != nil {
		return install.Marker{}, err
	}
	o.recovery.Observe(sum.Invitations)
	o.log.Error("recovered: the state was rebuilt from the platform's record after Redis lost its data; check how it was lost "+
		"(persistence: appendonly yes; maxmemory-policy noeviction)", "install", m.ID, "invitations", sum.Invitations,
		"accounts", sum.Accounts, "accepted", sum.Answers[string(platform.AnswerAccepted)],
		"declined", sum.Answers[string(platform.AnswerDeclined)], "withdrawn", sum.Answers[string(platform.AnswerWithdrawn)],
		"expired", sum.Answers[string(platform.AnswerExpired)], "pending", sum.Answers["pending"], "limiter_sends", sum.Restored)
	return m, nil
}

// renewLock keeps the recovery lock while ctx lasts.
func renewLock(ctx context.Context, rdb redis.UniversalClient, holder string) {
	t := time.NewTicker(recoveryLockTTL / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			schedulerdaemon.Renew(ctx, rdb, install.LockKey, holder, recoveryLockTTL)
		}
	}
}

// watch re-reads the marker every g.every until ctx ends or it is lost.
// Redis unreachable tells nothing: it checks again.
func (g *guard) watch(ctx context.Context) {
	defer close(g.done)
	t := time.NewTicker(g.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := g.verify(ctx); err != nil {
			return
		}
	}
}

// verify checks the marker now: it trips the guard and returns the
// *install.LostError when the marker vanished or changed; nil otherwise
// (Redis unreachable included).
func (g *guard) verify(ctx context.Context) error {
	if g == nil {
		return nil
	}
	if err := g.Err(); err != nil {
		return err
	}
	err := install.Check(ctx, g.rdb, g.id)
	if !errors.Is(err, install.ErrLost) {
		return nil
	}
	g.once.Do(func() {
		g.mu.Lock()
		g.err = err
		g.mu.Unlock()
		g.tripped.Store(true)
		g.log.Error("stopped sending: "+err.Error(), "install", g.id)
		close(g.lost)
	})
	return g.Err()
}

// confirm checks the marker now and waits for a definite answer: the
// *install.LostError when the marker is lost, nil when it is there (or
// ctx ended: the caller stops anyway). Used before a process rebuilds its
// state from Redis, which must not happen on a Redis that lost it.
func (g *guard) confirm(ctx context.Context) error {
	for {
		err := install.Check(ctx, g.rdb, g.id)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, install.ErrLost):
			return g.verify(ctx) // trips the guard
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(g.every):
		}
	}
}

// Err returns why the guard tripped, or nil.
func (g *guard) Err() error {
	if g == nil {
		return nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.err
}

// Lost is closed when the guard trips.
func (g *guard) Lost() <-chan struct{} { return g.lost }

// bind returns a context cancelled when ctx ends or the guard trips.
func (g *guard) bind(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		select {
		case <-ctx.Done():
		case <-g.lost:
			cancel()
		}
	}()
	return ctx, cancel
}

// either returns a channel closed when a or b is (nil never is).
func either(a, b <-chan struct{}) <-chan struct{} {
	out := make(chan struct{})
	go func() {
		select {
		case <-a:
		case <-b:
		}
		close(out)
	}()
	return out
}

// close stops the watcher.
func (g *guard) close() {
	g.stop()
	<-g.done
}

// openDaemonInstall opens the install of a daemon: the eviction policy,
// the marker (recovering through l when there is none), the watcher. It
// returns ctx bound to the marker (cancelled when it is lost) and the
// cleanup to defer with the daemon's result, which it replaces with the
// *install.LostError when the marker was lost.
func openDaemonInstall(ctx context.Context, opt *DaemonOptions, rdb redis.UniversalClient, l SentLister) (*guard, context.Context, func(*error), error) {
	if opt.Registry == nil {
		opt.Registry = metrics.NewRegistry()
	}
	g, err := openInstall(ctx, installOptions{
		rdb: rdb, cfg: opt.Config, lister: l, now: opt.Now, log: opt.Logger,
		every: opt.InstallCheck, holder: opt.ID, recovery: metrics.NewRecovery(opt.Registry),
	})
	if err != nil {
		return nil, ctx, nil, err
	}
	bound, cancel := g.bind(ctx)
	return g, bound, func(res *error) {
		cancel()
		g.close()
		if err := g.Err(); err != nil {
			*res = err
		}
	}, nil
}

// openRunInstall is openDaemonInstall for `run`: the embedded Redis gets
// its marker without a question; a real one is checked as the daemons'
// are, the in-process sandbox model answering for the platform.
func openRunInstall(ctx context.Context, opt *Options, embedded bool, rdb redis.UniversalClient, model SentLister) (*guard, context.Context, func(*error), error) {
	if opt.Registry == nil {
		opt.Registry = metrics.NewRegistry()
	}
	host, _ := os.Hostname()
	g, err := openInstall(ctx, installOptions{
		rdb: rdb, embedded: embedded, cfg: opt.Config, lister: model, now: opt.Now, log: opt.Logger,
		every: opt.InstallCheck, holder: "run:" + host + ":" + strconv.Itoa(os.Getpid()), recovery: metrics.NewRecovery(opt.Registry),
	})
	if err != nil {
		return nil, ctx, nil, err
	}
	bound, cancel := g.bind(ctx)
	return g, bound, func(res *error) {
		cancel()
		g.close()
		if err := g.Err(); err != nil {
			*res = err
		}
	}, nil
}
