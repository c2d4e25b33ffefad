package config

import (
	"net/url"
	"regexp"
	"time"

	"github.com/outreach-scheduler/outreach/diag"
	"github.com/outreach-scheduler/outreach/internal/strictyaml"
	"github.com/outreach-scheduler/outreach/pacing"
	"go.yaml.in/yaml/v3"
)

// Parse decodes config data as if read from the file path (which only
// names the file in findings and anchors the campaign globs). Findings come
// sorted by line. The Config is always returned, filled as far as the data
// allowed.
func Parse(path string, data []byte) (*Config, diag.List) {
	return parse(strictyaml.New(path), data)
}

// parse is Parse with the decoder given (tests trace it).
func parse(d *strictyaml.Decoder, data []byte) (*Config, diag.List) {
	c := &Config{Path: d.File}
	c.setDefaults()
	if root := d.Parse(data); root != nil {
		c.decode(d, root)
	}
	d.Findings.Sort()
	return c, d.Findings
}

func (c *Config) decode(d *strictyaml.Decoder, root *yaml.Node) {
	m := d.Object(root, "", configSchema)
	c.Redis.decode(m.Object("redis"))
	c.Metrics.decode(m.Object("metrics"))
	c.Ledger.decode(m.Object("ledger"))
	c.Platform.decode(m.Object("platform"))
	// Defaults before accounts, which inherit from them, whatever the
	// order in the file.
	c.Defaults.decode(m.Object("defaults"))
	c.Safety.decode(m.Object("safety")) // before accounts, which inherit it
	c.decodeAccounts(m)
	c.checkSandboxAccounts(d)
	c.decodeAllowPaths(m)
	if items, ok := m.Seq("campaigns"); ok {
		for i, item := range items {
			path := strictyaml.Index("campaigns", i)
			if s, ok := d.String(item, path); ok {
				c.Campaigns = append(c.Campaigns, s)
				c.campaignLines = append(c.campaignLines, item.Line)
			}
		}
	}
}

func (r *Redis) decode(m *strictyaml.Map) {
	var modes []string // the ways to reach Redis that the file sets
	if m.String("addr", &r.Addr) && r.Addr != "" {
		if err := checkHostPort(r.Addr, false); err != nil {
			m.Errorf("addr", "%v", err)
		}
		modes = append(modes, "addr")
	}
	if m.Int("db", &r.DB) && r.DB < 0 {
		m.Errorf("db", "must not be negative, got %d", r.DB)
	}
	m.String("username", &r.Username)
	decodeEnvName(m, "password_env", &r.PasswordEnv)
	m.Bool("tls", &r.TLS)
	if m.Has("cluster_addrs") {
		decodeAddrs(m, "cluster_addrs", &r.ClusterAddrs)
		modes = append(modes, "cluster_addrs")
	}
	if m.Has("sentinel") {
		sm := m.Object("sentinel")
		sm.Required("master_name", "addrs")
		s := &Sentinel{}
		if sm.String("master_name", &s.MasterName) && s.MasterName == "" {
			sm.Errorf("master_name", "must not be empty")
		}
		decodeAddrs(sm, "addrs", &s.Addrs)
		decodeEnvName(sm, "password_env", &s.PasswordEnv)
		r.Sentinel = s
		modes = append(modes, "sentinel")
	}
	for _, mode := range modes[min(1, len(modes)):] {
		m.Errorf(mode, "cannot be used together with redis.%s; set only one of addr, cluster_addrs and sentinel", modes[0])
	}
	if len(r.ClusterAddrs) > 0 && r.DB != 0 {
		m.Errorf("db", "Redis Cluster has only db 0, got %d", r.DB)
	}
}

func (mt *Metrics) decode(m *strictyaml.Map) {
	var s string
	if !m.String("listen", &s) {
		return
	}
	if s == "off" || s == "" {
		mt.Listen = ""
		return
	}
	if err := checkHostPort(s, true); err != nil {
		m.Errorf("listen", "%v (or off to disable)", err)
		return
	}
	mt.Listen = s
}

