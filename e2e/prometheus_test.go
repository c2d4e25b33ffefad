package e2e

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/outreach-scheduler/outreach/internal/redistest"
	"github.com/outreach-scheduler/outreach/ledger"
)

// TestPrometheusSeesWhatTheDashboardShows runs `outreach run` delivering to
// the in-process sandbox (answers sped up with delay_scale) on a real
// redis-server, and a real Prometheus (Debian's package) scraping it every
// second with the shipped recording and alerting rules loaded. Once data
// flows it evaluates every expression of the Grafana dashboard and of the
// recording rules through Prometheus's HTTP API, each must return data,
// and the acceptance ratio Prometheus holds must equal accepted / sent
// computed from the ledger.
func TestPrometheusSeesWhatTheDashboardShows(t *testing.T) {
	if testing.Short() {
		t.Skip("the Prometheus end-to-end run takes about two minutes")
	}
	promBin, err := exec.LookPath("prometheus")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("prometheus is not installed (Debian package prometheus); .ci/run installs it")
		}
		t.Skip("prometheus is not installed (apt-get install prometheus)")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "outreach")
	build := exec.Command("go", "build", "-o", bin, "../cmd/outreach")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		t.Fatalf("building the binary: %v", err)
	}
	rs := redistest.Start(t)
	metricsPort, promPort := freePort(t), freePort(t)

	var people strings.Builder
	people.WriteString("profile_url,first_name\n")
	for i := 0; i < 80; i++ {
		fmt.Fprintf(&people, "https://example.com/in/person-%d,P%d\n", i, i)
	}
	rules, err := filepath.Glob(mustAbs(t, "../metrics/rules/*.yml"))
	if err != nil || len(rules) == 0 {
		t.Fatalf("no rule files in metrics/rules: %v", err)
	}
	files := map[string]string{
		"p.csv": people.String(),
		"config.yaml": fmt.Sprintf(`
redis:
  addr: %s
metrics:
  listen: 127.0.0.1:%d
platform:
  driver: sandbox
  sandbox:
    accept_rate: 0.5
    decline_rate: 0.1
    variant_accept_rates: {hi: 0.7, hello: 0.3}
    delay_scale: 0.00002  # a day of answers in 1.7 s, all of them within 52 s: the ratio settles
defaults:
  min_gap: 1s
  jitter: 0.5
  days: [mon, tue, wed, thu, fri, sat, sun]
  hours: "00:00-24:00"
accounts:
  - {id: alice, tier: premium, limits: {weekly: 1000000, daily: 500000}}
  - {id: bob, tier: premium, limits: {weekly: 1000000, daily: 500000}}
campaigns: [c.yaml]
`, rs.Addr(), metricsPort),
		"c.yaml": `name: c
accounts: [alice, bob]
prospects: {csv: p.csv}
steps:
  - connect:
      note:
        variants:
          - {name: hi, text: "Hi {{.first_name}}, let's connect."}
          - {name: hello, text: "Hello {{.first_name}}!"}
        fallback: [blank]
  - message:
      wait: 1s
      text: "Thanks for connecting, {{.first_name}}."
`,
		"prometheus.yml": fmt.Sprintf(`
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [%s]
scrape_configs:
  - job_name: outreach
    static_configs:
      - targets: ["127.0.0.1:%d"]
`, strings.Join(rules, ", "), metricsPort),
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run := start(t, bin, dir, "run", "--config", filepath.Join(dir, "config.yaml"), "run", "--progress", "5s")
	prom := start(t, promBin, dir, "prometheus",
		"--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "tsdb"),
		fmt.Sprintf("--web.listen-address=127.0.0.1:%d", promPort))
	api := fmt.Sprintf("http://127.0.0.1:%d", promPort)
	defer func() {
		if t.Failed() {
			for _, n := range []string{"run", "prometheus"} {
				b, _ := os.ReadFile(filepath.Join(dir, n+".log"))
				t.Logf("--- %s log (tail)\n%s", n, tail(string(b), 3000))
			}
		}
		run.stop(t)
		prom.stop(t)
	}()
	waitHTTP(t, api+"/-/ready")

	// Data flows: acceptances, and replies to the messages that follow
	// them (platform.sandbox.reply_rate), have been scraped.
	for _, q := range []struct {
		expr string
		min  float64
	}{{`sum(outreach_invitations_accepted_total)`, 5}, {`sum(outreach_replies_total)`, 1}} {
		waitFor(t, 90*time.Second, q.expr+" in Prometheus", func() (bool, string) {
			v, err := promQuery(api, q.expr)
			if err != nil || len(v) == 0 {
				return false, fmt.Sprint(err)
			}
			return v[0].value >= q.min, fmt.Sprint(v[0].value)
		})
	}

	// Every dashboard and recording-rule expression returns data.
	exprs := dashboardExprs(t, mustAbs(t, "../metrics/dashboards/outreach.json"))
	for _, f := range rules {
		exprs = append(exprs, ruleExprs(t, f)...)
	}
	if len(exprs) < 10 {
		t.Fatalf("only %d expressions in the dashboard and rules", len(exprs))
	}
	var empty []string
	waitFor(t, 60*time.Second, "every expression returning data", func() (bool, string) {
		empty = empty[:0]
		for _, e := range exprs {
			v, err := promQuery(api, e.expr)
			if err != nil {
				t.Errorf("%s: %q: %v", e.where, e.expr, err)
				continue
			}
			if len(v) == 0 {
				empty = append(empty, e.where+": "+e.expr)
			}
		}
		return len(empty) == 0, strings.Join(empty, "\n")
	})
	t.Logf("%d expressions of the dashboard and the recording rules return data", len(exprs))

	// The acceptance ratio Prometheus holds is the ledger's accepted / sent
	// (compared when both read the same state: answers keep arriving).
	led := ledger.New(rs.Client(), "")
	var last string
	waitFor(t, 150*time.Second, "the acceptance ratio matching the ledger", func() (bool, string) {
		sent, accepted := ledgerCounts(t, led)
		v, err := promQuery(api, `outreach_acceptance_ratio`)
		if err != nil {
			return false, err.Error()
		}
		got := map[string]float64{}
		for _, s := range v {
			got[s.labels["campaign"]+"/"+s.labels["variant"]] = s.value
		}
		var diffs []string
		for cv, n := range sent {
			want := float64(accepted[cv]) / float64(n)
			if g, ok := got[cv]; !ok || math.Abs(g-want) > 1e-9 {
				diffs = append(diffs, fmt.Sprintf("%s: prometheus %v, ledger %d/%d", cv, g, accepted[cv], n))
			}
		}
		if len(got) != len(sent) {
			diffs = append(diffs, fmt.Sprintf("prometheus has %d variants, the ledger %d", len(got), len(sent)))
		}
		last = fmt.Sprintf("sent %v accepted %v", sent, accepted)
		return len(diffs) == 0, strings.Join(diffs, "; ")
	})
	t.Logf("acceptance ratio = ledger accepted/sent: %s", last)
}

