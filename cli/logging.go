package cli

import (
	"fmt"
	"io"
	"log/slog"

	"github.com/outreach-scheduler/outreach/internal/logtrunc"
)

// logFormat is the value of the global --log-format flag: text (slog's
// key=value lines, the default) or json (one JSON object a line). Any
// other value is refused when the flag is parsed: a usage error, exit 2.
type logFormat string

// The log formats.
const (
	logText logFormat = "text"
	logJSON logFormat = "json"
)

func (f *logFormat) String() string {
	if *f == "" {
		return string(logText)
	}
	return string(*f)
}

func (f *logFormat) Set(s string) error {
	switch logFormat(s) {
	case logText, logJSON:
		*f = logFormat(s)
		return nil
	}
	return fmt.Errorf("must be text or json")
}

func (f *logFormat) Type() string { return "text|json" }

// serviceLogger logs to stderr: warnings and errors, and info with -v
// (run, forget, init: their output is the report on stdout).
func serviceLogger(g *globals, verbose bool) *slog.Logger {
	level := slog.LevelWarn
	if verbose {
		level = slog.LevelInfo
	}
	return newLogger(g, level)
}

// daemonLogger is the scheduler's and the worker's: info and above (start,
// leadership, a summary a minute, every error), and debug too with -v.
func daemonLogger(g *globals, verbose bool) *slog.Logger {
	level := slog.LevelInfo
	if verbose {
		level = slog.LevelDebug
	}
	return newLogger(g, level)
}

// newLogger is every logger the CLI builds: to stderr in the --log-format
// at level, each value cut to logtrunc.DefaultMax bytes (a value from
// outside, such as an event's field, may be of any size).
func newLogger(g *globals, level slog.Level) *slog.Logger {
	return slog.New(logtrunc.New(logHandler(g.stderr, g.logFormat, level), 0))
}

func logHandler(w io.Writer, f logFormat, level slog.Level) slog.Handler {
	opt := &slog.HandlerOptions{Level: level}
	if f == logJSON {
		return slog.NewJSONHandler(w, opt)
	}
	return slog.NewTextHandler(w, opt)
}
