package scheduler

import (
	"github.com/outreach-scheduler/outreach/lifecycle"
	"github.com/outreach-scheduler/outreach/wire"
)

// ReplySkip tells why the replied event ev would change nothing ("" when
// it applies): lifecycle.ReplyUnknownProspect or lifecycle.ReplyFinal.
// The caller keeps the event in the ledger, counts the reason and goes on:
// never an error, so a bad report of the platform never stops the ledger. Like Plan, it must be called from the goroutine that owns
// the engine.
func (e *Engine) ReplySkip(ev wire.Event) string {
	_, _, why := e.replyTarget(ev)
	return why
}

// replyTarget finds the prospect a reply is about: the one the account
// invited and connected with, in whichever campaign (found by campaign
// name and person key, as outcomes are). Under every dedupe mode an account
// connects with a person once, so there is at most one in conversation.
func (e *Engine) replyTarget(ev wire.Event) (*account, Ref, string) {
	a := e.byID[ev.Account]
	if a == nil {
		return nil, Ref{}, lifecycle.ReplyUnknownProspect
	}
	final := false
	for _, c := range e.camps {
		i, ok := e.lookupIn(c, ev.Person)
		if !ok {
			continue
		}
		p := &c.ps[i]
		if p.acct != int16(a.idx) {
			continue
		}
		switch {
		case p.state == lifecycle.StateAccepted || p.state == lifecycle.StateMessaged:
			return a, Ref{Campaign: c.idx, Index: i}, ""
		case p.state.Terminal():
			final = true
		}
	}
	if final {
		return a, Ref{}, lifecycle.ReplyFinal
	}
	return a, Ref{}, lifecycle.ReplyUnknownProspect
}

// reply applies a replied event: the prospect moves to replied and gets no
// message step more. The step due next may be planned already, here or by
// an earlier leader (its key is the step's, whoever planned it): its key
// goes to Cancelled, for the caller to delete it from the queue. If the
// message is running already, its outcome comes and is recorded as it is
// (done), but nothing follows it.
func (e *Engine) reply(ev wire.Event) {
	a, ref, why := e.replyTarget(ev)
	if why != "" {
		return // ReplySkip told the caller, which counts it
	}
	c := e.camps[ref.Campaign]
	p := &c.ps[ref.Index]
	key := c.src.Key(int(ref.Index))
	if p.state == lifecycle.StateAccepted && int(p.msgStep) < len(c.messages) {
		k := e.key(c, key, "message"+itoa(int(p.msgStep)), 0)
		delete(e.out, k) // cancelled: no outcome is awaited (one that comes is applied by identity)
		p.out = false
		e.cancelled = append(e.cancelled, k)
	}
	e.transition(c, ref, lifecycle.EvReplied)
	e.replied++
	e.emit(ev.At, lifecycle.EvReplied, c, a, key, nil, "")
}

// Cancelled returns, and forgets, the idempotency keys of the message tasks
// that may be queued for prospects who replied since the last call
// (applied live or replayed from the ledger): the caller deletes those
// from the queue, as it does the keys CancelRemoved returns, so that no
// message goes out after a reply. A task already running cannot be
// deleted: its outcome is recorded as it is.
func (e *Engine) Cancelled() []string {
	keys := e.cancelled
	e.cancelled = nil
	return keys
}
