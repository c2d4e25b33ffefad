package metrics_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/promql/parser"
)

const (
	rulesGlob     = "rules/*.yml"
	ruleTestsGlob = "rules/tests/*.yml"
)

// promtoolPath returns the path of promtool: missing, the test fails in CI
// (CI=true) and is skipped elsewhere.
func promtoolPath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		msg := "promtool not found: install Debian's prometheus package (apt-get install prometheus) to check the rules"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return p
}

func globFiles(t *testing.T, pattern string) []string {
	t.Helper()
	files, err := filepath.Glob(pattern)
	if err != nil || len(files) == 0 {
		t.Fatalf("no files match %s (%v)", pattern, err)
	}
	return files
}

// runPromtool runs promtool with args and returns its output and whether it
// succeeded.
func runPromtool(t *testing.T, args ...string) (string, bool) {
	t.Helper()
	out, err := exec.Command(promtoolPath(t), args...).CombinedOutput()
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatalf("promtool %v: %v", args, err)
		}
		return string(out), false
	}
	return string(out), true
}

func TestPromtool(t *testing.T) {
	promtoolPath(t)
	t.Run("check rules", func(t *testing.T) {
		if out, ok := runPromtool(t, append([]string{"check", "rules"}, globFiles(t, rulesGlob)...)...); !ok {
			t.Errorf("promtool check rules:\n%s", out)
		}
	})
	t.Run("test rules", func(t *testing.T) {
		out, ok := runPromtool(t, append([]string{"test", "rules"}, globFiles(t, ruleTestsGlob)...)...)
		if !ok {
			t.Errorf("promtool test rules:\n%s", out)
		}
		t.Logf("promtool test rules:\n%s", out)
	})
	t.Run("check config", func(t *testing.T) {
		if out, ok := runPromtool(t, "check", "config", "prometheus.yml"); !ok {
			t.Errorf("promtool check config prometheus.yml:\n%s", out)
		}
	})
	// promtool's failures reach the test: a rule that does not parse, and
	// a unit test whose expectation is wrong, both fail.
	t.Run("failures are caught", func(t *testing.T) {
		dir := t.TempDir()
		bad := filepath.Join(dir, "bad.yml")
		writeTestFile(t, bad, "groups:\n  - name: bad\n    rules:\n      - record: a:b:c\n        expr: sum by (account (x)\n")
		if out, ok := runPromtool(t, "check", "rules", bad); ok {
			t.Errorf("promtool check rules passed a bad expression:\n%s", out)
		}
		abs, err := filepath.Abs("rules/outreach.rules.yml")
		if err != nil {
			t.Fatal(err)
		}
		wrong := filepath.Join(dir, "wrong.test.yml")
		writeTestFile(t, wrong, fmt.Sprintf(`rule_files: [%q]
tests:
  - interval: 1m
    input_series:
      - series: 'outreach_pending_invitations{instance="a",campaign="c",account="alice"}'
        values: '10x5'
      - series: 'outreach_pending_invitations{instance="b",campaign="c",account="alice"}'
        values: '10x5'
    promql_expr_test:
      - expr: account:outreach_pending_invitations:sum
        eval_time: 2m
        exp_samples:
          - labels: 'account:outreach_pending_invitations:sum{account="alice"}'
            value: 20
`, abs))
		if out, ok := runPromtool(t, "test", "rules", wrong); ok {
			t.Errorf("promtool test rules passed a wrong expectation (duplicated gauges summed):\n%s", out)
		}
	})
}

func writeTestFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// ruleDef is one rule of a rules file.
type ruleDef struct {
	Record      string            `yaml:"record"`
	Alert       string            `yaml:"alert"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

func loadRules(t *testing.T) []ruleDef {
	t.Helper()
	var all []ruleDef
	for _, f := range globFiles(t, rulesGlob) {
		var rf struct {
			Groups []struct {
				Name  string    `yaml:"name"`
				Rules []ruleDef `yaml:"rules"`
			} `yaml:"groups"`
		}
		readYAMLFile(t, f, &rf)
		if len(rf.Groups) == 0 {
			t.Errorf("%s: no groups", f)
		}
		for _, g := range rf.Groups {
			all = append(all, g.Rules...)
		}
	}
	return all
}

// recordedNames are the series the recording rules write.
func recordedNames(t *testing.T) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, r := range loadRules(t) {
		if r.Record != "" {
			out[r.Record] = true
		}
	}
	return out
}

var (
	recordNameRE = regexp.MustCompile(`^[a-z]+(_[a-z]+)*:outreach_[a-z_]+:[a-z0-9_]+$`)
	// The labels an alert may carry from its expression, and those its
	// annotations may show: never a person.
	alertLabelNames    = []string{"campaign", "account", "variant", "reason", "window", "instance", "job"}
	annotationLabelRef = regexp.MustCompile(`\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)`)
	alertSeverities    = []string{"critical", "warning", "info"}
	groupingLabels     = append([]string{"le", "state"}, alertLabelNames...)
)

// checkRule checks one rule: a level:metric:operations name for records;
// severity, summary and description, and labels naming no person for
// alerts; an expression naming only exported or recorded series.
func checkRule(r ruleDef, exp exportedSet, recorded map[string]bool) []error {
	var errs []error
	name := r.Record + r.Alert
	wrap := func(err error) { errs = append(errs, fmt.Errorf("%s: %w", name, err)) }
	if (r.Record == "") == (r.Alert == "") {
		wrap(fmt.Errorf("want exactly one of record and alert"))
	}
	if r.Record != "" && !recordNameRE.MatchString(r.Record) {
		wrap(fmt.Errorf("not level:metric:operations"))
	}
	for _, err := range checkPromQL(r.Expr, exp, recorded) {
		wrap(err)
	}
	if e, err := parser.NewParser(parser.Options{}).ParseExpr(r.Expr); err == nil {
		parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
			if a, ok := n.(*parser.AggregateExpr); ok {
				if a.Without {
					wrap(fmt.Errorf("aggregates without (...): name the labels kept with by (...)"))
				}
				for _, l := range a.Grouping {
					if !slices.Contains(groupingLabels, l) {
						wrap(fmt.Errorf("aggregates by %q", l))
					}
				}
			}
			return nil
		})
	}
	if r.Alert == "" {
		return errs
	}
	if !slices.Contains(alertSeverities, r.Labels["severity"]) {
		wrap(fmt.Errorf("severity %q, want one of %v", r.Labels["severity"], alertSeverities))
	}
	for k := range r.Labels {
		if k != "severity" {
			wrap(fmt.Errorf("label %q: only severity is set", k))
		}
	}
	for _, a := range []string{"summary", "description"} {
		text := r.Annotations[a]
		if strings.TrimSpace(text) == "" {
			wrap(fmt.Errorf("no %s annotation", a))
		}
		for _, m := range annotationLabelRef.FindAllStringSubmatch(text, -1) {
			if !slices.Contains(alertLabelNames, m[1]) {
				wrap(fmt.Errorf("%s shows label %q", a, m[1]))
			}
		}
	}
	return errs
}

// TestRules checks the rules beyond promtool: names, labels, annotations,
// the series they read, and that the unit tests cover every alert (firing
// and not) and every recording rule.
func TestRules(t *testing.T) {
	rules := loadRules(t)
	exp := exportedMetrics(t)
	recorded := recordedNames(t)
	var alerts, records []string
	for _, r := range rules {
		for _, err := range checkRule(r, exp, recorded) {
			t.Error(err)
		}
		if r.Alert != "" {
			alerts = append(alerts, r.Alert)
		} else {
			records = append(records, r.Record)
		}
	}
	for _, want := range []string{
		"OutreachLowAcceptance", "OutreachAccountPaused", "OutreachWeeklyQuotaNearlyExhausted", "OutreachPendingNearLimit",
		"OutreachDeliveryErrors", "OutreachStatsStale", "OutreachQueueLatencyHigh", "OutreachTargetDown",
		"OutreachIntegrationDown",
	} {
		if !slices.Contains(alerts, want) {
			t.Errorf("no alert %s", want)
		}
	}
	for _, want := range []string{
		"campaign_variant:outreach_acceptance_ratio:7d", "campaign:outreach_acceptance_ratio:7d",
		"account:outreach_pending_invitations:sum", "account_window:outreach_account_quota_used:ratio",
		"campaign:outreach_reply_ratio:7d",
	} {
		if !recorded[want] {
			t.Errorf("no recording rule %s", want)
		}
	}
	// The recording rules read only exported series (none reads another
	// recorded one), so each has data on its own.
	for _, r := range rules {
		if r.Record == "" {
			continue
		}
		for _, err := range checkPromQL(r.Expr, exp, nil) {
			t.Errorf("%s: %v", r.Record, err)
		}
	}

	// Coverage by the promtool unit tests.
	firing, quiet := map[string]bool{}, map[string]bool{}
	var exprs []string
	for _, f := range globFiles(t, ruleTestsGlob) {
		var ut struct {
			Tests []struct {
				AlertRuleTest []struct {
					Alertname string `yaml:"alertname"`
					ExpAlerts []any  `yaml:"exp_alerts"`
				} `yaml:"alert_rule_test"`
				PromqlExprTest []struct {
					Expr string `yaml:"expr"`
				} `yaml:"promql_expr_test"`
			} `yaml:"tests"`
		}
		readYAMLFile(t, f, &ut)
		for _, tc := range ut.Tests {
			for _, a := range tc.AlertRuleTest {
				if len(a.ExpAlerts) > 0 {
					firing[a.Alertname] = true
				} else {
					quiet[a.Alertname] = true
				}
			}
			for _, e := range tc.PromqlExprTest {
				exprs = append(exprs, e.Expr)
			}
		}
	}
	for _, a := range alerts {
		if !firing[a] || !quiet[a] {
			t.Errorf("alert %s: tested firing %v, not firing %v; want both", a, firing[a], quiet[a])
		}
	}
	for _, r := range records {
		if !slices.ContainsFunc(exprs, func(e string) bool { return strings.Contains(e, r) }) {
			t.Errorf("recording rule %s: no promql_expr_test", r)
		}
	}

	t.Run("bad rules are caught", func(t *testing.T) {
		bad := map[string]ruleDef{
			"misspelled metric": {Record: "account:outreach_pending_invitations:sum", Expr: "sum by (account) (max by (campaign, account) (outreach_pending_invitation))"},
			"bad record name":   {Record: "outreach_pending_by_account", Expr: "sum by (account) (outreach_pending_invitations)"},
			"label it lacks":    {Record: "a:outreach_x:max", Expr: `max by (account) (outreach_acceptance_ratio{account="alice"})`},
			"no severity":       {Alert: "X", Expr: "outreach_account_paused == 1", Annotations: map[string]string{"summary": "s", "description": "d"}},
			"no description":    {Alert: "X", Expr: "outreach_account_paused == 1", Labels: map[string]string{"severity": "info"}, Annotations: map[string]string{"summary": "s"}},
			"person label":      {Alert: "X", Expr: "max by (person) (outreach_account_paused) == 1", Labels: map[string]string{"severity": "info"}, Annotations: map[string]string{"summary": "{{ $labels.person }}", "description": "d"}},
			"without":           {Record: "a:outreach_x:max", Expr: "max without (instance) (outreach_account_paused)"},
		}
		for what, r := range bad {
			if errs := checkRule(r, exp, recorded); len(errs) == 0 {
				t.Errorf("%s: %+v passed", what, r)
			}
		}
	})
}
