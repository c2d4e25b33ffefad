package app

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/platform/sandbox"
)

// syncBuffer is a bytes.Buffer safe for the service's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestRunDeliversOnEmbeddedRedis runs the whole service for a few seconds
// of real time on the embedded Redis with one-second gaps: invitations go
// out through asynq, the worker and the Redis limiter to the sandbox, the
// progress line reports them, and the platform's own record shows no
// refusal and no two invitations of an account closer than the gap.
func TestRunDeliversOnEmbeddedRedis(t *testing.T) {
	w := newTwoSenders(t, "")
	cfg, c, model := w.cfg, w.camp, w.model

	ctx, cancel := context.WithTimeout(context.Background(), 7*time.Second)
	defer cancel()
	var out syncBuffer
	err := Run(ctx, Options{Config: cfg, Campaigns: []*campaigns.Campaign{c}, Out: &out, Progress: time.Second, Model: model, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	text := out.String()
	if !strings.Contains(text, "embedded Redis") || !strings.Contains(text, "nothing is kept after exit") {
		t.Errorf("the embedded Redis is not announced plainly:\n%s", text)
	}
	if !strings.Contains(text, "progress: alice ") {
		t.Errorf("no progress line:\n%s", text)
	}
	if strings.Contains(text, "example.com") {
		t.Errorf("the report shows personal data:\n%s", text)
	}
	rec := model.Record()
	invites := map[string][]time.Time{}
	for _, e := range rec {
		if e.Refused != "" {
			t.Errorf("the platform refused: %+v", e)
		}
		if e.Op == sandbox.OpInvite && !e.Repeat {
			invites[e.Account] = append(invites[e.Account], e.At)
		}
	}
	total := 0
	for acct, ts := range invites {
		total += len(ts)
		for i := 1; i < len(ts); i++ {
			if gap := ts[i].Sub(ts[i-1]); gap < time.Second-10*time.Millisecond {
				t.Errorf("%s: invitations %v apart, the gap is 1s", acct, gap)
			}
		}
	}
	// Two accounts for ~6 s with a 1 s gap (the caps are far away, so the
	// gap binds): several each, never more than the gap allows.
	if total < 6 || total > 2*8 {
		t.Errorf("%d invitations in ~6s from two accounts with a 1s gap\n%s", total, text)
	}
	if got := strings.Count(text, " invited "); got != total {
		t.Errorf("the report shows %d invitations, the platform received %d", got, total)
	}
}
