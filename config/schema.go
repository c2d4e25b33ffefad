package config

import (
	"github.com/outreach-scheduler/outreach/internal/strictyaml"
	"github.com/outreach-scheduler/outreach/pacing"
)

// The keys of config.yaml: what the decoder accepts (Parse checks every
// mapping against these objects: an unknown key is an error) and what
// `outreach schema config` writes as a JSON Schema. Decoding code reads
// the values and checks what a schema cannot say (a daily cap above the
// weekly one, exactly one way to reach Redis).

// Schema returns the schema of config.yaml.
func Schema() *strictyaml.Schema { return configSchema }

// JSONSchema returns config.yaml's JSON Schema (draft 2020-12).
func JSONSchema() ([]byte, error) {
	return strictyaml.JSONSchema(configSchema, "outreach config.yaml")
}

// DurationSchema is a duration (ParseDuration) with a description and a
// default ("" for none).
func DurationSchema(description, def string) *strictyaml.Schema {
	s := &strictyaml.Schema{
		Description: description + " Whole numbers with units s, m, h, d or w, e.g. 90s, 3m, 1h30m, 21d, 3w.",
		AnyOf: []*strictyaml.Schema{
			{Type: strictyaml.String, Pattern: `^(0|([0-9]+[smhdw])+)$`},
			{Type: strictyaml.Integer, Const: 0},
		},
	}
	if def != "" {
		s.Default = def
	}
	return s
}

// DaysSchema is a list of working days.
func DaysSchema(description string, def []string) *strictyaml.Schema {
	s := &strictyaml.Schema{
		Type: strictyaml.Array, Description: description, MinItems: 1, Unique: true,
		Items: &strictyaml.Schema{Type: strictyaml.String, Enum: []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}},
	}
	if def != nil {
		s.Default = def
	}
	return s
}

// HoursSchema is a window of working hours, HH:MM-HH:MM.
func HoursSchema(description, def string) *strictyaml.Schema {
	s := &strictyaml.Schema{
		Type: strictyaml.String, Description: description + ` "HH:MM-HH:MM", start before end, e.g. "09:00-18:00".`,
		Pattern: `^\s*[0-9]{1,2}:[0-9]{2}\s*-\s*[0-9]{1,2}:[0-9]{2}\s*$`,
	}
	if def != "" {
		s.Default = def
	}
	return s
}

// TimezoneSchema is an IANA time zone name.
func TimezoneSchema(description, def string) *strictyaml.Schema {
	s := &strictyaml.Schema{Type: strictyaml.String, Description: description + " An IANA time zone such as UTC or Europe/Berlin."}
	if def != "" {
		s.Default = def
	}
	return s
}

func intMin(description string, lo float64) *strictyaml.Schema {
	return &strictyaml.Schema{Type: strictyaml.Integer, Description: description, Min: strictyaml.Float(lo)}
}

func share(description string) *strictyaml.Schema {
	return &strictyaml.Schema{Type: strictyaml.Number, Description: description, Min: strictyaml.Float(0), Max: strictyaml.Float(1)}
}

func hostPort(description string) *strictyaml.Schema {
	return str(description + " host:port.")
}

func envName(description string) *strictyaml.Schema {
	s := str(description + " The name of an environment variable, never the secret itself.")
	s.Pattern = `^[A-Za-z_][A-Za-z0-9_]*$`
	return s
}

func tierNames() []string {
	out := make([]string, len(pacing.Tiers))
	for i, t := range pacing.Tiers {
		out[i] = string(t)
	}
	return out
}

func refusalCodes() []string {
	out := make([]string, len(RefusalCodes))
	for i, c := range RefusalCodes {
		out[i] = string(c)
	}
	return out
}

const idPattern = `^[a-z0-9_-]{1,63}$`

