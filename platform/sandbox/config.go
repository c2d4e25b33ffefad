package sandbox

import (
	"fmt"
	"time"

	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/pacing"
	"github.com/outreach-scheduler/outreach/platform/responsedelay"
)

// OptionsFromConfig returns the model of the platform that the config's
// `platform.sandbox` section and accounts describe: each account's weekly
// limit is its tier's (the platform's own; the account's `limits.weekly`
// is the user's self-limit, unless set above the tier), its note length and
// allowance and its connections are the account's; `refuse` becomes
// Refusals, `account_accept_rates` AccountAcceptRates, and `restrict`,
// when enabled, Restrictions. A configured rate of 0 means none (the model
// reads 0 as "default"). seed 0 takes the config's.
func OptionsFromConfig(cfg *config.Config, seed int64) (Options, error) {
	sb := cfg.Platform.Sandbox
	opt := Options{
		Seed:               seed,
		AcceptRate:         orNone(sb.AcceptRate),
		DeclineRate:        orNone(sb.DeclineRate),
		ReplyRate:          orNone(sb.ReplyRate),
		VariantAcceptRates: sb.VariantAcceptRates,
		AccountAcceptRates: sb.AccountAcceptRates,
		ExpireAfter:        cfg.Defaults.ExpireAfter,
		ReinviteCooldown:   cfg.Defaults.ReinviteCooldown,
		Accounts:           map[string]Account{},
	}
	if seed == 0 {
		opt.Seed = sb.Seed
	}
	if sb.DelayScale > 0 && sb.DelayScale != 1 {
		opt.Delays = delaysOf(responsedelay.Default().Scaled(sb.DelayScale, scaledFloor))
		opt.ReplyDelays = delaysOf(responsedelay.Reply().Scaled(sb.DelayScale, scaledFloor))
	}
	if r := sb.Restrict; r.Enabled {
		opt.Restrictions = &RestrictionRules{MinAcceptance: orNone(r.MinAcceptance), Window: r.Window,
			MaxPending: r.MaxPending, Duration: r.Duration}
	}
	for _, r := range sb.Refuse {
		opt.Refusals = append(opt.Refusals, Refusal{
			Account: r.Account, Persons: r.Persons, Code: r.Code,
			From: r.From, Until: r.Until, Rate: r.Rate, Applied: r.Applied,
		})
	}
	for _, a := range cfg.Accounts {
		tier, err := pacing.TierDefaults(a.Tier)
		if err != nil {
			return Options{}, err
		}
		opt.Accounts[a.ID] = Account{
			Weekly:        max(tier.Weekly, a.Limits.Weekly),
			NoteChars:     a.Limits.NoteChars,
			NotesPerMonth: a.Limits.NotesPerMonth,
			Connections:   a.Connections,
			Location:      a.Location,
		}
	}
	if err := opt.Validate(); err != nil {
		return Options{}, fmt.Errorf("sandbox: %w", err)
	}
	return opt, nil
}

func orNone(v float64) float64 {
	if v == 0 {
		return -1
	}
	return v
}

// ResponseCurve is how long the people of the platform cfg delivers to
// take to answer, for the engine's note experiments
// (scheduler.Options.ResponseCurve): the sandbox's own curve, sped up by
// platform.sandbox.delay_scale, when cfg delivers to the in-process
// sandbox; nil (the real platform's curve) otherwise: the same curve the
// model answers along (OptionsFromConfig).
func ResponseCurve(cfg *config.Config) responsedelay.Curve {
	sb := cfg.Platform.Sandbox
	if cfg.Platform.Driver != config.DriverSandbox || sb.DelayScale <= 0 || sb.DelayScale == 1 {
		return nil
	}
	return responsedelay.Default().Scaled(sb.DelayScale, scaledFloor)
}

// scaledFloor keeps a sped-up curve's points increasing at any
// delay_scale: point i is at least i+1 milliseconds. The model and the
// engine use the same, so that they agree on every scale.
var scaledFloor = responsedelay.Floor{Min: time.Millisecond, Step: time.Millisecond}