// waitFor polls cond every second until it holds or d passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		ok, detail := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s within %v: %s", what, d, detail)
		}
		time.Sleep(time.Second)
	}
}

type promSample struct {
	labels map[string]string
	value  float64
}

// promQuery evaluates an instant query.
func promQuery(api, expr string) ([]promSample, error) {
	resp, err := http.Get(api + "/api/v1/query?query=" + url.QueryEscape(expr))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string          `json:"resultType"`
			Result     json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, err
	}
	if body.Status != "success" {
		return nil, fmt.Errorf("%s", body.Error)
	}
	switch body.Data.ResultType {
	case "vector":
		var vs []struct {
			Metric map[string]string `json:"metric"`
			Value  [2]any            `json:"value"`
		}
		if err := json.Unmarshal(body.Data.Result, &vs); err != nil {
			return nil, err
		}
		out := make([]promSample, 0, len(vs))
		for _, v := range vs {
			var f float64
			fmt.Sscan(fmt.Sprint(v.Value[1]), &f)
			out = append(out, promSample{labels: v.Metric, value: f})
		}
		return out, nil
	case "scalar":
		return []promSample{{}}, nil
	}
	return nil, fmt.Errorf("unexpected result type %s", body.Data.ResultType)
}

type namedExpr struct{ where, expr string }

// grafanaVars are the dashboard's variables, as Grafana would expand them
// for "All".
var grafanaVars = strings.NewReplacer(
	"${campaign}", ".*", "$campaign", ".*", "${account}", ".*", "$account", ".*",
	"$__rate_interval", "1m", "$__interval", "15s", "$__range", "1h",
)

// dashboardExprs returns every panel target's expression, variables
// expanded.
func dashboardExprs(t *testing.T, path string) []namedExpr {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	type panel struct {
		Title   string `json:"title"`
		Targets []struct {
			RefID string `json:"refId"`
			Expr  string `json:"expr"`
		} `json:"targets"`
		Panels []json.RawMessage `json:"panels"`
	}
	var d struct {
		Panels []json.RawMessage `json:"panels"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	var out []namedExpr
	var walk func([]json.RawMessage)
	walk = func(ps []json.RawMessage) {
		for _, raw := range ps {
			var p panel
			if err := json.Unmarshal(raw, &p); err != nil {
				t.Fatal(err)
			}
			for _, tg := range p.Targets {
				if tg.Expr != "" {
					out = append(out, namedExpr{fmt.Sprintf("dashboard %q %s", p.Title, tg.RefID), grafanaVars.Replace(tg.Expr)})
				}
			}
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	return out
}

// ruleExprs returns the expressions of a rule file's recording rules.
func ruleExprs(t *testing.T, path string) []namedExpr {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Groups []struct {
			Rules []struct {
				Record string `yaml:"record"`
				Expr   string `yaml:"expr"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	var out []namedExpr
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			if r.Record != "" {
				out = append(out, namedExpr{"rule " + r.Record, r.Expr})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].where < out[j].where })
	return out
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
