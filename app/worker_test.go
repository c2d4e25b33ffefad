package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/outreach-scheduler/outreach/pacing"
	"github.com/outreach-scheduler/outreach/wire"
	"github.com/outreach-scheduler/outreach/worker"
	workerdaemon "github.com/outreach-scheduler/outreach/worker/daemon"
)

// TestWorkerRefusesNewerPayloads: a task written by a newer outreach (a
// rolling upgrade) is neither performed nor dropped: the handler returns a
// retryable error naming both versions, and the platform hears nothing. A
// payload that is not a task is dropped for good (SkipRetry).
func TestWorkerRefusesNewerPayloads(t *testing.T) {
	w := newTwoSenders(t, "")
	var logs bytes.Buffer
	model := w.model
	h := &workerdaemon.Handler{
		Deliver: &worker.Deliverer{Limiter: pacing.NewMemLimiter(), Platform: model, Rules: worker.ConfigRules(w.cfg), RestrictionPause: time.Hour},
		Now:     func() time.Time { return time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC) },
		Log:     slog.New(slog.NewTextHandler(&logs, nil)),
	}
	task := wire.Task{Kind: wire.KindInvite, At: h.Now(), Account: "alice", Campaign: "c", Person: "https://example.com/in/p1", Key: "c/x/connect", Variant: "blank"}
	b, _ := wire.EncodeTask(task)
	newer := bytes.Replace(b, []byte(`"v":1`), []byte(fmt.Sprintf(`"v":%d`, wire.Version+1)), 1)
	err := h.ProcessTask(context.Background(), asynq.NewTask(wire.TaskType, newer))
	var ev *wire.ErrVersion
	if !errors.As(err, &ev) || errors.Is(err, asynq.SkipRetry) {
		t.Fatalf("newer payload: %v, want a retryable *wire.ErrVersion", err)
	}
	if !strings.Contains(logs.String(), "upgrade this worker") {
		t.Errorf("not logged: %s", logs.String())
	}
	if n := len(model.Record()); n != 0 {
		t.Fatalf("the platform heard %d requests", n)
	}
	if err := h.ProcessTask(context.Background(), asynq.NewTask(wire.TaskType, []byte(`{"v":1,"kind":"teleport"}`))); !errors.Is(err, asynq.SkipRetry) {
		t.Fatalf("garbage payload: %v, want SkipRetry", err)
	}
}
