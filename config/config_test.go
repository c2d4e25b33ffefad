package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/diag"
	"github.com/outreach-scheduler/outreach/pacing"

	"github.com/outreach-scheduler/outreach/internal/golden"
)

// TestGood loads every testdata/*.good.yaml: no findings at all.
func TestGood(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.good.yaml")
	if len(files) == 0 {
		t.Fatal("no testdata/*.good.yaml")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			cfg, findings, err := Load(f)
			if err != nil {
				t.Fatal(err)
			}
			if len(findings) > 0 {
				t.Errorf("unexpected findings:\n%s", strings.Join(findings.Strings(), "\n"))
			}
			checkUsable(t, cfg)
		})
	}
}

// TestBad loads every testdata/*.bad.yaml and compares its findings, one
// per line, with the .golden file beside it. -update rewrites them.
func TestBad(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.bad.yaml")
	if len(files) == 0 {
		t.Fatal("no testdata/*.bad.yaml")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			_, findings, err := Load(f)
			if err != nil {
				t.Fatal(err)
			}
			if !findings.HasErrors() {
				t.Errorf("a bad file must give an error finding; got %q", findings.Strings())
			}
			compareGolden(t, strings.TrimSuffix(f, ".yaml")+".golden", findings)
		})
	}
	// Every golden file belongs to a bad file.
	goldens, _ := filepath.Glob("testdata/*.golden")
	for _, g := range goldens {
		if !slices.Contains(files, strings.TrimSuffix(g, ".golden")+".yaml") {
			t.Errorf("%s has no .yaml beside it", g)
		}
	}
}

func compareGolden(t *testing.T, path string, findings diag.List) {
	t.Helper()
	golden.Check(t, path, strings.Join(findings.Strings(), "\n")+"\n")
}

// checkUsable asserts what code using a Config without error findings
// relies on.
func checkUsable(t *testing.T, cfg *Config) {
	t.Helper()
	if len(cfg.Accounts) == 0 {
		t.Error("no accounts")
	}
	for _, a := range cfg.Accounts {
		l := a.Limits
		if a.Location == nil || a.Days == 0 || a.Hours.Len() < l.MinGap || a.Line < 1 {
			t.Errorf("account %s: unusable schedule %+v", a.ID, a)
		}
		if l.Weekly <= 0 || l.Daily <= 0 || l.Daily > l.Weekly || l.NoteChars <= 0 || l.MaxPending <= 0 ||
			l.MinGap <= 0 || l.NotesPerMonth < pacing.Unlimited {
			t.Errorf("account %s: bad limits %+v", a.ID, l)
		}
		if cfg.Account(a.ID) == nil {
			t.Errorf("Account(%q) = nil", a.ID)
		}
	}
	if cfg.Defaults.Location == nil {
		t.Error("no defaults location")
	}
	if cfg.Platform.Driver == DriverWebhook && (cfg.Platform.Webhook == nil || cfg.Platform.Webhook.URL == "") {
		t.Error("webhook driver without url")
	}
}

func TestMinimalDefaults(t *testing.T) {
	cfg, findings, err := Load("testdata/minimal.good.yaml")
	if err != nil || len(findings) > 0 {
		t.Fatal(err, findings)
	}
	want := Defaults{
		WithdrawAfter: 21 * Day, ReinviteCooldown: 21 * Day, ExpireAfter: 180 * Day, RestrictionPause: 7 * Day,
		MaxPending: 500, MinGap: 3 * time.Minute, Jitter: 1, Timezone: "UTC", Location: time.UTC,
		Days: WorkWeek, Hours: Hours{9 * time.Hour, 18 * time.Hour},
	}
	if cfg.Defaults != want {
		t.Errorf("defaults = %+v, want %+v", cfg.Defaults, want)
	}
	if cfg.Path != "testdata/minimal.good.yaml" || cfg.Redis.Addr != "" || cfg.Redis.Sentinel != nil ||
		cfg.Metrics.Listen != "127.0.0.1:2112" || cfg.Platform.Driver != "sandbox" || cfg.Platform.Webhook != nil ||
		cfg.Campaigns != nil {
		t.Errorf("config = %+v", cfg)
	}
	if s := cfg.Platform.Sandbox; s.Seed != 1 || s.AcceptRate != 0.30 || s.DeclineRate != 0.05 || s.VariantAcceptRates != nil || s.ReplyRate != 0.15 {
		t.Errorf("sandbox = %+v", s)
	}
	a := cfg.Account("alice")
	wantLimits := pacing.Limits{Weekly: 100, Daily: 20, NoteChars: 200, NotesPerMonth: 5, MaxPending: 500, MinGap: 3 * time.Minute}
	if a == nil || a.Tier != pacing.TierFree || a.Location != time.UTC || a.Timezone != "UTC" || a.Limits != wantLimits ||
		a.Days != WorkWeek || a.Hours != want.Hours || !a.WarmupStart.IsZero() || a.Line != 3 {
		t.Errorf("alice = %+v", a)
	}
	if cfg.Account("nobody") != nil {
		t.Error("Account(nobody) != nil")
	}
}

