package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/outreach-scheduler/outreach/internal/atomicfile"
)

// The state file of a running `outreach run`.
//
// With the embedded Redis (redis.addr: ""), the state of a run lives in
// its process. So that `outreach status`, `export`, `pause` and `resume`
// can look at it while it runs, Run writes the embedded Redis's address
// (a loopback port) to a small JSON file beside the config, and removes
// it on exit. A file left by a killed run names an address nothing
// answers on: FindRun reports it as stale.

// RunStateVersion is the version of the state file's format.
const RunStateVersion = 1

// RunState is the state file of a running `outreach run` (JSON, explicit
// field names, versioned).
type RunState struct {
	V         int       `json:"v"`
	RedisAddr string    `json:"redis_addr"` // host:port of the embedded Redis (loopback)
	PID       int       `json:"pid"`
	Started   time.Time `json:"started"`
}

// RunStatePath is where a run with the config at configPath writes its
// state: beside the config.
func RunStatePath(configPath string) string {
	return filepath.Join(filepath.Dir(configPath), ".outreach-run.json")
}

// writeRunState writes st to path atomically (readable by the user only)
// and returns a function that removes it, if it still holds st.
func writeRunState(path string, st RunState) (remove func(), err error) {
	b, err := json.Marshal(st)
	if err != nil {
		return nil, err
	}
	f, err := atomicfile.Create(path, 0o600)
	if err != nil {
		return nil, fmt.Errorf("writing the run's state file: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Abort()
		return nil, fmt.Errorf("writing the run's state file: %w", err)
	}
	if err := f.Commit(); err != nil {
		return nil, fmt.Errorf("writing the run's state file: %w", err)
	}
	return func() {
		if cur, err := ReadRunState(path); err == nil && cur == st {
			os.Remove(path)
		}
	}, nil
}

// ReadRunState reads the state file at path; an error wrapping
// fs.ErrNotExist when there is none.
func ReadRunState(path string) (RunState, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return RunState{}, err
	}
	var st RunState
	if err := json.Unmarshal(b, &st); err != nil {
		return RunState{}, fmt.Errorf("%s: %w", path, err)
	}
	switch {
	case st.V > RunStateVersion:
		return RunState{}, fmt.Errorf("%s: written by a newer outreach (version %d; this one reads %d)", path, st.V, RunStateVersion)
	case st.V < 1 || st.RedisAddr == "":
		return RunState{}, fmt.Errorf("%s: not a run state file", path)
	}
	st.Started = st.Started.UTC()
	return st, nil
}

// ErrNoRun is returned by FindRun when no `outreach run` is running beside
// the config.
var ErrNoRun = errors.New("no outreach run is running beside this config")

// FindRun returns the state of the `outreach run` running beside the config
// at configPath: ErrNoRun when there is no state file, or when its Redis
// does not answer (a run that was killed left it; the error says so).
func FindRun(ctx context.Context, configPath string) (RunState, error) {
	path := RunStatePath(configPath)
	st, err := ReadRunState(path)
	if errors.Is(err, fs.ErrNotExist) {
		return RunState{}, fmt.Errorf("%w (no %s)", ErrNoRun, path)
	}
	if err != nil {
		return RunState{}, err
	}
	rdb := redis.NewClient(&redis.Options{Addr: st.RedisAddr, MaxRetries: -1, DialTimeout: time.Second})
	defer rdb.Close()
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := rdb.Ping(pctx).Err(); err != nil {
		return RunState{}, fmt.Errorf("%w: %s names %s, where nothing answers (a run that ended without cleaning up; delete the file)", ErrNoRun, path, st.RedisAddr)
	}
	return st, nil
}
