package sandbox

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/outreach-scheduler/outreach/platform"
)

// SentInvitations returns the invitations the platform accepted at or
// after since (the zero time: all of them), in arrival order, each with
// its answer as the platform knows it now: accepted, declined or expired
// (the answers applied so far, delivered by Advance or not yet), withdrawn
// (by a withdrawal the platform accepted), or "" while pending. Repeats
// and refused requests are not invitations. It is the platform's side of
// a recovery (package install) and reads the record: a model with
// Options.ViolationsOnly answers platform.ErrNoSentRecord.
func (m *Model) SentInvitations(ctx context.Context, since time.Time) ([]platform.Sent, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.keepAll {
		return nil, fmt.Errorf("sandbox: the model keeps only violations (ViolationsOnly): %w", platform.ErrNoSentRecord)
	}
	lo := int64(-1 << 63)
	if !since.IsZero() {
		lo, _ = unixNano(since)
	}
	type pair struct {
		acct uint32
		ph   personHash
	}
	var out []platform.Sent
	var recs []*rec        // out[i]'s record
	open := map[pair]int{} // the latest invitation of a pair, index in out (-1: before since)
	for _, c := range m.records {
		for i := range c {
			r := &c[i]
			if r.code != 0 || r.repeat || (r.op != opInvite && r.op != opWithdraw) {
				continue
			}
			key, person := m.text.get(r)
			p := pair{r.acct, m.personHash(person)}
			if r.op == opWithdraw {
				// Accepted by the platform: the pair's latest invitation
				// was pending until now.
				if j, ok := open[p]; ok && j >= 0 && out[j].Answer == "" {
					out[j].Answer, out[j].AnsweredAt = platform.AnswerWithdrawn, toTime(r.at)
				}
				delete(open, p)
				continue
			}
			if r.at < lo {
				open[p] = -1
				continue
			}
			open[p] = len(out)
			out = append(out, platform.Sent{
				Key: key, Account: m.names[r.acct], Person: person, Campaign: m.names[r.campaign],
				Variant: m.names[r.variant], Note: r.hasNote, At: toTime(r.at),
			})
			recs = append(recs, r)
		}
	}
	for i := range out {
		s := &out[i]
		if s.Answer != "" {
			continue
		}
		a := m.accts[s.Account]
		if rl, ok := a.rel[m.personHash(s.Person)]; ok && rl.state == relPending && m.pend(rl.slot).key == s.Key {
			continue // still pending
		}
		// Neither pending nor withdrawn: its answer was applied, and the
		// answer is decided by the seed and the key alone.
		r := recs[i]
		kind, at := m.outcome(hashKey(s.Key), r.variant, a.rateAt(r.at), r.at) // as schedule drew it
		switch kind {
		case kindAccept:
			s.Answer = platform.AnswerAccepted
		case kindDecline:
			s.Answer = platform.AnswerDeclined
		case kindExpire:
			s.Answer = platform.AnswerExpired
		default:
			continue // cannot happen: an ignored invitation stays pending
		}
		s.AnsweredAt = toTime(at)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out, nil
}