func (p *Platform) decode(m *strictyaml.Map) {
	m.OneOf("driver", &p.Driver, "driver", DriverSandbox, DriverWebhook)
	if m.Has("webhook") {
		wm := m.Object("webhook")
		w := webhookDefaults()
		if wm.Required("url") && wm.String("url", &w.URL) {
			if u, err := url.Parse(w.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				wm.Errorf("url", "want an http or https URL, got %s", strictyaml.Quote(w.URL))
			}
		}
		wm.OneOf("signing", &w.Signing, "signing scheme", SigningStandard, SigningOutreachV1)
		decodeEnvName(wm, "secret_env", &w.SecretEnv)
		positiveDuration(wm, "timeout", &w.Timeout)
		decodeEventsListen(wm, &w.EventsListen)
		p.Webhook = &w
	} else if p.Driver == DriverWebhook {
		m.Errorf("driver", "driver webhook needs a platform.webhook section with a url")
	}
	p.Sandbox.decode(m.Object("sandbox"))
}

var nameRE = regexp.MustCompile(`^[a-z0-9_-]{1,63}$`)

func (s *Sandbox) decode(m *strictyaml.Map) {
	m.Int64("seed", &s.Seed)
	rate(m.Decoder(), m.Node("accept_rate"), m.KeyPath("accept_rate"), &s.AcceptRate)
	rate(m.Decoder(), m.Node("decline_rate"), m.KeyPath("decline_rate"), &s.DeclineRate)
	if s.AcceptRate+s.DeclineRate > 1+1e-9 {
		m.Decoder().Errorf(m.Line(), m.Path(), "accept_rate %g plus decline_rate %g is above 1", s.AcceptRate, s.DeclineRate)
	}
	rate(m.Decoder(), m.Node("reply_rate"), m.KeyPath("reply_rate"), &s.ReplyRate)
	d := m.Decoder()
	if n := m.Node("delay_scale"); n != nil {
		if v, ok := d.Float(n, m.KeyPath("delay_scale")); ok {
			if !(v > 0 && v <= 1) {
				d.Errorf(n.Line, m.KeyPath("delay_scale"), "delay_scale %g: want a factor above 0 and at most 1", v)
			} else {
				s.DelayScale = v
			}
		}
	}
	for _, e := range d.Entries(m.Node("variant_accept_rates"), m.KeyPath("variant_accept_rates")) {
		if !nameRE.MatchString(e.Key) {
			d.Errorf(e.Line, e.Path, "bad variant name %s: want 1 to 63 of a-z, 0-9, _ and -", strictyaml.Quote(e.Key))
			continue
		}
		var r float64
		if !rate(d, e.Value, e.Path, &r) {
			continue
		}
		if r+s.DeclineRate > 1+1e-9 {
			d.Errorf(e.Value.Line, e.Path, "%g plus decline_rate %g is above 1", r, s.DeclineRate)
		}
		if s.VariantAcceptRates == nil {
			s.VariantAcceptRates = map[string]float64{}
		}
		s.VariantAcceptRates[e.Key] = r
	}
	for _, e := range d.Entries(m.Node("account_accept_rates"), m.KeyPath("account_accept_rates")) {
		var r float64
		if !rate(d, e.Value, e.Path, &r) {
			continue
		}
		if r+s.DeclineRate > 1+1e-9 {
			d.Errorf(e.Value.Line, e.Path, "%g plus decline_rate %g is above 1", r, s.DeclineRate)
		}
		if s.AccountAcceptRates == nil {
			s.AccountAcceptRates, s.accountRateLines = map[string]float64{}, map[string]int{}
		}
		s.AccountAcceptRates[e.Key], s.accountRateLines[e.Key] = r, e.Line
	}
	s.Restrict.decode(m.Object("restrict"))
	decodeRefusals(m, &s.Refuse)
}

func (r *SandboxRestrict) decode(m *strictyaml.Map) {
	m.Bool("enabled", &r.Enabled)
	rate(m.Decoder(), m.Node("min_acceptance"), m.KeyPath("min_acceptance"), &r.MinAcceptance)
	var w int
	if positiveInt(m, "window", &w) {
		if w > maxRestrictWindow {
			m.Errorf("window", "must be at most %d, got %d", maxRestrictWindow, w)
		} else {
			r.Window = w
		}
	}
	positiveInt(m, "max_pending", &r.MaxPending)
	positiveDuration(m, "duration", &r.Duration)
}

