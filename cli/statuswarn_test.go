package cli

import (
	"bytes"
	"testing"

	"github.com/outreach-scheduler/outreach/app"
)

func TestStatusWarnings(t *testing.T) {
	var b bytes.Buffer
	printStatusWarnings(&b, &app.Status{})
	if b.Len() != 0 {
		t.Errorf("warnings with nothing wrong: %q", b.String())
	}
	printStatusWarnings(&b, &app.Status{Skipped: map[string]int{"unknown_account": 3},
		Rejected: map[string]int64{"unknown_key": 4, "replayed": 1, "stale": 0}})
	want := "warning: 3 ledger entries for accounts not in the configuration skipped (kept in the ledger: put the account back to count them)\n" +
		"warning: the events endpoint refused 5 requests since the install (replayed 1, unknown_key 4); see outreach_events_rejected_total and the schedulers' WARN logs\n\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}
