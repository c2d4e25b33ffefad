package metrics_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/redis/go-redis/v9"
	"go.yaml.in/yaml/v3"

	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/lifecycle"
	"github.com/outreach-scheduler/outreach/metrics"
	"github.com/outreach-scheduler/outreach/pacing"
	"github.com/outreach-scheduler/outreach/wire"
)

const dashboardPath = "dashboards/outreach.json"

// exportTestConfig is a small valid config: two accounts.
const exportTestConfig = `
accounts:
  - id: alice
    tier: premium
  - id: bob
    tier: free
`

// exportedSet is what a process exports: every series name PromQL can select
// (a histogram's _bucket, _sum and _count, a summary's _sum and _count),
// with the label names of its series.
type exportedSet map[string]map[string]bool

// gatherAllMetrics registers every metric the daemons export on a fresh registry,
// with data in each (durable stats in a miniredis, an event of each kind, a
// queue), and gathers them.
func gatherAllMetrics(t *testing.T) []*dto.MetricFamily {
	t.Helper()
	ctx := context.Background()
	cfg, fs := config.Parse("test.yaml", []byte(exportTestConfig))
	if fs.HasErrors() {
		t.Fatalf("test config: %v", fs.Strings())
	}
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { rdb.Close() })

	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	sent := now.Add(-2 * time.Hour)
	evs := []metrics.Lifecycle{
		{T: sent, Type: lifecycle.EvInvited, Campaign: "cold", Account: "alice", Variant: "topic"},
		{T: sent, Type: lifecycle.EvInvited, Campaign: "cold", Account: "alice", Variant: "blank"},
		{T: sent, Type: lifecycle.EvInvited, Campaign: "cold", Account: "bob", Variant: "topic"},
		{T: sent, Type: lifecycle.EvInvited, Campaign: "cold", Account: "bob", Variant: "topic"},
		{T: now, Type: lifecycle.EvAccepted, Campaign: "cold", Account: "alice", Variant: "topic", Invited: sent},
		{T: now, Type: lifecycle.EvDeclined, Campaign: "cold", Account: "alice", Variant: "blank", Invited: sent},
		{T: now, Type: lifecycle.EvWithdrawn, Campaign: "cold", Account: "bob", Variant: "topic", Invited: sent},
		{T: now, Type: lifecycle.EvExpired, Campaign: "cold", Account: "bob", Variant: "topic", Invited: sent},
		{T: now, Type: lifecycle.EvMessaged, Campaign: "cold", Account: "alice"},
		{T: now, Type: lifecycle.EvReplied, Campaign: "cold", Account: "alice"},
	}
	stats := metrics.NewStats(rdb, "")
	var b metrics.Batch
	for _, ev := range evs {
		b.Add(ev)
	}
	b.SetOldest("alice", sent)
	b.SetVariant("c", "hi", metrics.VariantEstimate{Rate: 0.3, Low: 0.2, High: 0.4, PBest: 0.9})
	if err := stats.Commit(ctx, "", "1-0", &b, now); err != nil {
		t.Fatal(err)
	}

	lim := pacing.NewMemLimiter()
	a := cfg.Account("alice")
	rules := pacing.RulesFor(a.Limits, a.WarmupStart, a.Location, sent)
	if d, err := lim.Reserve(ctx, pacing.Request{Account: "alice", ID: "cold/ann/0", At: sent, Rules: rules}); err != nil || !d.Granted {
		t.Fatalf("reserve: %+v %v", d, err)
	}

	reg := metrics.NewRegistry()
	events := metrics.NewEvents(reg)
	events.Init("cold", cfg.AccountIDs(), []string{"topic", "blank"})
	for _, ev := range evs {
		events.Observe(ev)
	}
	metrics.NewDelivery(reg, cfg.AccountIDs())
	reg.MustRegister(metrics.NewCollector(metrics.CollectorOptions{
		Config: cfg, Stats: stats, Limiter: lim, Now: func() time.Time { return now },
		Queue: func(context.Context) (metrics.QueueStats, error) {
			return metrics.QueueStats{Pending: 1, Scheduled: 5, Latency: 2 * time.Second, Processed: 10, Failed: 1}, nil
		},
		Ledger: func(context.Context) (metrics.LedgerStats, error) {
			return metrics.LedgerStats{Entries: 12, SnapshotAt: now.Add(-time.Minute), SnapshotBytes: 4096}, nil
		},
		Pauses:    func(context.Context) ([]wire.Command, error) { return nil, nil },
		Campaigns: []string{"cold"},
	}))
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	return mfs
}

