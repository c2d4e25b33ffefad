package config

import (
	"testing"
)

// TestSandboxRestrictDecoded checks platform.sandbox.restrict and
// account_accept_rates as testdata/full.good.yaml sets them, and their
// defaults in testdata/minimal.good.yaml.
func TestSandboxRestrictDecoded(t *testing.T) {
	cfg, findings, err := Load("testdata/full.good.yaml")
	if err != nil || len(findings) > 0 {
		t.Fatal(err, findings)
	}
	s := cfg.Platform.Sandbox
	if want := (SandboxRestrict{Enabled: true, MinAcceptance: 0.2, Window: 300, MaxPending: 400, Duration: 5 * Day}); s.Restrict != want {
		t.Errorf("restrict = %+v, want %+v", s.Restrict, want)
	}
	if len(s.AccountAcceptRates) != 1 || s.AccountAcceptRates["bob_2"] != 0.1 {
		t.Errorf("account_accept_rates = %v", s.AccountAcceptRates)
	}

	cfg, findings, err = Load("testdata/minimal.good.yaml")
	if err != nil || len(findings) > 0 {
		t.Fatal(err, findings)
	}
	s = cfg.Platform.Sandbox
	if want := (SandboxRestrict{Enabled: true, MinAcceptance: 0.15, Window: 200, MaxPending: 500, Duration: 7 * Day}); s.Restrict != want {
		t.Errorf("default restrict = %+v, want %+v", s.Restrict, want)
	}
	if s.AccountAcceptRates != nil {
		t.Errorf("default account_accept_rates = %v, want none", s.AccountAcceptRates)
	}
}
