package config

import (
	"time"
)

// Defaults of settings outside `defaults:` that other packages name.
const (
	DefaultMetricsListen    = "127.0.0.1:2112"
	DefaultWebhookSecretEnv = "OUTREACH_WEBHOOK_SECRET"
	DefaultWebhookTimeout   = 10 * time.Second
)

// DefaultRestrictionPause is how long an account stops after the platform
// refused it for its weekly limit or a restriction (defaults.restriction_pause):
// the one place of this default; the engine and the worker fall back on it.
const DefaultRestrictionPause = 7 * Day

// setDefaults fills in every default of the file's settings, before the
// file is decoded over them. It is the one place defaults are written down
// (the field comments repeat them for readers). Accounts inherit from the
// decoded `defaults:` section as they are decoded; a webhook section starts
// from webhookDefaults.
func (c *Config) setDefaults() {
	c.Metrics.Listen = DefaultMetricsListen
	c.Ledger = Ledger{Retention: DefaultLedgerRetention, SnapshotEvery: DefaultLedgerSnapshotEvery}
	c.Platform.Driver = DriverSandbox
	c.Platform.Sandbox = Sandbox{Seed: 1, AcceptRate: 0.30, DeclineRate: 0.05, DelayScale: 1, ReplyRate: 0.15,
		Restrict: SandboxRestrict{Enabled: true, MinAcceptance: 0.15, Window: 200, MaxPending: 500, Duration: 7 * Day}}
	c.Safety = safetyDefaults()
	c.Defaults = Defaults{
		WithdrawAfter:    21 * Day,
		ReinviteCooldown: 21 * Day,
		ExpireAfter:      180 * Day,
		RestrictionPause: DefaultRestrictionPause,
		MaxPending:       500,
		MinGap:           3 * time.Minute,
		Jitter:           1.0,
		Timezone:         "UTC",
		Location:         time.UTC,
		Days:             WorkWeek,
		Hours:            DefaultHours,
	}
}

// webhookDefaults returns a webhook section with its defaults filled in.
func webhookDefaults() Webhook {
	return Webhook{Signing: SigningStandard, SecretEnv: DefaultWebhookSecretEnv, Timeout: DefaultWebhookTimeout, EventsListen: DefaultEventsListen}
}