// exportedSeries builds the exported set of the gathered families.
func exportedSeries(mfs []*dto.MetricFamily) exportedSet {
	out := exportedSet{}
	add := func(name string, m *dto.Metric, extra ...string) {
		if out[name] == nil {
			out[name] = map[string]bool{}
		}
		for _, l := range m.GetLabel() {
			out[name][l.GetName()] = true
		}
		for _, l := range extra {
			out[name][l] = true
		}
	}
	for _, mf := range mfs {
		n := mf.GetName()
		for _, m := range mf.GetMetric() {
			switch mf.GetType() {
			case dto.MetricType_HISTOGRAM:
				add(n+"_bucket", m, "le")
				add(n+"_sum", m)
				add(n+"_count", m)
			case dto.MetricType_SUMMARY:
				add(n, m, "quantile")
				add(n+"_sum", m)
				add(n+"_count", m)
			default:
				add(n, m)
			}
		}
	}
	return out
}

// exportedMetrics is the exported set of a registry with every metric.
func exportedMetrics(t *testing.T) exportedSet {
	t.Helper()
	return exportedSeries(gatherAllMetrics(t))
}

// grafanaVars are the Grafana variables an expression may use, and what
// they stand for when the expression is checked.
var grafanaVars = map[string]string{
	"campaign": ".*", "account": ".*",
	"__rate_interval": "1m", "__interval": "15s", "__range": "1h",
}

var grafanaVarRef = regexp.MustCompile(`\$(\{([A-Za-z_][A-Za-z0-9_]*)(:[a-z]+)?\}|([A-Za-z_][A-Za-z0-9_]*))`)

// substituteGrafanaVars replaces the Grafana variables of expr; an unknown one is an
// error.
func substituteGrafanaVars(expr string) (string, error) {
	var bad []string
	out := grafanaVarRef.ReplaceAllStringFunc(expr, func(ref string) string {
		m := grafanaVarRef.FindStringSubmatch(ref)
		name := m[2] + m[4]
		v, ok := grafanaVars[name]
		if !ok {
			bad = append(bad, ref)
			return ref
		}
		return v
	})
	if bad != nil {
		return "", fmt.Errorf("unknown Grafana variables %v (allowed: $campaign, $account, $__rate_interval, $__interval, $__range)", bad)
	}
	return out, nil
}

// allowedUnexported are series PromQL may name that no daemon exports.
var allowedUnexported = map[string]bool{"up": true}

// checkPromQL parses a PromQL expression and checks that every selector names
// an exported metric (with only labels it has), a recorded one, or up.
func checkPromQL(expr string, exp exportedSet, recorded map[string]bool) []error {
	e, err := parser.NewParser(parser.Options{}).ParseExpr(expr)
	if err != nil {
		return []error{fmt.Errorf("%q: %v", expr, err)}
	}
	var errs []error
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		vs, ok := n.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		name := vs.Name
		if name == "" {
			errs = append(errs, fmt.Errorf("%q: selector %s has no metric name", expr, vs))
			return nil
		}
		labels, isExported := exp[name]
		switch {
		case isExported:
			for _, m := range vs.LabelMatchers {
				if m.Name != "__name__" && !labels[m.Name] {
					errs = append(errs, fmt.Errorf("%q: %s has no label %q (it has %v)", expr, name, m.Name, sortedKeys(labels)))
				}
			}
		case recorded[name], allowedUnexported[name]:
		default:
			errs = append(errs, fmt.Errorf("%q: %s is neither exported nor recorded", expr, name))
		}
		return nil
	})
	return errs
}

func sortedKeys(m map[string]bool) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// grafanaDashboard is the part of the Grafana JSON the tests read.
type grafanaDashboard struct {
	UID           string         `json:"uid"`
	Title         string         `json:"title"`
	SchemaVersion int            `json:"schemaVersion"`
	Panels        []grafanaPanel `json:"panels"`
	Templating    struct {
		List []struct {
			Name       string          `json:"name"`
			Type       string          `json:"type"`
			Query      json.RawMessage `json:"query"`
			Multi      bool            `json:"multi"`
			IncludeAll bool            `json:"includeAll"`
			AllValue   string          `json:"allValue"`
		} `json:"list"`
	} `json:"templating"`
}

// grafanaPanel is a dashboard panel.
type grafanaPanel struct {
	ID         int                       `json:"id"`
	Type       string                    `json:"type"`
	Title      string                    `json:"title"`
	Datasource *json.RawMessage          `json:"datasource"`
	GridPos    *struct{ H, W, X, Y int } `json:"gridPos"`
	Targets    []struct {
		RefID string `json:"refId"`
		Expr  string `json:"expr"`
	} `json:"targets"`
	Panels []grafanaPanel `json:"panels"` // of a collapsed row
}

