package config

import (
	"os"
	"time"

	"github.com/outreach-scheduler/outreach/diag"
	"github.com/outreach-scheduler/outreach/pacing"
)

// Config is config.yaml, decoded and validated. See the package doc for the
// file's shape; each field's comment gives its YAML key and default.
type Config struct {
	// Path is the file as given to Load.
	Path string
	// Redis (`redis`) is where state and the task queue live.
	// Default: the embedded in-process Redis.
	Redis Redis
	// Metrics (`metrics`) is the Prometheus endpoint.
	Metrics Metrics
	// Ledger (`ledger`) is the retention of the ledger and its snapshots.
	Ledger Ledger
	// Platform (`platform`) is the driver that talks to the network.
	Platform Platform
	// Defaults (`defaults`) apply to every account and campaign unless
	// they override them.
	Defaults Defaults
	// Safety (`safety`) is the safety governor of every account (an
	// account's `safety` overrides it); see Safety for each key's default.
	Safety Safety
	// Accounts (`accounts`, required, at least one) are the sender accounts.
	Accounts []Account
	// Campaigns (`campaigns`) are globs naming campaign files, as written,
	// relative to the config file's directory; see CampaignFiles.
	// Default: none.
	Campaigns []string
	// AllowPaths (`allow_paths`) are directories, absolute or relative to
	// the config file's directory, where campaign files and the CSV files
	// they name may be besides the config file's own directory (see
	// CheckPath; symlinks are followed). Default: none, only the config
	// file's directory and below.
	AllowPaths []string

	campaignLines []int // line of each glob, for CampaignFiles' findings
}

// Redis is the `redis` section. Exactly one of Addr, ClusterAddrs and
// Sentinel may be set; none set means the embedded Redis.
type Redis struct {
	// Addr (`addr`) is host:port of a Redis server. Default "": the embedded
	// in-process Redis (state is lost on exit; for trying things out).
	Addr string
	// DB (`db`) is the database number, >= 0. Default 0. Redis Cluster has
	// only database 0.
	DB int
	// Username (`username`) for Redis ACLs. Default "": none.
	Username string
	// PasswordEnv (`password_env`) names the environment variable holding
	// the password (never the password itself). Default "": none.
	PasswordEnv string
	// TLS (`tls`) connects with TLS. Default false.
	TLS bool
	// ClusterAddrs (`cluster_addrs`) are host:port seeds of a Redis Cluster.
	// Default: none.
	ClusterAddrs []string
	// Sentinel (`sentinel`) selects the master through Redis Sentinel.
	// Default nil: no Sentinel.
	Sentinel *Sentinel
}

// Sentinel is the `redis.sentinel` section.
type Sentinel struct {
	// MasterName (`master_name`, required) is the monitored master's name.
	MasterName string
	// Addrs (`addrs`, required, non-empty) are host:port of the sentinels.
	Addrs []string
	// PasswordEnv (`password_env`) names the environment variable holding
	// the sentinels' own password. Default "": none.
	PasswordEnv string
}

// Metrics is the `metrics` section.
type Metrics struct {
	// Listen (`listen`) is the host:port serving /metrics.
	// Default DefaultMetricsListen (127.0.0.1:2112). Writing `off` or ""
	// disables the endpoint: Listen is then "".
	Listen string
}

// Platform is the `platform` section.
type Platform struct {
	// Driver (`driver`) is DriverSandbox or DriverWebhook. Default sandbox.
	Driver string
	// Webhook (`webhook`) configures the webhook driver; required (with a
	// url) when Driver is webhook, ignored otherwise. Default nil.
	Webhook *Webhook
	// Sandbox (`sandbox`) is the platform model used by the sandbox driver
	// and by `outreach simulate` (whatever the driver).
	Sandbox Sandbox
}

// The platform drivers.
const (
	DriverSandbox = "sandbox"
	DriverWebhook = "webhook"
)

// The webhook signing schemes (platform.webhook.signing), as package
// platform/webhook names them.
const (
	SigningStandard   = "standard"
	SigningOutreachV1 = "outreach-v1"
)

