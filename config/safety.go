package config

import (
	"time"

	"github.com/outreach-scheduler/outreach/internal/strictyaml"
)

// Safety is the `safety` section, and an account's `accounts[].safety`
// override of it: the safety governor, which slows an account whose own
// outcomes (acceptance, declines, invitations left pending) drift toward
// what gets accounts restricted by the platform, before the platform
// restricts it (package scheduler, governor.go). Every key is optional; an
// account's override starts from the top-level section.
type Safety struct {
	// Enabled (`enabled`) turns the governor on. Default true. Off, the
	// health is still measured and shown, but the caps are never lowered.
	Enabled bool
	// Window (`window`) is how many invitations the acceptance and decline
	// ratios are measured over: the account's latest ones, by send time,
	// each counted by the share of answers due by its age (a day-old
	// invitation counts about 0.63, one min_age old 1), so that young
	// unanswered invitations weigh what they tell. 20 to 10000. Default
	// 200 (over 100, a 30% list's estimate dips to 18% often enough to be
	// slowed now and then).
	Window int
	// MinSample (`min_sample`) is how many invitations, counted so, the
	// window needs before acceptance and declines are judged at all (a
	// new account is not throttled on its first answers). 1 to window.
	// Default 40.
	MinSample int
	// MinAge (`min_age`) is when an unanswered invitation counts fully as
	// ignored, and when a pending one has piled up: sent at least this
	// long ago. 1d to 90d. Default 14d (the age the platform judges
	// ignored invitations at).
	MinAge time.Duration
	// TargetAcceptance (`target_acceptance`): at or above this acceptance
	// the acceptance signal is healthy. The acceptance is judged at the
	// upper end of its 90% confidence interval, so that a small sample's
	// noise does not slow a healthy account. (0, 1]. Default 0.20.
	TargetAcceptance float64
	// DangerAcceptance (`danger_acceptance`): at or below this acceptance
	// the acceptance signal's health is 0 and the pace is the floor; in
	// between, health falls linearly. [0, target_acceptance). Default
	// 0.15, the platform's own threshold: the governor slows an account
	// before, with 90% confidence, its list is under it.
	DangerAcceptance float64
	// MaxDecline (`max_decline`): the decline signal is healthy up to half
	// this share of declined invitations and its health is 0 at this
	// share. (0, 1]. Default 0.30.
	MaxDecline float64
	// PendingStart (`pending_start`): the pending signal is healthy while
	// the invitations pending for at least min_age (piled up, never
	// answered) stay under this share of the account's max_pending; its
	// health falls linearly to 0 when they reach max_pending. [0, 1).
	// Default 0.6.
	PendingStart float64
	// Floor (`floor`) is the lowest pace factor: the weekly and daily caps
	// are multiplied by a factor between floor (health 0) and 1 (health
	// 1). (0, 1]. Default 0.03: on a list that bad, every invitation
	// brings the platform's judgement closer, and only nearly stopping
	// avoids it (README, "Account safety").
	Floor float64
	// RecoveryStep (`recovery_step`) is how much the pace factor may rise
	// per day as health recovers (it falls at once). (0, 1]. Default 0.1.
	RecoveryStep float64
}

// Defaults of the safety section.
const (
	DefaultSafetyWindow           = 200
	DefaultSafetyMinSample        = 40
	DefaultSafetyMinAge           = 14 * Day
	DefaultSafetyTargetAcceptance = 0.20
	DefaultSafetyDangerAcceptance = 0.15
	DefaultSafetyMaxDecline       = 0.30
	DefaultSafetyPendingStart     = 0.6
	DefaultSafetyFloor            = 0.03
	DefaultSafetyRecoveryStep     = 0.1
)

// Ranges of the safety keys.
const (
	minSafetyWindow = 20
	maxSafetyWindow = 10000
	minSafetyMinAge = Day
	maxSafetyMinAge = 90 * Day
)