func loadDashboard(t *testing.T) grafanaDashboard {
	t.Helper()
	data, err := os.ReadFile(dashboardPath)
	if err != nil {
		t.Fatal(err)
	}
	var d grafanaDashboard
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatalf("%s: %v", dashboardPath, err)
	}
	return d
}

// checkPanels checks the panels' structure: unique ids, a title, a grid
// position, targets with unique refIds and an expression, the datasource.
func checkPanels(panels []grafanaPanel) []error {
	var errs []error
	ids := map[int]string{}
	var walk func([]grafanaPanel)
	walk = func(ps []grafanaPanel) {
		for _, p := range ps {
			where := fmt.Sprintf("panel %d %q", p.ID, p.Title)
			if p.ID <= 0 {
				errs = append(errs, fmt.Errorf("%s: no id", where))
			} else if prev, dup := ids[p.ID]; dup {
				errs = append(errs, fmt.Errorf("%s: id also used by %q", where, prev))
			}
			ids[p.ID] = p.Title
			if p.Title == "" {
				errs = append(errs, fmt.Errorf("%s: no title", where))
			}
			if g := p.GridPos; g == nil || g.W <= 0 || g.H <= 0 || g.X < 0 || g.X+g.W > 24 || g.Y < 0 {
				errs = append(errs, fmt.Errorf("%s: bad gridPos %+v", where, g))
			}
			if p.Type == "row" {
				walk(p.Panels)
				continue
			}
			if p.Datasource == nil || !strings.Contains(string(*p.Datasource), `"${datasource}"`) &&
				!strings.Contains(string(*p.Datasource), `"prometheus"`) {
				errs = append(errs, fmt.Errorf("%s: datasource must be ${datasource} or uid prometheus", where))
			}
			if len(p.Targets) == 0 {
				errs = append(errs, fmt.Errorf("%s: no targets", where))
			}
			refs := map[string]bool{}
			for _, tg := range p.Targets {
				if tg.RefID == "" || refs[tg.RefID] {
					errs = append(errs, fmt.Errorf("%s: missing or duplicate refId %q", where, tg.RefID))
				}
				refs[tg.RefID] = true
				if strings.TrimSpace(tg.Expr) == "" {
					errs = append(errs, fmt.Errorf("%s: target %s has no expr", where, tg.RefID))
				}
			}
		}
	}
	walk(panels)
	return errs
}

// dashboardExprs are the panel expressions, by "panel title/refId".
func dashboardExprs(panels []grafanaPanel) map[string]string {
	out := map[string]string{}
	var walk func([]grafanaPanel)
	walk = func(ps []grafanaPanel) {
		for _, p := range ps {
			for _, tg := range p.Targets {
				out[p.Title+"/"+tg.RefID] = tg.Expr
			}
			walk(p.Panels)
		}
	}
	walk(panels)
	return out
}

// checkDashboardExpr substitutes the Grafana variables and checks the
// expression.
func checkDashboardExpr(expr string, exp exportedSet, recorded map[string]bool) []error {
	s, err := substituteGrafanaVars(expr)
	if err != nil {
		return []error{fmt.Errorf("%q: %v", expr, err)}
	}
	return checkPromQL(s, exp, recorded)
}