// maxRestrictWindow bounds platform.sandbox.restrict.window (the model
// keeps that many outcomes an account).
const maxRestrictWindow = 100000

// rate decodes a share in [0, 1]; n may be nil (absent).
func rate(d *strictyaml.Decoder, n *yaml.Node, path string, dst *float64) bool {
	if n == nil {
		return false
	}
	v, ok := d.Float(n, path)
	if !ok {
		return false
	}
	if v < 0 || v > 1 {
		d.Errorf(n.Line, path, "must be between 0 and 1, got %g", v)
		return false
	}
	*dst = v
	return true
}

func (df *Defaults) decode(m *strictyaml.Map) {
	positiveDuration(m, "withdraw_after", &df.WithdrawAfter)
	DecodeDuration(m, "reinvite_cooldown", &df.ReinviteCooldown)
	positiveDuration(m, "expire_after", &df.ExpireAfter)
	positiveDuration(m, "restriction_pause", &df.RestrictionPause)
	positiveInt(m, "max_pending", &df.MaxPending)
	positiveDuration(m, "min_gap", &df.MinGap)
	var j float64
	if m.Float("jitter", &j) {
		if j < 0 {
			m.Errorf("jitter", "must not be negative, got %g", j)
		} else {
			df.Jitter = j
		}
	}
	DecodeTimezone(m, "timezone", &df.Timezone, &df.Location)
	DecodeDays(m, "days", &df.Days)
	DecodeHours(m, "hours", &df.Hours)
	if msg, ok := CheckWindow(df.Hours, df.MinGap); !ok {
		m.Errorf(firstPresent(m, "hours", "min_gap"), "%s", msg)
	}
	if df.WithdrawAfter >= df.ExpireAfter {
		m.Warnf(firstPresent(m, "withdraw_after", "expire_after"),
			"withdraw_after %s is not before expire_after %s: invitations expire before they are withdrawn",
			FormatDuration(df.WithdrawAfter), FormatDuration(df.ExpireAfter))
	}
}

// firstPresent returns the first of keys present in m, else the last one.
func firstPresent(m *strictyaml.Map, keys ...string) string {
	for _, k := range keys {
		if m.Has(k) {
			return k
		}
	}
	return keys[len(keys)-1]
}

// positiveInt decodes an integer > 0.
func positiveInt(m *strictyaml.Map, key string, dst *int) bool {
	var v int
	if !m.Int(key, &v) {
		return false
	}
	if v <= 0 {
		m.Errorf(key, "must be positive, got %d", v)
		return false
	}
	*dst = v
	return true
}

// positiveDuration decodes a duration > 0.
func positiveDuration(m *strictyaml.Map, key string, dst *time.Duration) bool {
	var v time.Duration
	if !DecodeDuration(m, key, &v) {
		return false
	}
	if v <= 0 {
		m.Errorf(key, "must be positive, got %s", FormatDuration(v))
		return false
	}
	*dst = v
	return true
}

var accountIDRE = regexp.MustCompile(`^[a-z0-9_-]{1,63}$`)

func (c *Config) decodeAccounts(root *strictyaml.Map) {
	d := root.Decoder()
	items, ok := root.Seq("accounts")
	if !root.Required("accounts") || !ok {
		return
	}
	if len(items) == 0 {
		root.Errorf("accounts", "no accounts; define at least one")
		return
	}
	first := map[string]int{} // id -> line
	for i, n := range items {
		path := strictyaml.Index("accounts", i)
		m := d.Object(n, path, root.ItemSchema("accounts"))
		a := c.decodeAccount(m)
		if a.ID != "" {
			if line, dup := first[a.ID]; dup {
				m.Errorf("id", "duplicate account %q (first on line %d)", a.ID, line)
			} else {
				first[a.ID] = m.ValueLine("id")
			}
		}
		c.Accounts = append(c.Accounts, a)
	}
}

