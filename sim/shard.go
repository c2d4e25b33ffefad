package sim

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"runtime"
	"slices"
	"time"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/internal/workpool"
	"github.com/outreach-scheduler/outreach/platform/sandbox"
	"github.com/outreach-scheduler/outreach/scheduler"
	"github.com/outreach-scheduler/outreach/wire"
)

// Run simulates the campaigns on a virtual clock with the real planner,
// pacing, limiter and lifecycle code, delivering through the worker's
// Deliverer to the sandbox platform model. It is deterministic for given
// options.
//
// Campaigns that share no sender account and no person cannot affect one
// another, so Run splits them into such shards and simulates the shards in
// parallel (one engine, limiter and platform model each), then merges the
// results and the event stream in time order. Each shard is smaller, which
// also keeps its working set in the processor's caches.
func Run(ctx context.Context, opt Options) (*Result, error) {
	if opt.Config == nil {
		return nil, errors.New("sim: Options.Config is required")
	}
	if opt.Days <= 0 {
		return nil, fmt.Errorf("sim: Days must be > 0, got %d", opt.Days)
	}
	sources := map[string]scheduler.Source{}
	for _, c := range opt.Campaigns {
		if src := opt.sources[c.Name]; src != nil {
			sources[c.Name] = src
			continue
		}
		ms, err := scheduler.LoadSource(c)
		if err != nil {
			return nil, err
		}
		sources[c.Name] = ms
	}
	groups := shards(opt.Campaigns, sources)
	if len(groups) <= 1 {
		res, err := runShard(ctx, opt, opt.Campaigns, sources, opt.OnEvent)
		if err != nil {
			return nil, err
		}
		if err := finishTimeline(res, opt.Config, opt.Campaigns, opt.Days); err != nil {
			return nil, err
		}
		return res, nil
	}

	type out struct {
		res    *Result
		events []Event
		err    error
	}
	outs := make([]out, len(groups))
	workpool.Each(len(groups), func(i int) {
		var buf []Event
		var onEvent func(Event)
		if opt.OnEvent != nil {
			onEvent = func(e Event) { buf = append(buf, e) }
		}
		res, err := runShard(ctx, opt, groups[i], sources, onEvent)
		outs[i] = out{res, buf, err}
	})

	res := &Result{Start: opt.Start, End: opt.Start.AddDate(0, 0, opt.Days)}
	r := &run{opt: opt, res: res}
	r.init(opt.Config)
	var streams [][]Event
	for _, o := range outs {
		if o.err != nil {
			return nil, o.err
		}
		res.models = append(res.models, o.res.models...)
		res.Events = append(res.Events, o.res.Events...)
		for _, a := range o.res.Accounts {
			acc := r.accounts[a.ID]
			acc.Counts = acc.Counts.Plus(a.Counts)
			acc.Restrictions += a.Restrictions
			if a.MinPace > 0 && (acc.MinPace == 0 || a.MinPace < acc.MinPace) {
				acc.MinPace = a.MinPace
			}
			acc.Days = addDays(acc.Days, a.Days)
		}
		for _, c := range o.res.Campaigns {
			*r.camps[c.Name] = c // each campaign runs in exactly one shard
		}
		streams = append(streams, o.events)
	}
	slices.SortStableFunc(res.Events, func(a, b wire.Event) int { return a.At.Compare(b.At) })
	if opt.OnEvent != nil {
		mergeEvents(streams, opt.OnEvent)
	}
	if err := finishTimeline(res, opt.Config, opt.Campaigns, opt.Days); err != nil {
		return nil, err
	}
	return res, nil
}

// shards groups the campaigns into sets that share no account and no
// person (by key), in the order of their first campaign.
func shards(camps []*campaigns.Campaign, sources map[string]scheduler.Source) [][]*campaigns.Campaign {
	parent := make([]int, len(camps))
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	union := func(a, b int) {
		if ra, rb := find(a), find(b); ra != rb {
			parent[max(ra, rb)] = min(ra, rb)
		}
	}
	byAccount := map[string]int{}
	total := 0
	for i, c := range camps {
		for _, id := range c.Accounts {
			if j, ok := byAccount[id]; ok {
				union(i, j)
			} else {
				byAccount[id] = i
			}
		}
		total += sources[c.Name].Len()
	}
	// People: a 64-bit hash per key (a collision can only merge two
	// shards). The keys are hashed per campaign in parallel, then each
	// worker indexes the hashes of its own range, so both phases use every
	// core; the unions found are applied afterwards.
	seed := maphash.MakeSeed()
	hashes := make([][]uint64, len(camps))
	workpool.Each(len(camps), func(i int) {
		src := sources[camps[i].Name]
		hs := make([]uint64, src.Len())
		for k := range hs {
			hs[k] = maphash.String(seed, src.Key(k))
		}
		hashes[i] = hs
	})
	workers := runtime.GOMAXPROCS(0)
	pairs := make([][][2]int, workers)
	workpool.Each(workers, func(w int) {
		seen := make(map[uint64]int32, total/workers+1)
		for i, hs := range hashes {
			for _, h := range hs {
				if int(h%uint64(workers)) != w {
					continue
				}
				if j, ok := seen[h]; ok {
					if int(j) != i {
						pairs[w] = append(pairs[w], [2]int{i, int(j)})
					}
					continue
				}
				seen[h] = int32(i)
			}
		}
	})
	for _, ps := range pairs {
		for _, p := range ps {
			union(p[0], p[1])
		}
	}
	var out [][]*campaigns.Campaign
	index := map[int]int{}
	for i, c := range camps {
		root := find(i)
		k, ok := index[root]
		if !ok {
			k = len(out)
			index[root] = k
			out = append(out, nil)
		}
		out[k] = append(out[k], c)
	}
	return out
}

// mergeEvents calls fn with the events of every shard in time order (ties:
// the shard order, then each shard's own order).
func mergeEvents(streams [][]Event, fn func(Event)) {
	pos := make([]int, len(streams))
	for {
		best := -1
		var bt time.Time
		for i, s := range streams {
			if pos[i] < len(s) && (best < 0 || s[pos[i]].T.Before(bt)) {
				best, bt = i, s[pos[i]].T
			}
		}
		if best < 0 {
			return
		}
		fn(streams[best][pos[best]])
		pos[best]++
	}
}

// Record is every request the platform received, over all shards, in
// time order: the referee of every invariant.
func (r *Result) Record() []sandbox.Entry {
	var all []sandbox.Entry
	for _, m := range r.models {
		all = append(all, m.Record()...)
	}
	if len(r.models) > 1 {
		slices.SortStableFunc(all, func(a, b sandbox.Entry) int { return a.At.Compare(b.At) })
	}
	return all
}

// Violations are the requests the platform refused, over all shards.
func (r *Result) Violations() []sandbox.Entry {
	var all []sandbox.Entry
	for _, m := range r.models {
		all = append(all, m.Violations()...)
	}
	return all
}