func TestDashboard(t *testing.T) {
	d := loadDashboard(t)
	if d.UID != "outreach" || d.Title != "outreach" || d.SchemaVersion < 36 {
		t.Errorf("uid %q, title %q, schemaVersion %d; want outreach, outreach, >= 36", d.UID, d.Title, d.SchemaVersion)
	}
	if len(d.Panels) == 0 {
		t.Fatal("no panels")
	}
	for _, err := range checkPanels(d.Panels) {
		t.Error(err)
	}
	exp := exportedMetrics(t)
	recorded := recordedNames(t)
	exprs := dashboardExprs(d.Panels)
	for where, expr := range exprs {
		for _, err := range checkDashboardExpr(expr, exp, recorded) {
			t.Errorf("%s: %v", where, err)
		}
	}

	// The reply rate (issue 16) has its panel: replies over messages.
	replyPanel := false
	for where, expr := range exprs {
		if strings.Contains(expr, metrics.Replies) && strings.Contains(expr, metrics.MessagesSent) {
			replyPanel = replyPanel || strings.Contains(where, "Reply rate")
		}
	}
	if !replyPanel {
		t.Error("no \"Reply rate\" panel dividing outreach_replies_total by outreach_messages_sent_total")
	}

	// The variables: datasource, and campaign and account from label values.
	vars := map[string]string{}
	labelValues := regexp.MustCompile(`^label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)$`)
	for _, v := range d.Templating.List {
		vars[v.Name] = v.Type
		if v.Type != "query" {
			continue
		}
		var q string
		if err := json.Unmarshal(v.Query, &q); err != nil {
			var obj struct{ Query string }
			if err := json.Unmarshal(v.Query, &obj); err != nil {
				t.Errorf("variable %s: query %s", v.Name, v.Query)
			}
			q = obj.Query
		}
		m := labelValues.FindStringSubmatch(q)
		if m == nil {
			t.Errorf("variable %s: query %q is not label_values(metric, label)", v.Name, q)
			continue
		}
		if !exp[m[1]][m[2]] {
			t.Errorf("variable %s: %s has no label %s", v.Name, m[1], m[2])
		}
		if m[2] != v.Name || !v.Multi || !v.IncludeAll || v.AllValue != ".*" {
			t.Errorf("variable %s: want label_values of its own label, multi, includeAll, allValue .*", v.Name)
		}
	}
	if vars["datasource"] != "datasource" || vars["campaign"] != "query" || vars["account"] != "query" {
		t.Errorf("variables %v; want datasource (datasource), campaign and account (query)", vars)
	}

	// The checks catch what they are for.
	t.Run("bad expressions are caught", func(t *testing.T) {
		bad := map[string]string{
			"misspelled metric":   `sum by (campaign) (rate(outreach_invitations_snt_total{campaign=~"$campaign"}[$__rate_interval]))`,
			"label it lacks":      `max by (campaign) (outreach_acceptance_ratio{account=~"$account"})`,
			"unknown variable":    `sum(rate(outreach_invitations_sent_total[$__range_s]))`,
			"unknown variable 2":  `sum(outreach_pending_invitations{campaign=~"${campaigns}"})`,
			"syntax error":        `sum by (campaign (outreach_pending_invitations)`,
			"unrecorded":          `campaign:outreach_acceptance_ratio:30d`,
			"histogram base name": `histogram_quantile(0.5, sum by (le) (rate(outreach_time_to_accept_seconds[1m])))`,
		}
		for what, expr := range bad {
			if errs := checkDashboardExpr(expr, exp, recorded); len(errs) == 0 {
				t.Errorf("%s: %s passed", what, expr)
			}
		}
		good := `histogram_quantile(0.9, sum by (campaign, le) (rate(outreach_time_to_accept_seconds_bucket{campaign=~"$campaign"}[$__rate_interval])))`
		if errs := checkDashboardExpr(good, exp, recorded); len(errs) > 0 {
			t.Errorf("%s: %v", good, errs)
		}
		dup := []grafanaPanel{{ID: 1, Title: "a"}, {ID: 1, Title: "b"}}
		if errs := checkPanels(dup); len(errs) < 4 { // duplicate id, 2x no targets, 2x no gridPos...
			t.Errorf("duplicate ids, no targets, no gridPos: %v", errs)
		}
	})
}

// TestExportedMetrics lints what the daemons export.
func TestExportedMetrics(t *testing.T) {
	mfs := gatherAllMetrics(t)
	problems, err := promlint.NewWithMetricFamilies(mfs).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
	for _, err := range checkMetricNames(mfs) {
		t.Error(err)
	}
	// Every name of names.go is exported.
	exp := exportedSeries(mfs)
	for _, n := range []string{
		metrics.InvitationsSent, metrics.InvitationsAccepted, metrics.InvitationsDeclined, metrics.InvitationsWithdrawn,
		metrics.InvitationsExpired, metrics.MessagesSent, metrics.MessagesSkipped, metrics.Replies, metrics.AcceptanceRatio, metrics.PendingInvitations,
		metrics.QuotaUsed, metrics.QuotaLimit, metrics.LimitWaits, metrics.DeliveryErrors, metrics.TimeToAccept + "_bucket",
		metrics.CampaignAcceptanceRatio, metrics.AcceptanceInvitations, metrics.PendingLimit, metrics.PendingOldestAge,
		metrics.AccountPaused, metrics.CampaignPaused, metrics.AccountHealth, metrics.AccountPaceFactor, metrics.StatsAge, metrics.QueueTasks, metrics.QueueLatency, metrics.QueueProcessed, metrics.QueueFailed,
		metrics.IntegrationUp,
	} {
		if exp[n] == nil {
			t.Errorf("%s is not exported", n)
		}
	}

	t.Run("bad names are caught", func(t *testing.T) {
		gauge, counter := dto.MetricType_GAUGE, dto.MetricType_COUNTER
		bad := []*dto.MetricFamily{
			fakeFamily("outreach_queue_latency_ms", gauge),
			fakeFamily("outreach_sent", counter),
			fakeFamily("outreach_pending_total", gauge),
			fakeFamily("queue_depth", gauge),
			fakeFamily("outreach_stats_age_minutes", gauge),
			fakeFamily("outreach_oldest_pending_age", gauge),
		}
		errs := checkMetricNames(bad)
		for _, mf := range bad {
			found := slices.ContainsFunc(errs, func(err error) bool { return strings.Contains(err.Error(), mf.GetName()+":") })
			if !found {
				t.Errorf("%s passed: %v", mf.GetName(), errs)
			}
		}
		if errs := checkMetricNames([]*dto.MetricFamily{fakeFamily("outreach_ok_seconds", gauge), fakeFamily("go_x_total", counter)}); len(errs) > 0 {
			t.Errorf("good names: %v", errs)
		}
	})
}

