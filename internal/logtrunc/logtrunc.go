package logtrunc

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"unicode/utf8"
)

// DefaultMax is the default bound of an attribute value, in bytes.
const DefaultMax = 256

// Handler truncates the attributes and message of each record before
// passing it to the handler it wraps.
type Handler struct {
	next slog.Handler
	max  int
}

// New wraps next; max <= 0 means DefaultMax. Values are cut at max bytes
// (on a UTF-8 boundary), the message at 4*max.
func New(next slog.Handler, max int) *Handler {
	if max <= 0 {
		max = DefaultMax
	}
	return &Handler{next: next, max: max}
}

// Wrap returns a logger whose handler is l's, wrapped by New(..., max).
func Wrap(l *slog.Logger, max int) *slog.Logger {
	if _, ok := l.Handler().(*Handler); ok {
		return l
	}
	return slog.New(New(l.Handler(), max))
}

// Enabled implements slog.Handler.
func (h *Handler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

// Handle implements slog.Handler.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, String(r.Message, 4*h.max), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

// WithAttrs implements slog.Handler.
func (h *Handler) WithAttrs(as []slog.Attr) slog.Handler {
	cut := make([]slog.Attr, len(as))
	for i, a := range as {
		cut[i] = h.attr(a)
	}
	return &Handler{next: h.next.WithAttrs(cut), max: h.max}
}

// WithGroup implements slog.Handler.
func (h *Handler) WithGroup(name string) slog.Handler {
	return &Handler{next: h.next.WithGroup(String(name, h.max)), max: h.max}
}

// attr bounds one attribute: its key, and its value as text unless it is
// a number, a bool, a time or a duration (bounded by nature).
func (h *Handler) attr(a slog.Attr) slog.Attr {
	a.Key = String(a.Key, h.max)
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		a.Value = slog.StringValue(String(v.String(), h.max))
	case slog.KindGroup:
		gs := v.Group()
		cut := make([]slog.Attr, len(gs))
		for i, g := range gs {
			cut[i] = h.attr(g)
		}
		a.Value = slog.GroupValue(cut...)
	case slog.KindAny:
		a.Value = slog.StringValue(String(text(v.Any()), h.max))
	default:
		a.Value = v
	}
	return a
}

// text is the form a text or JSON handler would print: an error's
// message, a Stringer's String, else fmt's %+v.
func text(v any) string {
	switch x := v.(type) {
	case nil:
		return "<nil>"
	case error:
		return x.Error()
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprintf("%+v", v)
}

// String returns s cut to at most max bytes (on a UTF-8 boundary) with a
// marker of its length when it was longer; s itself otherwise.
func String(s string, max int) string {
	if max <= 0 {
		max = DefaultMax
	}
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "...[" + strconv.Itoa(len(s)) + " bytes]"
}