// decode reads a safety mapping over s (the defaults, or for an account
// the top-level section) and checks every value and the keys' relations.
func (s *Safety) decode(m *strictyaml.Map) {
	if !m.Present() {
		return
	}
	m.Bool("enabled", &s.Enabled)
	var w int
	if m.Int("window", &w) {
		if w < minSafetyWindow || w > maxSafetyWindow {
			m.Errorf("window", "must be %d to %d invitations, got %d", minSafetyWindow, maxSafetyWindow, w)
		} else {
			s.Window = w
		}
	}
	if positiveInt(m, "min_sample", &w) {
		s.MinSample = w
	}
	var d time.Duration
	if DecodeDuration(m, "min_age", &d) {
		if d < minSafetyMinAge || d > maxSafetyMinAge {
			m.Errorf("min_age", "must be 1d to 90d, got %s", FormatDuration(d))
		} else {
			s.MinAge = d
		}
	}
	share := func(key string, dst *float64, zeroOK, oneOK bool) {
		var v float64
		if !m.Float(key, &v) {
			return
		}
		if v < 0 || v > 1 || (v == 0 && !zeroOK) || (v == 1 && !oneOK) {
			lo, hi := "(0", "1]"
			if zeroOK {
				lo = "[0"
			}
			if !oneOK {
				hi = "1)"
			}
			m.Errorf(key, "must be in %s, %s, got %g", lo, hi, v)
			return
		}
		*dst = v
	}
	share("target_acceptance", &s.TargetAcceptance, false, true)
	share("danger_acceptance", &s.DangerAcceptance, true, false)
	share("max_decline", &s.MaxDecline, false, true)
	share("pending_start", &s.PendingStart, true, false)
	share("floor", &s.Floor, false, true)
	share("recovery_step", &s.RecoveryStep, false, true)
	if s.MinSample > s.Window {
		m.Errorf(firstPresent(m, "min_sample", "window"), "min_sample %d is above window %d", s.MinSample, s.Window)
	}
	if s.DangerAcceptance >= s.TargetAcceptance {
		m.Errorf(firstPresent(m, "danger_acceptance", "target_acceptance"),
			"danger_acceptance %g must be below target_acceptance %g", s.DangerAcceptance, s.TargetAcceptance)
	}
}

// safetyDefaults returns the safety section's defaults.
func safetyDefaults() Safety {
	return Safety{
		Enabled:          true,
		Window:           DefaultSafetyWindow,
		MinSample:        DefaultSafetyMinSample,
		MinAge:           DefaultSafetyMinAge,
		TargetAcceptance: DefaultSafetyTargetAcceptance,
		DangerAcceptance: DefaultSafetyDangerAcceptance,
		MaxDecline:       DefaultSafetyMaxDecline,
		PendingStart:     DefaultSafetyPendingStart,
		Floor:            DefaultSafetyFloor,
		RecoveryStep:     DefaultSafetyRecoveryStep,
	}
}

// safetySchema is the schema of the top-level section (top) or of an
// account's override, whose defaults are the top-level section's values.
func safetySchema(description string, top bool) *strictyaml.Schema {
	withDefault := func(s *strictyaml.Schema, def any) *strictyaml.Schema {
		if !top {
			return s
		}
		return strictyaml.WithDefault(s, def)
	}
	num := func(desc string, lo, hi float64, exLo, exHi bool, def float64) *strictyaml.Schema {
		return withDefault(&strictyaml.Schema{Type: strictyaml.Number, Description: desc,
			Min: strictyaml.Float(lo), Max: strictyaml.Float(hi), ExclusiveMin: exLo, ExclusiveMax: exHi}, def)
	}
	minAgeDefault := ""
	if top {
		minAgeDefault = FormatDuration(DefaultSafetyMinAge)
	}
	return object(description,
		prop("enabled", withDefault(&strictyaml.Schema{Type: strictyaml.Boolean,
			Description: "Lower the account's caps when its health falls; off: health is measured and shown only."}, true)),
		prop("window", withDefault(&strictyaml.Schema{Type: strictyaml.Integer,
			Description: "How many invitations acceptance and declines are measured over, each counted by the share of answers due by its age (1 from min_age).",
			Min:         strictyaml.Float(minSafetyWindow), Max: strictyaml.Float(maxSafetyWindow)}, DefaultSafetyWindow)),
		prop("min_sample", withDefault(intMin("Invitations (counted as for window) needed before acceptance and declines are judged; at most window.", 1), DefaultSafetyMinSample)),
		prop("min_age", DurationSchema("An unanswered invitation this old counts as ignored; 1d to 90d.", minAgeDefault)),
		prop("target_acceptance", num("At or above this acceptance the account is healthy.", 0, 1, true, false, DefaultSafetyTargetAcceptance)),
		prop("danger_acceptance", num("At or below this acceptance the pace is the floor; below target_acceptance.", 0, 1, false, true, DefaultSafetyDangerAcceptance)),
		prop("max_decline", num("Declines are healthy up to half this share, and at the floor at it.", 0, 1, true, false, DefaultSafetyMaxDecline)),
		prop("pending_start", num("Invitations pending for min_age or more start lowering health above this share of max_pending.", 0, 1, false, true, DefaultSafetyPendingStart)),
		prop("floor", num("The lowest pace factor the caps are multiplied by.", 0, 1, true, false, DefaultSafetyFloor)),
		prop("recovery_step", num("How much the pace factor may rise per day as health recovers.", 0, 1, true, false, DefaultSafetyRecoveryStep)),
	)
}
