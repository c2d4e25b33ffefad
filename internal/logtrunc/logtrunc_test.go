package logtrunc_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/outreach-scheduler/outreach/internal/logtrunc"
)

func TestHandlerBoundsEveryLine(t *testing.T) {
	huge := strings.Repeat("x", 900_000)
	for _, format := range []string{"text", "json"} {
		var buf bytes.Buffer
		var next slog.Handler = slog.NewTextHandler(&buf, nil)
		if format == "json" {
			next = slog.NewJSONHandler(&buf, nil)
		}
		log := slog.New(logtrunc.New(next, 0)).With("component", "test", "pre", huge).WithGroup("g")
		log.Error("applying a ledger entry: "+huge,
			"id", "1-1",
			"err", fmt.Errorf("ledger entry 1-1: %w", errors.New("scheduler: event for unknown account "+huge)),
			"value", struct{ A string }{huge},
			"stringer", stringer(huge),
			slog.Group("nested", "deep", huge),
			"n", 42, "ok", true)
		line := buf.String()
		if strings.Count(line, "\n") != 1 {
			t.Fatalf("%s: want one line, got %d", format, strings.Count(line, "\n"))
		}
		// 7 values of 256 bytes, a 1 KiB message, keys and markers.
		if len(line) > 4096 {
			t.Errorf("%s: a %d-byte line from 900 KB values; want at most 4096", format, len(line))
		}
		for _, want := range []string{"...[900000 bytes]", "...[900025 bytes]", "...[900055 bytes]", "component", "42", "true", "1-1"} {
			if !strings.Contains(line, want) {
				t.Errorf("%s: %q missing from %s", format, want, line)
			}
		}
	}
}

type stringer string

func (s stringer) String() string { return string(s) }

func TestString(t *testing.T) {
	if got := logtrunc.String("short", 10); got != "short" {
		t.Errorf("String(short) = %q", got)
	}
	s := strings.Repeat("é", 200) // 400 bytes
	got := logtrunc.String(s, 255)
	if !utf8.ValidString(got) || !strings.HasSuffix(got, "...[400 bytes]") || len(got) > 255+len("...[400 bytes]") {
		t.Errorf("String cut %q", got)
	}
}

// TestLevelsPass: the wrapper keeps the wrapped handler's level.
func TestLevelsPass(t *testing.T) {
	var buf bytes.Buffer
	h := logtrunc.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn}), 0)
	if h.Enabled(context.Background(), slog.LevelInfo) || !h.Enabled(context.Background(), slog.LevelWarn) {
		t.Error("levels not passed through")
	}
	l := logtrunc.Wrap(slog.New(h), 0)
	if l.Handler() != h {
		t.Error("Wrap wrapped a wrapper again")
	}
}
