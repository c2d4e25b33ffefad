package config

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/outreach-scheduler/outreach/internal/strictyaml"
	"github.com/outreach-scheduler/outreach/platform"
	"github.com/outreach-scheduler/outreach/prospects"
)

// SandboxRefusal is one entry of `platform.sandbox.refuse`: the sandbox
// refuses the invitations it matches with Code, on top of its own rules,
// or fails them transiently, so that outreach's answers to refusals can be
// tried out and tested (package platform/sandbox, Refusal). An invitation
// matches when it matches every key given.
type SandboxRefusal struct {
	// Account (`account`) is the sender account, one of `accounts`.
	// Default "": every account.
	Account string
	// Persons (`persons`) are the people, as in the prospects' key column
	// (profile URLs), normalized like it. Default: everyone.
	Persons []string
	// Code (`code`, required) is the answer, one of RefusalCodes:
	// restricted and weekly_limit pause the account; invalid_profile and
	// the other definite codes fail (or skip) the prospect; unavailable is
	// a transient failure whose outcome is unknown, retried with the same
	// idempotency key.
	Code platform.Code
	// From (`from`) and Until (`until`) are RFC 3339 times bounding the
	// invitation's time: from <= t < until. Default: unbounded.
	From, Until time.Time
	// Rate (`rate`) is the share of matching invitations refused, in
	// (0, 1], drawn from the sandbox's seed. Default 1: every one.
	Rate float64
	// Applied (`applied`), with code unavailable only: the sandbox performs
	// the invitation but the answer is lost (a timeout after the fact), so
	// the retry is a repeat of a done request. Default false: not performed.
	Applied bool
	// Line is the line of the entry in the file.
	Line int

	accountLine int // of the account's value, for checkRefusalAccounts
}

// RefusalCodes are the codes `platform.sandbox.refuse` accepts.
var RefusalCodes = []platform.Code{
	platform.CodeRestricted, platform.CodeWeeklyLimit, platform.CodeInvalidProfile,
	platform.CodeConnectionCap, platform.CodeNoteAllowance, platform.CodeNoteTooLong,
	platform.CodeDuplicate, platform.CodeAlreadyConnected, platform.CodeCooldown,
	platform.CodeDeclined, platform.CodeUnavailable,
}

func decodeRefusals(sm *strictyaml.Map, dst *[]SandboxRefusal) {
	items, ok := sm.Seq("refuse")
	if !ok {
		return
	}
	d := sm.Decoder()
	codes := make([]string, len(RefusalCodes))
	for i, c := range RefusalCodes {
		codes[i] = string(c)
	}
	for i, item := range items {
		path := strictyaml.Index(sm.KeyPath("refuse"), i)
		m := d.Object(item, path, sm.ItemSchema("refuse"))
		if !m.IsMapping() {
			continue
		}
		r := SandboxRefusal{Rate: 1, Line: item.Line}
		m.Required("code")
		var code string
		if m.OneOf("code", &code, "code", codes...) {
			r.Code = platform.Code(code)
		}
		if m.String("account", &r.Account) {
			r.accountLine = m.ValueLine("account")
			if !accountIDRE.MatchString(r.Account) {
				m.Errorf("account", "bad account id %s: want 1 to 63 of a-z, 0-9, _ and -", strictyaml.Quote(r.Account))
				r.Account = ""
			}
		}
		var persons []string
		if m.Strings("persons", &persons) {
			for _, p := range persons {
				if k := prospects.NormalizeKey(p); k != "" {
					r.Persons = append(r.Persons, k)
				} else {
					m.Errorf("persons", "an empty person")
				}
			}
		}
		fromOK := strictyaml.Scalar(m, "from", &r.From, parseTime)
		untilOK := strictyaml.Scalar(m, "until", &r.Until, parseTime)
		if fromOK && untilOK && !r.From.Before(r.Until) {
			m.Errorf("until", "%s is not after from %s", r.Until.Format(time.RFC3339), r.From.Format(time.RFC3339))
		}
		var rate float64
		if m.Float("rate", &rate) {
			if rate <= 0 || rate > 1 {
				m.Errorf("rate", "must be above 0 and at most 1, got %g", rate)
			} else {
				r.Rate = rate
			}
		}
		if m.Bool("applied", &r.Applied) && r.Applied && r.Code != "" && r.Code != platform.CodeUnavailable {
			m.Errorf("applied", "applies to code unavailable only, not %s", r.Code)
		}
		*dst = append(*dst, r)
	}
}

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("want an RFC 3339 time such as 2026-03-02T09:00:00Z, got %s", strictyaml.Quote(s))
	}
	return t, nil
}

// checkSandboxAccounts reports refusals and account acceptance rates
// naming an account the file does not define; run after the accounts are
// decoded.
func (c *Config) checkSandboxAccounts(d *strictyaml.Decoder) {
	ids := c.AccountIDs()
	sb := &c.Platform.Sandbox
	for _, id := range slices.Sorted(maps.Keys(sb.AccountAcceptRates)) {
		if len(ids) > 0 && !slices.Contains(ids, id) {
			d.Errorf(sb.accountRateLines[id], "platform.sandbox.account_accept_rates."+id, "%s", strictyaml.Unknown("account", id, ids))
			delete(sb.AccountAcceptRates, id)
		}
	}
	for i, r := range c.Platform.Sandbox.Refuse {
		if r.Account != "" && len(ids) > 0 && !slices.Contains(ids, r.Account) {
			d.Errorf(r.accountLine, strictyaml.Index("platform.sandbox.refuse", i)+".account",
				"%s", strictyaml.Unknown("account", r.Account, ids))
		}
	}
}
