package config

import (
	"slices"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/platform"
)

// TestSandboxRefuseDecoded checks what testdata/sandbox-refuse.good.yaml
// decodes to: defaults (rate 1, open windows), normalized people, times in
// any offset.
func TestSandboxRefuseDecoded(t *testing.T) {
	cfg, findings, err := Load("testdata/sandbox-refuse.good.yaml")
	if err != nil || len(findings) > 0 {
		t.Fatal(err, findings.Strings())
	}
	got := cfg.Platform.Sandbox.Refuse
	if len(got) != 4 {
		t.Fatalf("%d refusals, want 4: %+v", len(got), got)
	}
	day := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	r := got[0]
	if r.Account != "alice" || r.Code != platform.CodeRestricted || !r.From.Equal(day) || !r.Until.Equal(day.Add(24*time.Hour)) ||
		r.Rate != 1 || r.Applied || r.Persons != nil || r.Line != 6 {
		t.Errorf("refuse[0] = %+v", r)
	}
	r = got[1]
	wantPersons := []string{"https://example.com/in/gone-1", "https://example.com/in/gone-2"}
	if r.Account != "" || r.Code != platform.CodeInvalidProfile || !slices.Equal(r.Persons, wantPersons) ||
		!r.From.IsZero() || !r.Until.IsZero() || r.Rate != 1 {
		t.Errorf("refuse[1] = %+v, want persons %q", r, wantPersons)
	}
	if r = got[2]; r.Account != "bob" || r.Code != platform.CodeWeeklyLimit || r.Rate != 0.1 {
		t.Errorf("refuse[2] = %+v", r)
	}
	if r = got[3]; r.Code != platform.CodeUnavailable || !r.Applied || !r.From.IsZero() || !r.Until.Equal(day.Add(time.Hour)) {
		t.Errorf("refuse[3] = %+v", r)
	}
	// Without the key: none.
	cfg, findings, err = Load("testdata/minimal.good.yaml")
	if err != nil || len(findings) > 0 {
		t.Fatal(err, findings.Strings())
	}
	if cfg.Platform.Sandbox.Refuse != nil {
		t.Errorf("minimal config refuses: %+v", cfg.Platform.Sandbox.Refuse)
	}
}