func TestFull(t *testing.T) {
	cfg, findings, err := Load("testdata/full.good.yaml")
	if err != nil || len(findings) > 0 {
		t.Fatal(err, findings)
	}
	if cfg.Defaults.RestrictionPause != 5*Day {
		t.Errorf("defaults.restriction_pause = %v, want 5d", cfg.Defaults.RestrictionPause)
	}
	r := cfg.Redis
	if r.Addr != "redis.internal:6379" || r.DB != 2 || r.Username != "outreach" || r.PasswordEnv != "REDIS_PASSWORD" || !r.TLS {
		t.Errorf("redis = %+v", r)
	}
	if cfg.Metrics.Listen != "" {
		t.Errorf("metrics.listen = %q, want off", cfg.Metrics.Listen)
	}
	w := cfg.Platform.Webhook
	if cfg.Platform.Driver != "webhook" || w == nil || w.URL != "https://hooks.example.com/outreach" ||
		w.Signing != SigningOutreachV1 || w.SecretEnv != "HOOK_SECRET" || w.Timeout != 90*time.Second || w.EventsListen != "0.0.0.0:8081" {
		t.Errorf("platform = %+v, webhook %+v", cfg.Platform, w)
	}
	s := cfg.Platform.Sandbox
	if s.Seed != 42 || s.AcceptRate != 0.4 || s.DeclineRate != 0.1 || len(s.VariantAcceptRates) != 2 || s.ReplyRate != 0.25 ||
		s.VariantAcceptRates["event"] != 0.5 || s.VariantAcceptRates["blank"] != 0.2 {
		t.Errorf("sandbox = %+v", s)
	}
	d := cfg.Defaults
	if d.WithdrawAfter != 14*Day || d.ReinviteCooldown != 0 || d.ExpireAfter != 182*Day || d.MaxPending != 300 ||
		d.MinGap != 5*time.Minute || d.Jitter != 0.5 || d.Timezone != "Europe/Berlin" || d.Location.String() != "Europe/Berlin" ||
		d.Days.String() != "mon,wed,fri" || d.Hours.String() != "08:30-17:00" {
		t.Errorf("defaults = %+v", d)
	}
	alice := cfg.Account("alice")
	if alice.Timezone != "Europe/Berlin" || alice.Days != d.Days || alice.Hours != d.Hours || alice.Connections != 30 ||
		alice.Limits != (pacing.Limits{Weekly: 150, Daily: 30, NoteChars: 300, NotesPerMonth: pacing.Unlimited, MaxPending: 300, MinGap: 5 * time.Minute}) {
		t.Errorf("alice = %+v", alice)
	}
	bob := cfg.Account("bob_2")
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	if bob.Timezone != "Asia/Tokyo" || bob.Days.String() != "sat,sun" || bob.Hours.String() != "10:00-24:00" ||
		!bob.WarmupStart.Equal(time.Date(2026, 11, 1, 0, 0, 0, 0, tokyo)) || bob.WarmupStart.Location().String() != "Asia/Tokyo" ||
		bob.Limits != (pacing.Limits{Weekly: 30, Daily: 6, NoteChars: 180, NotesPerMonth: 0, MaxPending: 100, MinGap: time.Hour}) {
		t.Errorf("bob = %+v", bob)
	}
	carol := cfg.Account("carol-sn")
	if carol.Limits != (pacing.Limits{Weekly: 200, Daily: 50, NoteChars: 300, NotesPerMonth: pacing.Unlimited, MaxPending: 300, MinGap: 5 * time.Minute}) {
		t.Errorf("carol = %+v", carol.Limits)
	}
	if dave := cfg.Account("dave"); dave.Limits.Weekly != 100 || dave.Limits.Daily != 20 {
		t.Errorf("dave = %+v", dave.Limits)
	}
	if !slices.Equal(cfg.Campaigns, []string{"campaigns/*.yaml", "../../campaigns/testdata/*.good.yaml"}) {
		t.Errorf("campaigns = %q", cfg.Campaigns)
	}
}