func fakeFamily(name string, typ dto.MetricType) *dto.MetricFamily {
	help := "help"
	return &dto.MetricFamily{Name: &name, Type: &typ, Help: &help}
}

// timeUnitWord marks a name that measures time: it must end in _seconds.
var timeUnitWord = regexp.MustCompile(`(^|_)(age|latency|duration|time|delay|uptime|seconds|minutes|hours|days|ms|milliseconds|microseconds|nanoseconds)(_|$)`)

// checkMetricNames checks the naming rules: outreach_ prefix (go_ and process_
// aside), _total for counters and only for them, _seconds for times.
func checkMetricNames(mfs []*dto.MetricFamily) []error {
	var errs []error
	for _, mf := range mfs {
		n := mf.GetName()
		if !strings.HasPrefix(n, "outreach_") && !strings.HasPrefix(n, "go_") && !strings.HasPrefix(n, "process_") {
			errs = append(errs, fmt.Errorf("%s: not prefixed outreach_", n))
		}
		isCounter := mf.GetType() == dto.MetricType_COUNTER
		if isCounter != strings.HasSuffix(n, "_total") {
			errs = append(errs, fmt.Errorf("%s: a %s; counters, and only counters, end in _total", n, mf.GetType()))
		}
		base := strings.TrimSuffix(n, "_total")
		if timeUnitWord.MatchString(base) && !strings.HasSuffix(base, "_seconds") {
			errs = append(errs, fmt.Errorf("%s: a time: must end in _seconds", n))
		}
	}
	return errs
}

// TestProvisioning checks that Grafana's provisioning points at the
// directories docker-compose.yml mounts.
func TestProvisioning(t *testing.T) {
	var ds struct {
		Datasources []struct{ Name, UID, Type, URL string } `yaml:"datasources"`
	}
	readYAMLFile(t, "grafana/provisioning/datasources/prometheus.yml", &ds)
	if len(ds.Datasources) != 1 || ds.Datasources[0].UID != "prometheus" || ds.Datasources[0].Type != "prometheus" {
		t.Errorf("datasources = %+v; want one prometheus, uid prometheus", ds.Datasources)
	}
	var prov struct {
		Providers []struct {
			Type    string                `yaml:"type"`
			Options struct{ Path string } `yaml:"options"`
		} `yaml:"providers"`
	}
	readYAMLFile(t, "grafana/provisioning/dashboards/outreach.yml", &prov)
	if len(prov.Providers) != 1 || prov.Providers[0].Type != "file" || prov.Providers[0].Options.Path == "" {
		t.Fatalf("providers = %+v; want one file provider", prov.Providers)
	}
	var compose struct {
		Services map[string]struct {
			Volumes []string `yaml:"volumes"`
		} `yaml:"services"`
	}
	readYAMLFile(t, "../docker-compose.yml", &compose)
	mounts := map[string]string{}
	for _, v := range compose.Services["grafana"].Volumes {
		parts := strings.Split(v, ":")
		if len(parts) >= 2 {
			mounts[parts[1]] = parts[0]
		}
	}
	if got := mounts[prov.Providers[0].Options.Path]; got != "./metrics/dashboards" {
		t.Errorf("grafana mounts %q at the provider's path %s; want ./metrics/dashboards", got, prov.Providers[0].Options.Path)
	}
	if got := mounts["/etc/grafana/provisioning"]; got != "./metrics/grafana/provisioning" {
		t.Errorf("grafana mounts %q at /etc/grafana/provisioning; want ./metrics/grafana/provisioning", got)
	}
}

func readYAMLFile(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
