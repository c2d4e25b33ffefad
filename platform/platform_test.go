package platform_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/outreach-scheduler/outreach/platform"
)

// allCodes lists every code of package platform: the refusals and the two
// failures.
var allCodes = append(slices.Clone(platform.RefusalCodes), platform.CodeUnavailable, platform.CodeUnauthorized)

func TestErrorMessage(t *testing.T) {
	if got := (&platform.Error{Code: platform.CodeDuplicate}).Error(); got != "platform: duplicate" {
		t.Errorf("without a message: %q", got)
	}
	if got := platform.Refused(platform.CodeNoteTooLong, "note of %d characters, limit %d", 301, 300).Error(); got != "platform: note_too_long: note of 301 characters, limit 300" {
		t.Errorf("with a message: %q", got)
	}
}

func TestRefused(t *testing.T) {
	e := platform.Refused(platform.CodeCooldown, "until %s", "Monday")
	if e.Code != platform.CodeCooldown || e.Msg != "until Monday" || e.Retryable || e.NotPerformed || e.Fault != "" {
		t.Errorf("Refused = %+v, want a definite refusal with code and message only", e)
	}
}

func TestPause(t *testing.T) {
	for _, c := range allCodes {
		want := c == platform.CodeWeeklyLimit || c == platform.CodeRestricted
		if got := (&platform.Error{Code: c}).Pause(); got != want {
			t.Errorf("Pause of %s = %v, want %v", c, got, want)
		}
	}
}

func TestCodeOf(t *testing.T) {
	refusal := platform.Refused(platform.CodeNotPending, "none")
	for _, tc := range []struct {
		name string
		err  error
		want platform.Code
	}{
		{"nil", nil, ""},
		{"not a platform error", errors.New("boom"), ""},
		{"context", context.Canceled, ""},
		{"a refusal", refusal, platform.CodeNotPending},
		{"wrapped", fmt.Errorf("withdraw k1: %w", refusal), platform.CodeNotPending},
		{"joined", errors.Join(errors.New("first"), refusal), platform.CodeNotPending},
		{"retryable", &platform.Error{Code: platform.CodeUnavailable, Retryable: true}, platform.CodeUnavailable},
	} {
		if got := platform.CodeOf(tc.err); got != tc.want {
			t.Errorf("%s: CodeOf = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestIsRetryable(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"a transport failure: outcome unknown", errors.New("connection reset"), true},
		{"a context that ended", context.DeadlineExceeded, true},
		{"a refusal", platform.Refused(platform.CodeWeeklyLimit, "full"), false},
		{"a wrapped refusal", fmt.Errorf("invite: %w", platform.Refused(platform.CodeDeclined, "no")), false},
		{"unavailable", &platform.Error{Code: platform.CodeUnavailable, Retryable: true}, true},
		{"wrapped unavailable", fmt.Errorf("invite: %w", &platform.Error{Code: platform.CodeUnavailable, Retryable: true}), true},
		{"unauthorized", &platform.Error{Code: platform.CodeUnauthorized, Retryable: true, NotPerformed: true, Fault: platform.FaultAuth}, true},
	} {
		if got := platform.IsRetryable(tc.err); got != tc.want {
			t.Errorf("%s: IsRetryable = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestFaultOf(t *testing.T) {
	timeout := &platform.Error{Code: platform.CodeUnavailable, Retryable: true, Fault: platform.FaultTimeout}
	for _, tc := range []struct {
		name string
		err  error
		want platform.Fault
	}{
		{"nil", nil, ""},
		{"not a platform error", errors.New("boom"), ""},
		{"a refusal", platform.Refused(platform.CodeRestricted, "x"), ""},
		{"the platform unavailable: no fault of the integration", &platform.Error{Code: platform.CodeUnavailable, Retryable: true}, ""},
		{"a fault", timeout, platform.FaultTimeout},
		{"a wrapped fault", fmt.Errorf("deliver: %w", timeout), platform.FaultTimeout},
	} {
		if got := platform.FaultOf(tc.err); got != tc.want {
			t.Errorf("%s: FaultOf = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestIsNotPerformed(t *testing.T) {
	auth := &platform.Error{Code: platform.CodeUnauthorized, Retryable: true, NotPerformed: true, Fault: platform.FaultAuth}
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"not a platform error", errors.New("boom"), false},
		{"refused before anything happened", auth, true},
		{"wrapped", fmt.Errorf("invite: %w", auth), true},
		{"retryable, outcome unknown", &platform.Error{Code: platform.CodeUnavailable, Retryable: true}, false},
		// NotPerformed speaks only of retryable errors: a definite refusal
		// is an answer, not a failure to free.
		{"not retryable", &platform.Error{Code: platform.CodeInvalid, NotPerformed: true}, false},
	} {
		if got := platform.IsNotPerformed(tc.err); got != tc.want {
			t.Errorf("%s: IsNotPerformed = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestFaults(t *testing.T) {
	want := map[platform.Fault]bool{platform.FaultAuth: true, platform.FaultTLS: true, platform.FaultConnection: true,
		platform.FaultTimeout: true, platform.FaultServer: true}
	seen := map[platform.Fault]bool{}
	for _, f := range platform.Faults {
		if !want[f] || seen[f] {
			t.Errorf("Faults has %q: unknown or twice", f)
		}
		seen[f] = true
	}
	if len(seen) != len(want) {
		t.Errorf("Faults = %v, want each of %v once", platform.Faults, want)
	}
}

// TestCodesDistinct: RefusalCodes holds each refusal once, and neither
// failure (allCodes adds them: a duplicate shows here).
func TestCodesDistinct(t *testing.T) {
	seen := map[platform.Code]bool{}
	for _, c := range allCodes {
		if c == "" || seen[c] {
			t.Errorf("code %q: empty or twice", c)
		}
		seen[c] = true
	}
}

func TestAnswerValid(t *testing.T) {
	for _, a := range []platform.Answer{"", platform.AnswerAccepted, platform.AnswerDeclined, platform.AnswerWithdrawn, platform.AnswerExpired} {
		if !a.Valid() {
			t.Errorf("%q: not valid", a)
		}
	}
	for _, a := range []platform.Answer{"pending", "Accepted", "ignored"} {
		if a.Valid() {
			t.Errorf("%q: valid", a)
		}
	}
}

func TestErrNoSentRecordWrapped(t *testing.T) {
	err := fmt.Errorf("sandbox: violations only: %w", platform.ErrNoSentRecord)
	if !errors.Is(err, platform.ErrNoSentRecord) {
		t.Error("a wrapped ErrNoSentRecord is not recognized")
	}
}