var configSchema = object("outreach's configuration: where state lives, the sender accounts and their limits, and the campaign files.",
	prop("redis", object("Where state and the task queue live. Set at most one of addr, cluster_addrs and sentinel; none: the embedded in-process Redis.",
		prop("addr", hostPort(`A Redis server's address. "" (the default): the embedded in-process Redis, which keeps nothing after exit.`)),
		prop("db", withDefault(intMin("The Redis database number (Redis Cluster has only 0).", 0), 0)),
		prop("username", str("The user name for Redis ACLs.")),
		prop("password_env", envName("The environment variable holding the Redis password.")),
		prop("tls", withDefault(&strictyaml.Schema{Type: strictyaml.Boolean, Description: "Connect with TLS."}, false)),
		prop("cluster_addrs", &strictyaml.Schema{Type: strictyaml.Array, Description: "Seed addresses (host:port) of a Redis Cluster.", MinItems: 1,
			Items: str("host:port")}),
		prop("sentinel", object("Select the master through Redis Sentinel.",
			required("master_name", str("The monitored master's name.")),
			required("addrs", &strictyaml.Schema{Type: strictyaml.Array, Description: "The sentinels' addresses (host:port).", MinItems: 1,
				Items: str("host:port")}),
			prop("password_env", envName("The environment variable holding the sentinels' own password.")),
		)),
	)),
	prop("metrics", object("The Prometheus endpoint.",
		prop("listen", withDefault(hostPort(`Where /metrics is served; "off" or "" disables it.`), DefaultMetricsListen)),
	)),
	prop("platform", object("The driver that talks to the network.",
		prop("driver", withDefault(&strictyaml.Schema{Type: strictyaml.String, Description: "sandbox: the built-in model of the platform, nothing leaves the machine; webhook: actions are POSTed to platform.webhook.url.",
			Enum: []string{DriverSandbox, DriverWebhook}}, DriverSandbox)),
		prop("webhook", object("The webhook driver (required, with a url, when driver is webhook).",
			required("url", str("The http or https endpoint actions are POSTed to.")),
			prop("signing", withDefault(&strictyaml.Schema{Type: strictyaml.String,
				Description: "How requests are signed, both ways: standard (Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature; whsec_ secrets) or outreach-v1 (X-Outreach-Timestamp, X-Outreach-Signature; a raw secret).",
				Enum:        []string{SigningStandard, SigningOutreachV1}}, SigningStandard)),
			prop("secret_env", withDefault(envName("The environment variable holding the HMAC secret: whsec_..., or two (old new) while rotating, with standard signing; the raw secret with outreach-v1."), DefaultWebhookSecretEnv)),
			prop("timeout", DurationSchema("Bounds each request; > 0.", "10s")),
			prop("events_listen", withDefault(hostPort(`Where the signed platform-events endpoint is served; "off": not served.`), DefaultEventsListen)),
		)),
		prop("sandbox", object("The sandbox platform model, used by the sandbox driver and by outreach simulate.",
			prop("seed", withDefault(&strictyaml.Schema{Type: strictyaml.Integer, Description: "Seeds the model's randomness."}, 1)),
			prop("accept_rate", withDefault(share("The share of invitations accepted; accept_rate + decline_rate <= 1."), 0.30)),
			prop("decline_rate", withDefault(share("The share of invitations declined; the rest stay pending."), 0.05)),
			prop("variant_accept_rates", &strictyaml.Schema{Type: strictyaml.Object,
				Description: "accept_rate by note variant name (blank included); each + decline_rate <= 1.",
				KeyPattern:  idPattern, Values: share("The variant's acceptance rate.")}),
			prop("delay_scale", withDefault(&strictyaml.Schema{Type: strictyaml.Number,
				Description: "Multiplies the model's response delays, in (0, 1]: 0.001 shows a day's answers in 86 seconds.",
				Min:         strictyaml.Float(0), ExclusiveMin: true, Max: strictyaml.Float(1)}, 1)),
			prop("reply_rate", withDefault(share("The share of delivered messages the person replies to (once), after a delay on the reply curve scaled by delay_scale."), 0.15)),
			prop("account_accept_rates", &strictyaml.Schema{Type: strictyaml.Object,
				Description: "accept_rate by account id (one of accounts): the quality of its list; a variant's rate still applies, relative to accept_rate. Each + decline_rate <= 1.",
				KeyPattern:  idPattern, Values: share("The account's acceptance rate.")}),
			prop("restrict", object("The model restricts an account by itself, as the platform does, when its recent invitations are mostly not accepted or too many are pending: its invitations are refused restricted for duration.",
				prop("enabled", withDefault(&strictyaml.Schema{Type: strictyaml.Boolean, Description: "Turn the rules on."}, true)),
				prop("min_acceptance", withDefault(share("Restrict an account whose last window counted invitations (answered, withdrawn, expired, or 14 days old unanswered) were accepted less than this share; 0: never."), 0.15)),
				prop("window", withDefault(&strictyaml.Schema{Type: strictyaml.Integer, Description: "How many counted invitations the acceptance rule looks at.",
					Min: strictyaml.Float(1), Max: strictyaml.Float(maxRestrictWindow)}, 200)),
				prop("max_pending", withDefault(intMin("Restrict an account with more pending invitations than this.", 1), 500)),
				prop("duration", DurationSchema("How long a restriction lasts; > 0.", "7d")),
			)),
			prop("refuse", &strictyaml.Schema{Type: strictyaml.Array,
				Description: "Make the model refuse, or fail transiently, the invitations each entry matches (every key given must match).",
				Items: object("One refusal rule.",
					prop("account", &strictyaml.Schema{Type: strictyaml.String, Description: "The sender account (one of accounts); default: every account.", Pattern: idPattern}),
					prop("persons", &strictyaml.Schema{Type: strictyaml.Array, Description: "The people, as in the prospects' key column; default: everyone.",
						Items: str("A person's key (profile URL).")}),
					required("code", &strictyaml.Schema{Type: strictyaml.String, Description: "The platform's answer.", Enum: refusalCodes()}),
					prop("from", str("RFC 3339 time: only invitations at or after it.")),
					prop("until", str("RFC 3339 time: only invitations before it.")),
					prop("rate", withDefault(&strictyaml.Schema{Type: strictyaml.Number, Description: "The share of matching invitations refused, in (0, 1].",
						Min: strictyaml.Float(0), ExclusiveMin: true, Max: strictyaml.Float(1)}, 1)),
					prop("applied", withDefault(&strictyaml.Schema{Type: strictyaml.Boolean,
						Description: "With code unavailable only: the invitation is performed but the answer is lost."}, false)),
				)}),
		)),
	)),
	prop("defaults", object("Settings every account and campaign uses unless it overrides them.",
		prop("withdraw_after", DurationSchema("Pending invitations older than this are withdrawn; > 0.", "21d")),
		prop("reinvite_cooldown", DurationSchema("No new invitation to a person this long after a withdrawal or expiry.", "21d")),
		prop("expire_after", DurationSchema("The platform cancels pending invitations after this long; > 0.", "180d")),
		prop("max_pending", withDefault(intMin("The default ceiling on an account's pending invitations.", 1), 500)),
		prop("min_gap", DurationSchema("The default minimum time between two invitations of an account; > 0.", "3m")),
		prop("jitter", withDefault(&strictyaml.Schema{Type: strictyaml.Number, Description: "Each gap gets a random extra of up to jitter x min_gap.",
			Min: strictyaml.Float(0)}, 1.0)),
		prop("timezone", TimezoneSchema("The accounts' default time zone.", "UTC")),
		prop("days", DaysSchema("The default working days.", []string{"mon", "tue", "wed", "thu", "fri"})),
		prop("hours", HoursSchema("The default working hours.", "09:00-18:00")),
		prop("restriction_pause", DurationSchema("How long an account stops sending after the platform refused for a limit or a restriction; > 0.", "7d")),
	)),
	prop("safety", safetySchema("The safety governor: it lowers an account's weekly and daily caps when its acceptance, declines or piled-up pending invitations drift toward what gets accounts restricted, and restores them gradually.", true)),
	required("accounts", &strictyaml.Schema{Type: strictyaml.Array, Description: "The sender accounts (at least one).", MinItems: 1,
		Items: object("A sender account.",
			required("id", &strictyaml.Schema{Type: strictyaml.String, Description: "The account's name, unique: 1 to 63 of a-z, 0-9, _ and -.", Pattern: idPattern}),
			required("tier", &strictyaml.Schema{Type: strictyaml.String, Description: "The account's subscription: its default limits.", Enum: tierNames()}),
			prop("timezone", TimezoneSchema("The account's time zone; default: defaults.timezone.", "")),
			prop("days", DaysSchema("The account's working days; default: defaults.days.", nil)),
			prop("hours", HoursSchema("The account's working hours, in its time zone; default: defaults.hours.", "")),
			prop("connections", withDefault(&strictyaml.Schema{Type: strictyaml.Integer, Description: "The account's current number of 1st-degree connections.",
				Min: strictyaml.Float(0), Max: strictyaml.Float(pacing.MaxConnections)}, 0)),
			prop("warmup_start", &strictyaml.Schema{Type: strictyaml.String, Description: "YYYY-MM-DD: a warm-up ramp starts at midnight of that day, in the account's time zone.",
				Pattern: `^[0-9]{4}-[0-9]{2}-[0-9]{2}$`}),
			prop("paused", withDefault(&strictyaml.Schema{Type: strictyaml.Boolean,
				Description: "Pause the account when the scheduler starts with this file, as outreach pause account does; false resumes it only when the file said true before."}, false)),
			prop("limits", object("Overrides of the tier's limits.",
				prop("weekly", intMin("Invitations in any rolling 7 days.", 1)),
				prop("daily", intMin("Invitations per calendar day; default weekly/5.", 1)),
				prop("note_chars", intMin("The note length limit, in UTF-16 code units.", 1)),
				prop("notes_per_month", &strictyaml.Schema{Description: `Personalized notes per calendar month, or "unlimited". validate shows how many invitations get the fallback.`,
					AnyOf: []*strictyaml.Schema{{Type: strictyaml.Integer, Min: strictyaml.Float(0)}, {Type: strictyaml.String, Const: "unlimited"}}}),
				prop("max_pending", intMin("The ceiling on pending invitations; default: defaults.max_pending.", 1)),
				prop("min_gap", DurationSchema("The minimum time between two invitations; default: defaults.min_gap.", "")),
			)),
			prop("safety", safetySchema("The account's safety governor: overrides of the top-level safety section's keys.", false)),
		)}),
	prop("campaigns", &strictyaml.Schema{Type: strictyaml.Array, Description: "Globs naming the campaign files, relative to this file's directory.",
		Items: str("A glob such as campaigns/*.yaml.")}),
	prop("ledger", object("The retention of the ledger and its snapshots.",
		prop("retention", DurationSchema("How long ledger entries are kept; at least 1d.", FormatDuration(DefaultLedgerRetention))),
		prop("snapshot_every", DurationSchema("How often a snapshot of the state is written; at least 10s.", FormatDuration(DefaultLedgerSnapshotEvery))),
	)),
	prop("allow_paths", &strictyaml.Schema{Type: strictyaml.Array,
		Description: "Directories, besides this file's own, where campaign files and their CSV files may be.",
		Items:       str("A directory, absolute or relative to this file's directory.")}),
)

// Short names for the schema builders (strictyaml), so that the
// definition below reads as the file does.
var (
	str         = strictyaml.Text
	object      = strictyaml.ObjectOf
	prop        = strictyaml.Optional
	required    = strictyaml.Mandatory
	withDefault = strictyaml.WithDefault
)
