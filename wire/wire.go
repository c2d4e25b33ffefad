package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/outreach-scheduler/outreach/pacing"
	"github.com/outreach-scheduler/outreach/platform"
)

// Version is the newest schema version this package writes and reads. A
// record is stamped with the lowest version that can carry it (a record
// without the fields version 2 added is written as version 1), so that
// processes not yet upgraded keep reading what they can.
const Version = 4

// ErrVersion is returned when a record was written by a newer schema
// version than this process reads.
type ErrVersion struct {
	What string // "task", "ledger entry", "snapshot"
	Got  int    // the record's version
	Max  int    // the newest version this process reads
}

func (e *ErrVersion) Error() string {
	return fmt.Sprintf("%s has schema version %d, newer than the version %d this outreach reads: upgrade this process (the record is left as it is)", e.What, e.Got, e.Max)
}

// Kind is what a task does on the platform.
type Kind uint8

// Task kinds.
const (
	KindFollow Kind = iota + 1
	KindInvite
	KindWithdraw
	KindMessage
	// KindExpire records that a pending invitation reached expire_after
	// without the platform reporting it. It makes no platform call: the
	// worker records it in the ledger like any outcome, so that the expiry
	// is a ledger entry (an engine rebuilt after a restart, and the
	// statistics, see it once) rather than a decision each engine makes on
	// its own clock.
	KindExpire
)

var kindNames = [...]string{KindFollow: "follow", KindInvite: "invite", KindWithdraw: "withdraw", KindMessage: "message", KindExpire: "expire"}

func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// MarshalText writes the kind's name.
func (k Kind) MarshalText() ([]byte, error) {
	if int(k) >= len(kindNames) || kindNames[k] == "" {
		return nil, fmt.Errorf("wire: unknown task kind %d", uint8(k))
	}
	return []byte(kindNames[k]), nil
}

// UnmarshalText reads a kind's name.
func (k *Kind) UnmarshalText(b []byte) error {
	for i, n := range kindNames {
		if n != "" && n == string(b) {
			*k = Kind(i)
			return nil
		}
	}
	return fmt.Errorf("wire: unknown task kind %q", b)
}

// Task is one platform action planned for a given time: the payload of an
// asynq task, and the first half of a ledger entry.
type Task struct {
	V        int       `json:"v"`
	Kind     Kind      `json:"kind"`
	At       time.Time `json:"at"`       // when to perform it (asynq ProcessAt)
	Account  string    `json:"account"`  // the sender account's ID
	Campaign string    `json:"campaign"` // the campaign's name
	Person   string    `json:"person"`   // the person's normalized key
	// Key is the idempotency key: campaign, a hash of the person, the step
	// and the attempt. It carries no personal data.
	Key string `json:"key"`
	// Step is the message step (0 for the first message); messages only.
	Step int `json:"step,omitempty"`
	// Invitations: the chosen note.
	Variant  string `json:"variant,omitempty"`  // the note variant, "blank" for none
	Note     string `json:"note,omitempty"`     // the rendered note
	Chars    int    `json:"chars,omitempty"`    // its length in UTF-16 code units
	Fallback string `json:"fallback,omitempty"` // why the preferred variant was not used
	// Text is a message's rendered text.
	Text string `json:"text,omitempty"`
	// NotAfter (version 2) is the end of the working period the task was
	// planned in: a worker that gets it later (workers were down, the
	// queue was behind) does not perform it but hands it back to the
	// planner, which plans it again in the next open period. Zero: no
	// limit.
	NotAfter time.Time `json:"not_after,omitzero"`
}

// version is the lowest schema version that can carry the task.
func (t *Task) version() int {
	if !t.NotAfter.IsZero() {
		return 2
	}
	return 1
}

// CommandKind is what an operator's command does.
type CommandKind string

// Command kinds.
const (
	// CommandRetry puts the failed prospects of a campaign (or of every
	// campaign) whose failure reason is Code back in the queue.
	CommandRetry CommandKind = "retry"
	// CommandPause (version 3) pauses a campaign or an account (exactly
	// one of Campaign and Account is set) until Until (zero: until
	// resumed). A stored pause is the command that set it.
	CommandPause CommandKind = "pause"
	// CommandResume (version 3) ends the pause of a campaign or an account.
	CommandResume CommandKind = "resume"
)

