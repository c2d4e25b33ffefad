package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/forget"
	"github.com/outreach-scheduler/outreach/ledger"
	"github.com/outreach-scheduler/outreach/lifecycle"
	"github.com/outreach-scheduler/outreach/prospects"
	"github.com/outreach-scheduler/outreach/scheduler"
	"github.com/outreach-scheduler/outreach/store"
	"github.com/outreach-scheduler/outreach/wire"
)

// ForgetOptions configure Forget.
type ForgetOptions struct {
	Redis redis.UniversalClient // the shared Redis
	Asynq asynq.RedisConnOpt    // the same, for the queue
	// Logger logs counts, never keys. Default: discard.
	Logger *slog.Logger
	// Sleep waits between passes while an action naming one of the
	// people is in flight. Default: a timer.
	Sleep func(context.Context, time.Duration) error
	// Poll is the wait between passes (default 1s) and Passes the most
	// passes (default 60): Forget waits up to about a minute for the
	// actions in flight to finish, then removes their traces.
	Poll   time.Duration
	Passes int
}

func (o *ForgetOptions) setDefaults() {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Sleep == nil {
		o.Sleep = func(ctx context.Context, d time.Duration) error {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-t.C:
				return nil
			}
		}
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.Passes <= 0 {
		o.Passes = 60
	}
}

// ForgetResult is what Forget did.
type ForgetResult struct {
	People        int   // distinct people named (normalized keys)
	New           int   // of them, not forgotten before
	StoreRows     int   // rows removed from the applied campaigns (store.ForgetResult.Rows)
	StaleRows     int   // copies removed from replaced or staging versions
	LedgerEntries int   // ledger entries removed
	QueuedTasks   int   // queued tasks removed (pending, scheduled, retry, archived, completed)
	InFlight      int   // actions naming them still running when Forget gave up waiting
	Epoch         int64 // the epoch after Forget (ledger.BumpEpoch: the leading scheduler rebuilds without the person)
}

// Forget erases the people named by keys (raw or normalized; empty ones
// are an error) from everything outreach keeps in Redis, and keeps only a
// salted hash of each, so that they are never contacted again:
//
//  1. records them in the forget.Registry: from now on apply leaves them
//     out, run skips them (lifecycle.SkipForgotten), a worker drops an
//     action naming one without performing it, and the ledger records no
//     entry naming one;
//  2. removes their rows from every campaign in the store (store.Forget);
//  3. removes, pass after pass until none is in flight (up to Passes), the
//     queued actions naming them in any state asynq keeps (pending,
//     scheduled, retry, archived, and completed, which keeps the payload:
//     the key and the note) and the ledger entries naming them;
//  4. bumps the workspace epoch (ledger.BumpEpoch), for the leading
//     scheduler to rebuild its state without them.
//
// Forget is idempotent: running it again for the same people removes
// whatever came back meanwhile and finds nothing else.
func Forget(ctx context.Context, keys []string, opt ForgetOptions) (ForgetResult, error) {
	opt.setDefaults()
	log := opt.Logger.With("component", "forget")
	var res ForgetResult
	people := make([]string, 0, len(keys))
	for i, k := range keys {
		n := prospects.NormalizeKey(k)
		if n == "" {
			return res, fmt.Errorf("forget: key %d is empty", i+1)
		}
		people = append(people, n)
	}
	slices.Sort(people)
	people = slices.Compact(people)
	res.People = len(people)
	if len(people) == 0 {
		return res, errors.New("forget: nobody to forget")
	}

	reg := forget.New(opt.Redis, "")
	n, err := reg.Add(ctx, people...)
	if err != nil {
		return res, err
	}
	res.New = n

	sr, err := store.New(opt.Redis, "").Forget(ctx, people)
	if err != nil {
		return res, err
	}
	res.StoreRows, res.StaleRows = sr.Rows, sr.Stale

	insp := asynq.NewInspector(opt.Asynq)
	defer insp.Close()
	led := ledger.New(opt.Redis, "")
	m := newPersonMatcher(people)
	for pass := 1; ; pass++ {
		// In flight first: an action that finishes after this look is
		// found by the sweeps below, completed, with its outcome (which the
		// ledger no longer records anyway).
		active, err := countActive(insp, m)
		if err != nil {
			return res, err
		}
		removed, busy, err := forgetQueued(insp, m)
		if err != nil {
			return res, err
		}
		res.QueuedTasks += removed
		entries, err := led.Forget(ctx, people)
		if err != nil {
			return res, err
		}
		res.LedgerEntries += entries
		if active += busy; active == 0 {
			break
		}
		if pass == opt.Passes {
			res.InFlight = active
			log.Warn("actions naming a forgotten person are still in flight; run forget again once they finish", "in_flight", active)
			break
		}
		if err := opt.Sleep(ctx, opt.Poll); err != nil {
			return res, err
		}
	}

	if res.Epoch, err = led.BumpEpoch(ctx); err != nil {
		return res, fmt.Errorf("forget: telling the scheduler: %w", err)
	}
	log.Info("forgotten", "people", res.People, "new", res.New, "store_rows", res.StoreRows, "stale_rows", res.StaleRows,
		"ledger_entries", res.LedgerEntries, "queued_tasks", res.QueuedTasks, "in_flight", res.InFlight)
	return res, nil
}

