package ledger

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/outreach-scheduler/outreach/forget"
	"github.com/outreach-scheduler/outreach/prospects"
	"github.com/outreach-scheduler/outreach/wire"
)

// Forgotten is the registry of forgotten people the ledger consults: an
// outcome or event naming one of them is not recorded (AppendOutcome and
// AppendEvent return nil without appending).
func (l *Ledger) Forgotten() *forget.Registry { return l.forgotten }

// namesForgotten reports whether e names a forgotten person.
func (l *Ledger) namesForgotten(ctx context.Context, e Entry) (bool, error) {
	person := ""
	switch {
	case e.Task != nil:
		person = e.Task.Person
	case e.Event != nil:
		person = e.Event.Person
	}
	if person == "" || l.forgotten == nil {
		return false, nil
	}
	ok, err := l.forgotten.Has(ctx, person)
	if err != nil {
		return false, fmt.Errorf("appending to the ledger: %w", err)
	}
	return ok, nil
}

// forgetPage is the number of entries Forget reads per round trip.
const forgetPage = 1000

// Forget deletes every entry of the stream that names one of the people
// keys (normalized keys): a task's person or an event's person. An entry
// that does not decode (corrupt, or written by a newer version) is
// deleted when its text contains one of the keys. Their entries in the
// index of sent invitations (sent.go) are deleted too. It returns the
// number of stream entries deleted.
//
// The stream is bounded by the ledger's retention, so Forget reads all of
// it (XRANGE, a page at a time) and deletes by ID (XDEL). A scheduler
// rebuilding from the ledger afterwards no longer sees the person; the
// leading one is told through the epoch key (see app.Forget).
func (l *Ledger) Forget(ctx context.Context, keys []string) (int, error) {
	want := map[string]bool{}
	var needles []string // the keys as they may appear in raw JSON
	for _, k := range keys {
		if k == "" {
			continue
		}
		want[k] = true
		needles = append(needles, k)
		if esc, err := json.Marshal(k); err == nil {
			if e := string(esc[1 : len(esc)-1]); e != k {
				needles = append(needles, e)
			}
		}
	}
	if len(want) == 0 {
		return 0, nil
	}
	names := func(person string) bool { return person != "" && want[prospects.NormalizeKey(person)] }
	deleted := 0
	start := "-"
	for {
		msgs, err := l.rdb.XRangeN(ctx, l.key, start, "+", forgetPage).Result()
		if err != nil {
			return deleted, fmt.Errorf("forgetting in the ledger: reading: %w", err)
		}
		var ids []string
		for _, m := range msgs {
			raw, _ := m.Values["e"].(string)
			if e, err := wire.DecodeEntry([]byte(raw)); err == nil {
				if e.Task != nil && names(e.Task.Person) || e.Event != nil && names(e.Event.Person) {
					ids = append(ids, m.ID)
				}
				continue
			}
			if containsAny(strings.ToLower(fmt.Sprint(m.Values)), needles) {
				ids = append(ids, m.ID)
			}
		}
		if len(ids) > 0 {
			n, err := l.rdb.XDel(ctx, l.key, ids...).Result()
			if err != nil {
				return deleted, fmt.Errorf("forgetting in the ledger: deleting: %w", err)
			}
			deleted += int(n)
		}
		if len(msgs) < forgetPage {
			if _, err := l.forgetSent(ctx, keys); err != nil {
				return deleted, err
			}
			return deleted, nil
		}
		start = "(" + msgs[len(msgs)-1].ID
	}
}

func containsAny(s string, needles []string) bool {
	for _, n := range needles {
		if strings.Contains(s, n) {
			return true
		}
	}
	return false
}