// Command (version 2) is an operator's decision recorded in the ledger
// (`outreach retry`, ...), so that every scheduler, and every rebuild,
// applies it at the same point of the history. It is also the audit
// trail: when, what, why and who.
type Command struct {
	Kind     CommandKind `json:"kind"`
	At       time.Time   `json:"at"`
	Campaign string      `json:"campaign,omitempty"` // "" every campaign
	Account  string      `json:"account,omitempty"`
	Code     string      `json:"code,omitempty"`   // retry: the failure reason of the prospects to retry
	Reason   string      `json:"reason,omitempty"` // the operator's words
	By       string      `json:"by,omitempty"`     // user@host that ran the command
	// Until (version 3): a pause's end; zero until resumed.
	Until time.Time `json:"until,omitzero"`
	// All (version 3): an account's pause holds its withdrawals too.
	All bool `json:"all,omitempty"`
	// Source (version 3): what set a pause or resume: "command" (the
	// CLI), "file" (paused: in a campaign file), "config" (paused: in
	// config.yaml's accounts) or "expired" (its Until passed).
	Source string `json:"source,omitempty"`
}

// Active reports whether c is a pause in force at t.
func (c *Command) Active(t time.Time) bool {
	return c != nil && c.Kind == CommandPause && (c.Until.IsZero() || t.Before(c.Until))
}

// Holds reports whether c, a pause, holds back a task of kind k at t: a
// campaign's pause holds its invitations, follows and messages; an
// account's holds those of every campaign, and its withdrawals too when
// All. Expiries (no platform call) are never held.
func (c *Command) Holds(k Kind, t time.Time) bool {
	if !c.Active(t) || k == KindExpire {
		return false
	}
	if k == KindWithdraw {
		return c.Account != "" && c.All
	}
	return true
}

// version is the lowest schema version that can carry the command.
func (c *Command) version() int {
	if c.Kind == CommandPause || c.Kind == CommandResume || !c.Until.IsZero() || c.All || c.Source != "" {
		return 3
	}
	return 2
}

// OutcomeKind classifies what happened to a task.
type OutcomeKind uint8

// Outcome kinds.
const (
	// Delivered: the platform did it.
	Delivered OutcomeKind = iota + 1
	// Denied: the limiter refused the slot (see Outcome.Denial, RetryAt);
	// nothing reached the platform.
	Denied
	// Refused: the platform refused for good (see Outcome.Code); nothing
	// happened there.
	Refused
	// Unknown: the outcome is unknown (the queue retries with the same key).
	Unknown
)

var outcomeNames = [...]string{Delivered: "delivered", Denied: "denied", Refused: "refused", Unknown: "unknown"}

func (k OutcomeKind) String() string {
	if int(k) < len(outcomeNames) && outcomeNames[k] != "" {
		return outcomeNames[k]
	}
	return "outcome(" + strconv.Itoa(int(k)) + ")"
}

// MarshalText writes the outcome kind's name.
func (k OutcomeKind) MarshalText() ([]byte, error) {
	if int(k) >= len(outcomeNames) || outcomeNames[k] == "" {
		return nil, fmt.Errorf("wire: unknown outcome kind %d", uint8(k))
	}
	return []byte(outcomeNames[k]), nil
}

// UnmarshalText reads an outcome kind's name.
func (k *OutcomeKind) UnmarshalText(b []byte) error {
	for i, n := range outcomeNames {
		if n != "" && n == string(b) {
			*k = OutcomeKind(i)
			return nil
		}
	}
	return fmt.Errorf("wire: unknown outcome kind %q", b)
}

// Outcome is what a worker reports for a task.
type Outcome struct {
	Kind    OutcomeKind   `json:"kind"`
	At      time.Time     `json:"at"`                // when the worker acted
	Denial  pacing.Denial `json:"denial,omitempty"`  // Denied: the limiter's rule
	RetryAt time.Time     `json:"retry_at,omitzero"` // Denied: when the slot may be granted
	Code    platform.Code `json:"code,omitempty"`    // Refused: the platform's code
}

// Event is something the platform reports about an invitation, or
// (version 4: platform.EventReplied) about the conversation after it.
type Event struct {
	Type    platform.EventType `json:"type"`
	Account string             `json:"account"`
	Person  string             `json:"person"` // the person's normalized key
	Key     string             `json:"key"`    // the invitation's idempotency key (replied: the message's)
	At      time.Time          `json:"at"`     // when it happened
}

// version is the lowest schema version that can carry the event: a reply
// is version 4, so that a process not yet upgraded stops at it (ErrVersion)
// rather than apply an event kind it does not know as nothing.
func (ev *Event) version() int {
	if ev.Type == platform.EventReplied {
		return 4
	}
	return 1
}