// Webhook is the `platform.webhook` section.
type Webhook struct {
	// URL (`url`, required) is the http or https endpoint actions are
	// POSTed to.
	URL string
	// Signing (`signing`) is how requests are signed, both ways:
	// SigningStandard (Standard Webhooks: webhook-id, webhook-timestamp,
	// webhook-signature; whsec_ secrets) or SigningOutreachV1 (the
	// X-Outreach-Timestamp and X-Outreach-Signature headers of outreach's
	// first protocol; a raw secret). Default SigningStandard.
	Signing string
	// SecretEnv (`secret_env`) names the environment variable holding the
	// HMAC secret: with standard signing a whsec_ secret, or two (old and
	// new, separated by a comma or a space) while rotating; with
	// outreach-v1 the raw secret. Default DefaultWebhookSecretEnv
	// (OUTREACH_WEBHOOK_SECRET).
	SecretEnv string
	// Timeout (`timeout`) bounds each request, > 0. Default 10s.
	Timeout time.Duration
	// EventsListen (`events_listen`) is host:port of the inbound,
	// signed platform-events endpoint every scheduler serves. Default
	// DefaultEventsListen (127.0.0.1:8081, loopback); "off": not served.
	EventsListen string
}

// Sandbox is the `platform.sandbox` section: the sandbox platform model.
type Sandbox struct {
	// Seed (`seed`) seeds the model's randomness. Default 1.
	Seed int64
	// AcceptRate (`accept_rate`) is the share of invitations accepted, in
	// [0, 1]. Default 0.30.
	AcceptRate float64
	// DeclineRate (`decline_rate`) is the share declined, in [0, 1], with
	// AcceptRate + DeclineRate <= 1; the rest stay pending. Default 0.05.
	DeclineRate float64
	// VariantAcceptRates (`variant_accept_rates`) override AcceptRate by
	// note variant name (`blank` included), each in [0, 1] with
	// rate + DeclineRate <= 1. Default: none.
	VariantAcceptRates map[string]float64
	// DelayScale (`delay_scale`) multiplies the model's response delays, in
	// (0, 1]: 0.001 turns "63% within a day" into "63% within 86 seconds",
	// for demos and tests where acceptances should show within minutes.
	// Default 1 (the delays of docs/domain.md).
	DelayScale float64
	// AccountAcceptRates (`account_accept_rates`) set one account's
	// acceptance (the quality of its list), in [0, 1], by account id (one
	// of accounts), in place of AcceptRate; a variant's rate still
	// applies, relative to AcceptRate (rate x variant rate / accept_rate,
	// at most 1). Default: none.
	AccountAcceptRates map[string]float64
	// Restrict (`restrict`) are the grounds on which the model restricts
	// an account by itself (see SandboxRestrict).
	Restrict SandboxRestrict
	// ReplyRate (`reply_rate`) is the share of delivered messages the
	// person replies to, in [0, 1], after a delay drawn from the reply
	// curve (package responsedelay, scaled by DelayScale); a person
	// replies once. Default 0.15.
	ReplyRate float64
	// Refuse (`refuse`) makes the model refuse invitations, or fail them
	// transiently, on top of its own rules, for given accounts, people,
	// times and rates: to see and test how outreach answers a restriction,
	// a weekly limit, a bad profile or an outage (see SandboxRefusal).
	// Default: none.
	Refuse []SandboxRefusal

	accountRateLines map[string]int // AccountAcceptRates' lines, for checkSandboxAccounts
}

// SandboxRestrict is the `platform.sandbox.restrict` section: the model
// restricts an account, as the real platform does, when its recent
// invitations are mostly not accepted or too many are pending. Each
// invitation counts once, when answered, withdrawn, expired or 14 days
// old unanswered (not accepted). A restricted account's invitations are
// refused `restricted` for Duration (withdrawing does not lift it); its
// acceptance window then starts empty. Package platform/sandbox,
// RestrictionRules, has the details.
type SandboxRestrict struct {
	// Enabled (`enabled`) turns the rules on. Default true, so that a
	// forecast shows what a poor list costs; false: the model restricts
	// only as `refuse` tells it.
	Enabled bool
	// MinAcceptance (`min_acceptance`): an account whose last Window
	// counted invitations were accepted less than this share, in [0, 1],
	// is restricted (0: never). Default 0.15.
	MinAcceptance float64
	// Window (`window`) is how many counted invitations the acceptance
	// rule looks at, 1 to 100000. Default 200.
	Window int
	// MaxPending (`max_pending`): an account with more pending invitations
	// than this, > 0, is restricted. Default 500.
	MaxPending int
	// Duration (`duration`) is how long a restriction lasts, > 0.
	// Default 7d.
	Duration time.Duration
}