func (c *Config) decodeAccount(m *strictyaml.Map) Account {
	def := &c.Defaults
	a := Account{Timezone: def.Timezone, Location: def.Location, Days: def.Days, Hours: def.Hours, Line: m.Line()}
	m.Required("id", "tier")
	if m.String("id", &a.ID) && !accountIDRE.MatchString(a.ID) {
		m.Errorf("id", "bad account id %s: want 1 to 63 of a-z, 0-9, _ and -", strictyaml.Quote(a.ID))
		a.ID = ""
	}
	var tier string
	tiers := make([]string, len(pacing.Tiers))
	for i, t := range pacing.Tiers {
		tiers[i] = string(t)
	}
	tierOK := m.OneOf("tier", &tier, "tier", tiers...)
	a.Tier = pacing.Tier(tier)
	DecodeTimezone(m, "timezone", &a.Timezone, &a.Location)
	DecodeDays(m, "days", &a.Days)
	DecodeHours(m, "hours", &a.Hours)
	if m.Int("connections", &a.Connections) {
		switch n := a.Connections; {
		case n < 0:
			m.Errorf("connections", "must not be negative, got %d", n)
		case n > pacing.MaxConnections:
			m.Errorf("connections", "%d is above the platform's cap of %d", n, pacing.MaxConnections)
		case n == pacing.MaxConnections:
			m.Warnf("connections", "%d is the platform's cap: the account can accept invitations but not send any", n)
		}
	}
	m.Bool("paused", &a.Paused)
	var ws string
	if m.String("warmup_start", &ws) {
		if t, err := time.ParseInLocation(time.DateOnly, ws, a.Location); err != nil {
			m.Errorf("warmup_start", "want a date YYYY-MM-DD, got %s", strictyaml.Quote(ws))
		} else {
			a.WarmupStart = t
		}
	}
	lm := m.Object("limits")
	a.Limits = decodeLimits(lm, a.Tier, tierOK, def)
	a.Safety = c.Safety
	a.Safety.decode(m.Object("safety"))
	if m.Has("hours") || lm.Has("min_gap") {
		if msg, ok := CheckWindow(a.Hours, a.Limits.MinGap); !ok {
			if m.Has("hours") {
				m.Errorf("hours", "%s", msg)
			} else {
				lm.Errorf("min_gap", "%s", msg)
			}
		}
	}
	return a
}

// decodeLimits returns the effective limits: the tier's, then the
// defaults', then the overrides in m.
func decodeLimits(m *strictyaml.Map, tier pacing.Tier, tierOK bool, def *Defaults) pacing.Limits {
	var l pacing.Limits
	if tierOK {
		l, _ = pacing.TierDefaults(tier)
	}
	l.MaxPending, l.MinGap = def.MaxPending, def.MinGap
	positiveInt(m, "weekly", &l.Weekly)
	dailySet := positiveInt(m, "daily", &l.Daily)
	positiveInt(m, "note_chars", &l.NoteChars)
	decodeNotesPerMonth(m, &l.NotesPerMonth)
	positiveInt(m, "max_pending", &l.MaxPending)
	positiveDuration(m, "min_gap", &l.MinGap)
	switch {
	case !dailySet:
		l.Daily = max(1, l.Weekly/5)
	case l.Weekly > 0 && l.Daily > l.Weekly:
		m.Errorf("daily", "%d is above the weekly cap %d", l.Daily, l.Weekly)
	}
	return l
}

// decodeNotesPerMonth decodes a count >= 0 or "unlimited".
func decodeNotesPerMonth(m *strictyaml.Map, dst *int) {
	const key = "notes_per_month"
	n := m.Node(key)
	if n == nil {
		return
	}
	d, path := m.Decoder(), m.KeyPath(key)
	if n.Kind == yaml.ScalarNode && n.Value == "unlimited" {
		*dst = pacing.Unlimited
		return
	}
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
		d.TypeError(n, path, `an integer or "unlimited"`)
		return
	}
	v, ok := d.Int(n, path)
	if !ok {
		return
	}
	if v < 0 {
		m.Errorf(key, `must be 0 or more, or "unlimited", got %d`, v)
		return
	}
	*dst = v
}