// Entry is one record of the ledger: a task's outcome, a platform event,
// or (version 2) an operator's command.
type Entry struct {
	V       int      `json:"v"`
	ID      string   `json:"-"` // the stream ID, set on read
	Task    *Task    `json:"task,omitempty"`
	Outcome *Outcome `json:"outcome,omitempty"`
	Event   *Event   `json:"event,omitempty"`
	Command *Command `json:"command,omitempty"`
}

// valid reports whether the entry holds exactly one of: a task with its
// outcome, an event, a command.
func (e *Entry) valid() bool {
	if (e.Task == nil) != (e.Outcome == nil) {
		return false
	}
	n := 0
	for _, set := range []bool{e.Task != nil, e.Event != nil, e.Command != nil} {
		if set {
			n++
		}
	}
	return n == 1
}

// version is the lowest schema version that can carry the entry.
func (e *Entry) version() int {
	switch {
	case e.Command != nil:
		return e.Command.version()
	case e.Task != nil:
		return e.Task.version()
	case e.Event != nil:
		return e.Event.version()
	}
	return 1
}

// EncodeTask returns the payload of a task, stamped with the lowest
// version that carries it.
func EncodeTask(t Task) ([]byte, error) {
	t.V = t.version()
	return json.Marshal(t)
}

// DecodeTask reads a task payload of any version up to Version.
func DecodeTask(b []byte) (Task, error) {
	var t Task
	if err := strictDecode(b, &t); err == nil && t.V >= 1 && t.V <= Version {
		return t, nil // the common case, in one pass
	}
	v, err := version(b)
	if err != nil {
		return Task{}, fmt.Errorf("task: %w", err)
	}
	switch {
	case v > Version:
		return Task{}, &ErrVersion{What: "task", Got: v, Max: Version}
	case v == 0:
		var l legacyTask
		if err := strictDecode(b, &l); err != nil {
			return Task{}, fmt.Errorf("task (version 0): %w", err)
		}
		return l.task(), nil
	}
	t = Task{}
	if err := strictDecode(b, &t); err != nil {
		return Task{}, fmt.Errorf("task: %w", err)
	}
	return t, nil
}

// EncodeEntry returns the JSON of a ledger entry, stamped with the lowest
// version that carries it.
func EncodeEntry(e Entry) ([]byte, error) {
	if !e.valid() {
		return nil, fmt.Errorf("wire: a ledger entry holds a task with its outcome, an event, or a command")
	}
	e.V = e.version()
	if e.Task != nil {
		t := *e.Task
		t.V = t.version()
		e.Task = &t
	}
	return json.Marshal(e)
}

// DecodeEntry reads a ledger entry of any version up to Version.
func DecodeEntry(b []byte) (Entry, error) {
	var e Entry
	if err := strictDecode(b, &e); err != nil || e.V < 1 || e.V > Version {
		// Not this version's (or not an entry): find out which.
		v, verr := version(b)
		if verr != nil {
			return Entry{}, fmt.Errorf("ledger entry: %w", verr)
		}
		switch {
		case v > Version:
			return Entry{}, &ErrVersion{What: "ledger entry", Got: v, Max: Version}
		case v == 0:
			var l legacyEntry
			if err := strictDecode(b, &l); err != nil {
				return Entry{}, fmt.Errorf("ledger entry (version 0): %w", err)
			}
			e = l.entry()
		default:
			return Entry{}, fmt.Errorf("ledger entry: %w", err)
		}
	}
	if !e.valid() {
		return Entry{}, fmt.Errorf("ledger entry: holds none or several of a task with its outcome, an event, a command")
	}
	if e.V >= 1 && e.V < e.version() {
		return Entry{}, fmt.Errorf("ledger entry: version %d cannot carry what it holds (version %d fields)", e.V, e.version())
	}
	return e, nil
}

// version reads the "v" field of a JSON object (0 when absent).
func version(b []byte) (int, error) {
	var h struct {
		V *int `json:"v"`
	}
	if err := json.Unmarshal(b, &h); err != nil {
		return 0, err
	}
	if h.V == nil {
		return 0, nil
	}
	if *h.V < 1 {
		return 0, fmt.Errorf("bad schema version %d", *h.V)
	}
	return *h.V, nil
}

// strictDecode decodes JSON refusing unknown fields: a field this version
// does not know means the record is not what it claims to be.
func strictDecode(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return fmt.Errorf("trailing data after the record")
	}
	return nil
}
