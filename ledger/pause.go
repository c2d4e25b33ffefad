package ledger

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/outreach-scheduler/outreach/wire"
)

// Pauses of campaigns and accounts by an operator (outreach pause, or
// paused: in a file).
//
// The pauses in force are a HASH beside the stream, {ledger}:pauses, whose
// field is the scope and name ("campaign:NAME", "account:ID") and whose
// value is the ledger entry (wire.Command, kind pause) that set it. Every
// pause and resume is also appended to the stream, in the same MULTI/EXEC
// as the change to the hash (same hash tag, so the same cluster slot): the
// audit trail always agrees with the state. Workers read the hash just
// before they act (Holds); the leading scheduler reads it on every tick.
//
// A pause with an end is in force until then; the leading scheduler
// removes it afterwards and records a resume of Source "expired"
// (ExpirePauses). Until then, readers compare Until with their clock.

// Scopes of a pause.
const (
	ScopeCampaign = "campaign"
	ScopeAccount  = "account"
)

// Sources of a pause or a resume (wire.Command.Source).
const (
	SourceCommand = "command" // outreach pause|resume
	SourceFile    = "file"    // paused: in a campaign file
	SourceConfig  = "config"  // paused: in config.yaml's accounts
	SourceExpired = "expired" // the pause's Until passed
)

// ErrPauseRace is returned when the pauses changed under a Pause, Resume
// or SyncFilePause too often for it to finish; nothing was changed.
var ErrPauseRace = errors.New("ledger: the pauses kept changing; nothing changed, try again")

func (l *Ledger) pausesKey() string     { return l.base + "pauses" }
func (l *Ledger) filePausesKey() string { return l.base + "filepauses" }

// pauseField names a command's campaign or account in the hash.
func pauseField(c wire.Command) (string, error) {
	switch {
	case c.Campaign != "" && c.Account == "":
		return ScopeCampaign + ":" + c.Campaign, nil
	case c.Account != "" && c.Campaign == "":
		return ScopeAccount + ":" + c.Account, nil
	}
	return "", fmt.Errorf("ledger: a pause names a campaign or an account (campaign %q, account %q)", c.Campaign, c.Account)
}

func decodePause(field, v string) (*wire.Command, error) {
	e, err := wire.DecodeEntry([]byte(v))
	if err != nil {
		return nil, fmt.Errorf("ledger: the pause of %s: %w", field, err)
	}
	if e.Command == nil || e.Command.Kind != wire.CommandPause {
		return nil, fmt.Errorf("ledger: the pause of %s is not a pause command", field)
	}
	return e.Command, nil
}

// Pauses returns the pauses recorded (those in force and those whose Until
// passed but that ExpirePauses has not removed yet), campaigns first, by
// name.
func (l *Ledger) Pauses(ctx context.Context) ([]wire.Command, error) {
	m, err := l.rdb.HGetAll(ctx, l.pausesKey()).Result()
	if err != nil {
		return nil, fmt.Errorf("ledger: reading the pauses: %w", err)
	}
	out := make([]wire.Command, 0, len(m))
	for f, v := range m {
		c, err := decodePause(f, v)
		if err != nil {
			return nil, err
		}
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b wire.Command) int {
		if a.Campaign != "" && b.Campaign == "" {
			return -1
		}
		if a.Campaign == "" && b.Campaign != "" {
			return 1
		}
		return strings.Compare(a.Campaign+a.Account, b.Campaign+b.Account)
	})
	return out, nil
}

// ErrForgotten is returned by Holds for a task naming a person who was
// forgotten after it was planned: it must not be performed at all.
var ErrForgotten = errors.New("ledger: the task's person was forgotten")

// Holds reports whether a pause in force at now holds t back: its
// campaign's or its account's (wire.Command.Holds: never an expiry);
// ErrForgotten when t names a forgotten person, whatever its kind. Both in
// one round trip: it is the worker's check just before it acts.
func (l *Ledger) Holds(ctx context.Context, t wire.Task, now time.Time) (bool, error) {
	fields := []string{ScopeCampaign + ":" + t.Campaign, ScopeAccount + ":" + t.Account}
	p := l.rdb.Pipeline()
	hm := p.HMGet(ctx, l.pausesKey(), fields...)
	forgotten := func() (bool, error) { return false, nil }
	if l.forgotten != nil && t.Person != "" {
		forgotten = l.forgotten.Queue(ctx, p, t.Person)
	}
	if _, err := p.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return false, fmt.Errorf("ledger: reading the pauses: %w", err)
	}
	switch gone, err := forgotten(); {
	case err != nil:
		return false, err
	case gone:
		return false, ErrForgotten
	}
	vs, err := hm.Result()
	if err != nil {
		return false, fmt.Errorf("ledger: reading the pauses: %w", err)
	}
	for i, v := range vs {
		s, ok := v.(string)
		if !ok {
			continue // no such field
		}
		c, err := decodePause(fields[i], s)
		if err != nil {
			return false, err
		}
		if c.Holds(t.Kind, now) {
			return true, nil
		}
	}
	return false, nil
}

// Pause records cmd (kind pause) as the pause of its campaign or account
// and appends it to the stream, unless a pause of the same is in force at
// cmd.At: then nothing changes and that pause is returned.
func (l *Ledger) Pause(ctx context.Context, cmd wire.Command) (prev *wire.Command, err error) {
	cmd.Kind = wire.CommandPause
	field, err := pauseField(cmd)
	if err != nil {
		return nil, err
	}
	err = l.watchPauses(ctx, func(tx *redis.Tx) error {
		prev, err = l.current(ctx, tx, field, cmd.At)
		if err != nil || prev != nil {
			return err
		}
		return l.setPause(ctx, tx, field, &cmd, nil)
	})
	return prev, err
}