// personMatcher tells whether a task payload names one of the people.
type personMatcher struct {
	want    map[string]bool
	needles []string // the keys as they may appear in a payload's text
}

func newPersonMatcher(people []string) *personMatcher {
	m := &personMatcher{want: map[string]bool{}}
	for _, p := range people {
		m.want[p] = true
		m.needles = append(m.needles, p)
		if b, err := json.Marshal(p); err == nil && string(b[1:len(b)-1]) != p {
			m.needles = append(m.needles, string(b[1:len(b)-1]))
		}
	}
	return m
}

// names reports whether the payload of a task names one of the people:
// its person, or, for a payload that does not decode, its text.
func (m *personMatcher) names(t *asynq.TaskInfo) bool {
	if t.Type == wire.TaskType {
		if wt, err := wire.DecodeTask(t.Payload); err == nil {
			return m.want[prospects.NormalizeKey(wt.Person)]
		}
	}
	text := strings.ToLower(string(t.Payload))
	for _, n := range m.needles {
		if strings.Contains(text, n) {
			return true
		}
	}
	return false
}

// listPage is the page size of the queue listings.
const listPage = 500

// eachTask calls fn with every task list returns for queue, page by page.
func eachTask(queue string, list func(string, ...asynq.ListOption) ([]*asynq.TaskInfo, error), fn func(*asynq.TaskInfo)) error {
	for page := 1; ; page++ {
		ts, err := list(queue, asynq.PageSize(listPage), asynq.Page(page))
		if errors.Is(err, asynq.ErrQueueNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		for _, t := range ts {
			fn(t)
		}
		if len(ts) < listPage {
			return nil
		}
	}
}

// countActive counts the tasks in flight that name one of the people.
func countActive(insp *asynq.Inspector, m *personMatcher) (int, error) {
	queues, err := insp.Queues()
	if err != nil {
		return 0, fmt.Errorf("forget: listing the queues: %w", err)
	}
	n := 0
	for _, q := range queues {
		if err := eachTask(q, insp.ListActiveTasks, func(t *asynq.TaskInfo) {
			if m.names(t) {
				n++
			}
		}); err != nil {
			return 0, fmt.Errorf("forget: listing the actions in flight: %w", err)
		}
	}
	return n, nil
}

// forgetQueued deletes the tasks that name one of the people, in every
// queue and every state asynq keeps a task in, except in flight. It
// returns the number deleted and the number that went in flight between
// the listing and the delete.
func forgetQueued(insp *asynq.Inspector, m *personMatcher) (deleted, busy int, err error) {
	queues, err := insp.Queues()
	if err != nil {
		return 0, 0, fmt.Errorf("forget: listing the queues: %w", err)
	}
	lists := []func(string, ...asynq.ListOption) ([]*asynq.TaskInfo, error){
		insp.ListPendingTasks, insp.ListScheduledTasks, insp.ListRetryTasks, insp.ListArchivedTasks, insp.ListCompletedTasks,
	}
	for _, q := range queues {
		var ids []string
		for _, list := range lists {
			if err := eachTask(q, list, func(t *asynq.TaskInfo) {
				if m.names(t) {
					ids = append(ids, t.ID)
				}
			}); err != nil {
				return deleted, busy, fmt.Errorf("forget: listing queue %s: %w", q, err)
			}
		}
		for _, id := range ids {
			err := insp.DeleteTask(q, id)
			switch {
			case err == nil:
				deleted++
			case errors.Is(err, asynq.ErrTaskNotFound):
				// Gone meanwhile (run and revoked by a worker, or it moved
				// to completed: the next pass finds it there).
				busy++
			case errors.Is(err, asynq.ErrQueueNotFound):
			default:
				// In flight since the listing (asynq refuses to delete an
				// active task): the next pass looks again.
				busy++
			}
		}
	}
	return deleted, busy, nil
}

// csvSources reads each campaign's prospects from its CSV (what the engine
// does without sources) and marks the forgotten people skipped with reason
// lifecycle.SkipForgotten: `outreach run` never contacts them.
func csvSources(ctx context.Context, reg *forget.Registry, camps []*campaigns.Campaign) (map[string]scheduler.Source, error) {
	set, err := reg.Load(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]scheduler.Source, len(camps))
	for _, c := range camps {
		ms, err := scheduler.LoadSource(c)
		if err != nil {
			return nil, err
		}
		out[c.Name] = markForgotten(ms, set)
	}
	return out, nil
}

// markForgotten returns src with the people of set skipped as forgotten.
func markForgotten(src scheduler.Source, set *forget.Set) scheduler.Source {
	if set.Len() == 0 {
		return src
	}
	var marked map[int]bool
	for i := range src.Len() {
		if set.Has(src.Key(i)) {
			if marked == nil {
				marked = map[int]bool{}
			}
			marked[i] = true
		}
	}
	if marked == nil {
		return src
	}
	return &forgottenSource{Source: src, forgotten: marked}
}

// forgottenSource is a source with some prospects skipped as forgotten.
type forgottenSource struct {
	scheduler.Source
	forgotten map[int]bool
}

// Skip implements scheduler.Source.
func (s *forgottenSource) Skip(i int) string {
	if s.forgotten[i] {
		return lifecycle.SkipForgotten
	}
	return s.Source.Skip(i)
}
