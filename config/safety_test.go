package config

import (
	"testing"
	"time"
)

// TestSafetyDefaults: with no safety section every account gets the
// documented defaults, the governor on.
func TestSafetyDefaults(t *testing.T) {
	cfg, findings, err := Load("testdata/minimal.good.yaml")
	if err != nil || len(findings) > 0 {
		t.Fatal(err, findings)
	}
	want := Safety{Enabled: true, Window: 200, MinSample: 40, MinAge: 14 * Day, TargetAcceptance: 0.20,
		DangerAcceptance: 0.15, MaxDecline: 0.30, PendingStart: 0.6, Floor: 0.03, RecoveryStep: 0.1}
	if cfg.Safety != want {
		t.Errorf("safety = %+v, want %+v", cfg.Safety, want)
	}
	if got := cfg.Account("alice").Safety; got != want {
		t.Errorf("alice's safety = %+v, want %+v", got, want)
	}
}

// TestSafetyOverride: an account's section starts from the top-level one
// and changes only the keys it sets.
func TestSafetyOverride(t *testing.T) {
	cfg, findings := Parse("c.yaml", []byte(`
safety: {window: 200, floor: 0.3, target_acceptance: 0.25}
accounts:
  - {id: alice, tier: premium}
  - id: bob
    tier: free
    safety: {floor: 0.5, min_age: 7d}
`))
	if len(findings) > 0 {
		t.Fatal(findings)
	}
	top := cfg.Safety
	if top.Window != 200 || top.Floor != 0.3 || top.TargetAcceptance != 0.25 || top.MinSample != 40 || !top.Enabled {
		t.Errorf("top-level safety = %+v", top)
	}
	alice, bob := cfg.Account("alice").Safety, cfg.Account("bob").Safety
	if alice != top {
		t.Errorf("alice = %+v, want the top-level %+v", alice, top)
	}
	want := top
	want.Floor, want.MinAge = 0.5, 7*24*time.Hour
	if bob != want {
		t.Errorf("bob = %+v, want %+v", bob, want)
	}
}