// Resume ends the pause of cmd's campaign or account (removes it and
// appends cmd, kind resume, to the stream) and returns the pause it ended,
// or nil, changing nothing, when none is in force at cmd.At.
func (l *Ledger) Resume(ctx context.Context, cmd wire.Command) (prev *wire.Command, err error) {
	cmd.Kind = wire.CommandResume
	field, err := pauseField(cmd)
	if err != nil {
		return nil, err
	}
	err = l.watchPauses(ctx, func(tx *redis.Tx) error {
		prev, err = l.current(ctx, tx, field, cmd.At)
		if err != nil || prev == nil {
			return err
		}
		return l.setPause(ctx, tx, field, nil, &cmd)
	})
	return prev, err
}

// ExpirePauses removes the pauses whose Until is at or before now and
// records a resume of Source "expired" for each, at its Until. It returns
// them.
func (l *Ledger) ExpirePauses(ctx context.Context, now time.Time) ([]wire.Command, error) {
	ps, err := l.Pauses(ctx)
	if err != nil {
		return nil, err
	}
	var out []wire.Command
	for _, p := range ps {
		if p.Until.IsZero() || now.Before(p.Until) {
			continue
		}
		field, _ := pauseField(p)
		done := false
		err := l.watchPauses(ctx, func(tx *redis.Tx) error {
			cur, err := tx.HGet(ctx, l.pausesKey(), field).Result()
			if errors.Is(err, redis.Nil) {
				return nil // resumed meanwhile
			}
			if err != nil {
				return err
			}
			c, err := decodePause(field, cur)
			if err != nil {
				return err
			}
			if !c.Until.Equal(p.Until) || !c.At.Equal(p.At) {
				return nil // paused again meanwhile
			}
			done = true
			return l.setPause(ctx, tx, field, nil, &wire.Command{
				Kind: wire.CommandResume, At: p.Until, Campaign: p.Campaign, Account: p.Account, Source: SourceExpired,
			})
		})
		if err != nil {
			return out, err
		}
		if done {
			out = append(out, p)
		}
	}
	return out, nil
}

// SyncFilePause applies a paused: setting of a file (Source "file" for a
// campaign, "config" for an account) the way the later of the file and the
// command line wins: only a change of the file's setting since it was last
// applied pauses or resumes; applying an unchanged file leaves a pause or
// resume of the command line as it is. The first time a file is applied,
// paused: false changes nothing. It reports whether it paused or resumed.
func (l *Ledger) SyncFilePause(ctx context.Context, cmd wire.Command, paused bool) (bool, error) {
	field, err := pauseField(cmd)
	if err != nil {
		return false, err
	}
	want := "0"
	if paused {
		want = "1"
	}
	changed := false
	err = l.watchPauses(ctx, func(tx *redis.Tx) error {
		changed = false
		was, err := tx.HGet(ctx, l.filePausesKey(), field).Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			return err
		}
		if was == want {
			return nil // unchanged since last applied
		}
		prev, err := l.current(ctx, tx, field, cmd.At)
		if err != nil {
			return err
		}
		var set, audit *wire.Command
		switch {
		case paused && prev == nil:
			c := cmd
			c.Kind = wire.CommandPause
			set, audit = &c, nil
		case !paused && was == "1" && prev != nil:
			c := cmd
			c.Kind, c.Until, c.All = wire.CommandResume, time.Time{}, false
			audit = &c
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.HSet(ctx, l.filePausesKey(), field, want)
			if set != nil || audit != nil {
				changed = true
				return l.queuePause(ctx, p, field, set, audit)
			}
			return nil
		})
		return err
	})
	return changed, err
}

// current returns the pause of field in force at t, or nil.
func (l *Ledger) current(ctx context.Context, tx *redis.Tx, field string, t time.Time) (*wire.Command, error) {
	v, err := tx.HGet(ctx, l.pausesKey(), field).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	c, err := decodePause(field, v)
	if err != nil {
		return nil, err
	}
	if !c.Active(t) {
		return nil, nil // ended; ExpirePauses has not removed it yet
	}
	return c, nil
}

// setPause, in a transaction, sets field to pause (nil: removes it) and
// appends the pause, or resume when set, to the stream.
func (l *Ledger) setPause(ctx context.Context, tx *redis.Tx, field string, pause, resume *wire.Command) error {
	_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
		return l.queuePause(ctx, p, field, pause, resume)
	})
	return err
}

func (l *Ledger) queuePause(ctx context.Context, p redis.Pipeliner, field string, pause, resume *wire.Command) error {
	rec := pause
	if rec == nil {
		rec = resume
	}
	if rec == nil {
		return nil
	}
	b, err := wire.EncodeEntry(Entry{Command: rec})
	if err != nil {
		return err
	}
	if pause != nil {
		p.HSet(ctx, l.pausesKey(), field, b)
	} else {
		p.HDel(ctx, l.pausesKey(), field)
	}
	p.XAdd(ctx, &redis.XAddArgs{Stream: l.key, Values: []any{"e", b}})
	return nil
}

// watchPauses runs fn in an optimistic transaction over the pauses and the
// stream's neighbours, retrying when another process changed them.
func (l *Ledger) watchPauses(ctx context.Context, fn func(*redis.Tx) error) error {
	for range 20 {
		err := l.rdb.Watch(ctx, fn, l.pausesKey(), l.filePausesKey())
		if errors.Is(err, redis.TxFailedErr) {
			continue
		}
		if err != nil {
			return fmt.Errorf("ledger: changing the pauses: %w", err)
		}
		return nil
	}
	return ErrPauseRace
}
