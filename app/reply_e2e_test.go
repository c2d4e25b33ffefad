package app

import (
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/internal/redistest"
	"github.com/outreach-scheduler/outreach/lifecycle"
	"github.com/outreach-scheduler/outreach/metrics"
	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/platform/sandbox"
	"github.com/outreach-scheduler/outreach/platform/webhook"
	"github.com/outreach-scheduler/outreach/wire"
)

// TestReplyEndsTheSequenceOnRedis: the scheduler and worker daemons on a
// real Redis, delivering to the sandbox's server over HTTP, the sandbox
// accepting every invitation within a second. Once ann and bo got their
// first message, ann replies (a signed replied event): her second
// message, planned and queued in asynq already (the planning horizon is
// two minutes, the step 8 seconds away), is deleted from the queue, and
// she gets nothing more, while bo gets all three. A forged reply for bo
// is refused (401) and changes nothing; a reply for someone who is no
// prospect is taken (204), kept in the ledger and counted as skipped.
// status shows ann replied; the leader counts the reply.
func TestReplyEndsTheSequenceOnRedis(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the daemons")
	}
	rs := redistest.Start(t)
	const ann, bo, zed = "https://example.com/in/ann", "https://example.com/in/bo", "https://example.com/in/zed"
	cfg, camp := loadWorkspace(t, t.TempDir(), map[string]string{
		"p.csv": "profile_url,first_name\n" + ann + ",Ann\n" + bo + ",Bo\n",
		"config.yaml": `
redis: {addr: "` + rs.Addr() + `"}
platform:
  sandbox: {accept_rate: 1, decline_rate: 0, reply_rate: 0}
defaults:
  min_gap: 1s
  jitter: 0
  days: [mon, tue, wed, thu, fri, sat, sun]
  hours: "00:00-24:00"
accounts:
  - {id: alice, tier: premium, limits: {weekly: 1000000, daily: 500000}}
campaigns: [c.yaml]
`,
		"c.yaml": `
name: c
accounts: [alice]
prospects: {csv: p.csv}
steps:
  - connect: {}
  - message:
      wait: 1s
      text: "Thanks for connecting, {{.first_name}}!"
  - message:
      wait: 8s
      text: "How are things, {{.first_name}}?"
  - message:
      wait: 8s
      text: "One last note, {{.first_name}}."
`,
	})
	rig := startWebhookRig(t, cfg, camp, true, "thanks for connecting")
	model, eventsURL, schedReg, logs, ctx := rig.model, rig.eventsURL, rig.schedReg, rig.logs, rig.ctx

	sent := func(person string) []sandbox.Entry {
		var out []sandbox.Entry
		for _, m := range evRequests(model, sandbox.OpMessage, person) {
			if m.Refused == "" && !m.Repeat {
				out = append(out, m)
			}
		}
		return out
	}
	evWaitFor(t, 60*time.Second, "the first message to ann and bo", func() bool {
		return len(sent(ann)) > 0 && len(sent(bo)) > 0
	})
	first := sent(ann)[0]
	now := time.Now()
	forged := wire.Event{Type: platform.EventReplied, Account: "alice", Person: bo, Key: sent(bo)[0].Key, At: now}
	if status, er := signedEvent(t, forged, now, []byte("not the secret")).post(t, eventsURL); status != 401 || er.Reason != webhook.ReasonSignature {
		t.Errorf("a forged reply: HTTP %d %+v, want 401 signature", status, er)
	}
	for _, ev := range []wire.Event{
		{Type: platform.EventReplied, Account: "alice", Person: ann, Key: first.Key, At: now},
		{Type: platform.EventReplied, Account: "alice", Person: zed, Key: "c/zed/message0", At: now},
	} {
		if status, er := signedEvent(t, ev, now, evSecret).post(t, eventsURL); status != 204 {
			t.Fatalf("the reply of %s: HTTP %d %+v, want 204", ev.Person, status, er)
		}
	}
	evWaitFor(t, 90*time.Second, "bo's three messages", func() bool { return len(sent(bo)) >= 3 })
	time.Sleep(2 * time.Second) // a message to ann would be as due as bo's last
	if ms := sent(ann); len(ms) != 1 {
		t.Fatalf("ann got %d messages, want only the first (she replied after it): %+v", len(ms), ms)
	}
	if got := metricValue(t, schedReg, metrics.Replies, map[string]string{"campaign": "c", "account": "alice"}); got != 1 {
		t.Errorf("%s = %v, want 1", metrics.Replies, got)
	}
	if got := evCounter(t, schedReg, metrics.LedgerEntriesSkipped, lifecycle.ReplyUnknownProspect); got != 1 {
		t.Errorf("%s{reason=%s} = %v, want 1", metrics.LedgerEntriesSkipped, lifecycle.ReplyUnknownProspect, got)
	}
	st, err := ReadStatus(ctx, cfg, []*campaigns.Campaign{camp}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if c := st.Campaigns[0].Counts; c.Replied != 1 || c.Messaged != 4 || st.Skipped[lifecycle.ReplyUnknownProspect] != 1 {
		t.Errorf("status: counts %+v, skipped %v; want 1 replied, 4 messages, 1 reply_unknown_prospect", c, st.Skipped)
	}
	if !logLine(logs.String(), "cancelled queued tasks") {
		t.Error("no log line for the cancelled message of ann")
	}
}

// logLine reports whether a log holds a line with msg.
func logLine(log, msg string) bool {
	return logLevelCount(log, "INFO", msg) > 0
}