// TestWebhookDefaults: a webhook section with only its url takes every
// default, Standard Webhooks signing included.
func TestWebhookDefaults(t *testing.T) {
	cfg, findings, err := Load("testdata/webhook-defaults.good.yaml")
	if err != nil || len(findings) > 0 {
		t.Fatalf("Load: %v %v", err, findings)
	}
	w := cfg.Platform.Webhook
	want := Webhook{URL: "http://127.0.0.1:8380", Signing: SigningStandard, SecretEnv: DefaultWebhookSecretEnv,
		Timeout: DefaultWebhookTimeout, EventsListen: DefaultEventsListen}
	if w == nil || *w != want {
		t.Fatalf("webhook = %+v, want %+v", w, want)
	}
}

func TestRedisModes(t *testing.T) {
	cfg, findings, _ := Load("testdata/redis-sentinel.good.yaml")
	if len(findings) > 0 || cfg.Redis.Sentinel == nil || cfg.Redis.Sentinel.MasterName != "mymaster" ||
		!slices.Equal(cfg.Redis.Sentinel.Addrs, []string{"10.0.0.1:26379", "[::1]:26379"}) || cfg.Redis.Sentinel.PasswordEnv != "SENTINEL_PASSWORD" {
		t.Errorf("sentinel: %+v %v", cfg.Redis.Sentinel, findings)
	}
	cfg, findings, _ = Load("testdata/redis-cluster.good.yaml")
	if len(findings) > 0 || len(cfg.Redis.ClusterAddrs) != 2 {
		t.Errorf("cluster: %+v %v", cfg.Redis, findings)
	}
}

func TestAnchors(t *testing.T) {
	cfg, findings, _ := Load("testdata/anchors.good.yaml")
	if len(findings) > 0 {
		t.Fatal(findings)
	}
	bob := cfg.Account("bob")
	if bob.Days.String() != "sat,sun" || bob.Limits.Weekly != 20 || bob.Limits.MaxPending != 50 || bob.Limits.NoteChars != 300 {
		t.Errorf("bob = %+v", bob)
	}
}

func TestLoadIOError(t *testing.T) {
	cfg, findings, err := Load("testdata/does-not-exist.yaml")
	if err == nil || cfg != nil || findings != nil {
		t.Errorf("Load(missing) = %v, %v, %v; want an I/O error only", cfg, findings, err)
	}
}

func TestCampaignFiles(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"c/b.yaml", "c/a.yaml", "c/sub/x.yaml", "other/z.yaml"} {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	abs := filepath.Join(dir, "other", "*.yaml")
	data := "accounts: [{id: a, tier: free}]\ncampaigns:\n  - c/*.yaml\n  - c/a.yaml\n  - c/[.yaml\n  - nothing/*.yaml\n  - " + abs + "\n  - c/*\n"
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, findings, err := Load(path)
	if err != nil || len(findings) > 0 {
		t.Fatal(err, findings)
	}
	files, findings := cfg.CampaignFiles()
	want := []string{filepath.Join(dir, "c/a.yaml"), filepath.Join(dir, "c/b.yaml"), filepath.Join(dir, "other/z.yaml")}
	if !slices.Equal(files, want) {
		t.Errorf("files = %q, want %q", files, want)
	}
	wantFindings := []string{
		path + `:5: campaigns[2]: bad glob "c/[.yaml": syntax error in pattern`,
		path + `:6: warning: campaigns[3]: "nothing/*.yaml" matches no file`,
	}
	if got := findings.Strings(); !slices.Equal(got, wantFindings) {
		t.Errorf("findings = %q, want %q", got, wantFindings)
	}
	if findings[1].Severity != diag.Warning || findings[0].Severity != diag.Error {
		t.Error("wrong severities")
	}
}
