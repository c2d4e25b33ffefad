package platformtest

import (
	"github.com/outreach-scheduler/outreach/platform/sandbox"
)

// SandboxOptions returns the sandbox model that opt describes, for a
// harness whose backend is the sandbox (the model itself, or its server
// behind a driver). The model's record and events are then the harness's
// Record (RequestOf) and Events.
func SandboxOptions(opt Options) sandbox.Options {
	o := sandbox.Options{
		Seed:        1,
		AcceptRate:  literal(opt.AcceptRate),
		DeclineRate: literal(opt.DeclineRate),
		// Uniform between AnswerAfter and AnswerWithin.
		Delays:   []sandbox.DelayPoint{{Within: opt.AnswerAfter, Share: 0}, {Within: opt.AnswerWithin, Share: 1}},
		Accounts: make(map[string]sandbox.Account, len(opt.Accounts)),
	}
	for id, a := range opt.Accounts {
		o.Accounts[id] = sandbox.Account{Weekly: a.Weekly, NoteChars: a.NoteChars, NotesPerMonth: sandbox.Unlimited, ConnectedTo: a.ConnectedTo}
	}
	for _, r := range opt.Refusals {
		o.Refusals = append(o.Refusals, sandbox.Refusal{Account: r.Account, Persons: r.Persons, Code: r.Code, Until: r.Until, Applied: r.Applied})
	}
	return o
}

// literal maps a literal share to the sandbox's reading (0 = default, <0
// = none).
func literal(v float64) float64 {
	if v == 0 {
		return -1
	}
	return v
}

// RequestOf returns the harness's form of a sandbox record entry.
func RequestOf(e sandbox.Entry) Request {
	return Request{
		Op: Op(e.Op), Key: e.Key, Account: e.Account, Person: e.Person, Campaign: e.Campaign, Variant: e.Variant,
		HasNote: e.HasNote, Chars: e.Chars, At: e.At, Refused: e.Refused, Repeat: e.Repeat,
	}
}
