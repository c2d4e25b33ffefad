package wire

import (
	"time"

	"github.com/outreach-scheduler/outreach/pacing"
	"github.com/outreach-scheduler/outreach/platform"
)

// Version 0: the records written before versions existed (Go field names,
// numeric kinds, and an engine index "Ref" that is ignored).

type legacyRef struct {
	Campaign int32
	Index    int32
}

type legacyTask struct {
	Kind     uint8
	At       time.Time
	Account  string
	Campaign string
	Person   string
	Ref      legacyRef // ignored: applied by campaign and person now
	Key      string
	Variant  string
	Note     string
	Chars    int
	Fallback string
	Text     string
	Step     int
}

func (l legacyTask) task() Task {
	return Task{
		V: 0, Kind: Kind(l.Kind), At: l.At, Account: l.Account, Campaign: l.Campaign, Person: l.Person, Key: l.Key,
		Step: l.Step, Variant: l.Variant, Note: l.Note, Chars: l.Chars, Fallback: l.Fallback, Text: l.Text,
	}
}

type legacyOutcome struct {
	Kind    uint8
	At      time.Time
	Denial  pacing.Denial
	RetryAt time.Time
	Code    platform.Code
}

type legacyEvent struct {
	Type    platform.EventType
	Account string
	Person  string
	Key     string
	At      time.Time
}

type legacyEntry struct {
	Task    *legacyTask    `json:"task"`
	Outcome *legacyOutcome `json:"outcome"`
	Event   *legacyEvent   `json:"event"`
}

func (l legacyEntry) entry() Entry {
	var e Entry
	if l.Task != nil {
		t := l.Task.task()
		e.Task = &t
	}
	if l.Outcome != nil {
		e.Outcome = &Outcome{Kind: OutcomeKind(l.Outcome.Kind), At: l.Outcome.At, Denial: l.Outcome.Denial, RetryAt: l.Outcome.RetryAt, Code: l.Outcome.Code}
	}
	if l.Event != nil {
		ev := Event(*l.Event)
		e.Event = &ev
	}
	return e
}