// Defaults is the `defaults` section. Every key is optional.
type Defaults struct {
	// WithdrawAfter (`withdraw_after`): pending invitations older than this
	// are withdrawn, > 0. Default 21d.
	WithdrawAfter time.Duration
	// ReinviteCooldown (`reinvite_cooldown`): no new invitation to a person
	// this long after a withdrawal or expiry, >= 0. Default 21d.
	ReinviteCooldown time.Duration
	// ExpireAfter (`expire_after`): the platform cancels pending
	// invitations after this long, > 0. Default 180d.
	ExpireAfter time.Duration
	// RestrictionPause (`restriction_pause`): how long an account stops
	// sending after the platform refused for a limit or a restriction
	// (restrictions usually last a week), > 0. Default 7d.
	RestrictionPause time.Duration
	// MaxPending (`max_pending`): the default ceiling on an account's
	// pending invitations, > 0. Default 500.
	MaxPending int
	// MinGap (`min_gap`): the default minimum time between two invitations
	// of an account, > 0. Default 3m.
	MinGap time.Duration
	// Jitter (`jitter`): each gap gets a random extra of up to
	// Jitter x MinGap, >= 0. Default 1.0.
	Jitter float64
	// Timezone (`timezone`): the accounts' default IANA time zone.
	// Default UTC.
	Timezone string
	// Location is Timezone, loaded.
	Location *time.Location
	// Days (`days`): the default working days. Default mon to fri.
	Days Weekdays
	// Hours (`hours`): the default working hours. Default 09:00-18:00.
	Hours Hours
}

// Account is one entry of `accounts`.
type Account struct {
	// ID (`id`, required) names the account: 1 to 63 of a-z, 0-9, _ and -,
	// unique in the file.
	ID string
	// Tier (`tier`, required) is free, premium or sales_navigator.
	Tier pacing.Tier
	// Timezone (`timezone`) is the account's IANA time zone.
	// Default: defaults.timezone.
	Timezone string
	// Location is Timezone, loaded.
	Location *time.Location
	// Days (`days`) are the account's working days. Default: defaults.days.
	Days Weekdays
	// Hours (`hours`) are the account's working hours, in its time zone.
	// Default: defaults.hours.
	Hours Hours
	// Connections (`connections`) is the account's current number of
	// 1st-degree connections, 0 to pacing.MaxConnections (at the cap the
	// account can only accept, not send: a warning). Default 0.
	Connections int
	// WarmupStart (`warmup_start`, "YYYY-MM-DD") starts a warm-up ramp at
	// midnight of that day in the account's time zone. Default: zero, no
	// warm-up.
	WarmupStart time.Time
	// Paused (`paused`) pauses the account when the scheduler starts with
	// this file, as `outreach pause account` does; false resumes it, but
	// only when the file said true before (the later of the file and the
	// command line wins). Default false.
	Paused bool
	// Safety (`safety`) is the account's safety governor: the top-level
	// `safety` section with the keys the account's own section sets.
	// Default: the top-level section.
	Safety Safety
	// Limits are the account's effective limits: the tier's defaults
	// (pacing.TierDefaults), then defaults.max_pending and defaults.min_gap,
	// then the account's `limits:` overrides (keys weekly, daily,
	// note_chars, notes_per_month, max_pending, min_gap). Daily is
	// Weekly/5 (at least 1) unless overridden; notes_per_month takes
	// `unlimited` (pacing.Unlimited) or a count >= 0.
	Limits pacing.Limits
	// Line is the line of the account in the file.
	Line int
}

// Load reads and decodes the config file at path. The error is only for
// I/O (a missing or unreadable file); problems with the content are
// findings. The Config is returned whenever the error is nil, filled as far
// as the file allowed: use it only when the findings hold no error.
func Load(path string) (*Config, diag.List, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	c, findings := Parse(path, data)
	return c, findings, nil
}

// Account returns the account with the given id, or nil.
func (c *Config) Account(id string) *Account {
	for i := range c.Accounts {
		if c.Accounts[i].ID == id {
			return &c.Accounts[i]
		}
	}
	return nil
}

// AccountIDs returns the ids of the accounts, in file order.
func (c *Config) AccountIDs() []string {
	ids := make([]string, len(c.Accounts))
	for i, a := range c.Accounts {
		ids[i] = a.ID
	}
	return ids
}
