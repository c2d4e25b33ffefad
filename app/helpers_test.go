package app

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/platform/sandbox"
)

// twoSenders is a workspace for the service tests: two premium accounts
// with one-second gaps and caps far away, working around the clock, one
// campaign of 40 prospects with a one-variant note, and a sandbox model of
// it. redisYAML is the config's redis section ("" for the embedded one).
type twoSenders struct {
	cfg   *config.Config
	camp  *campaigns.Campaign
	model *sandbox.Model
}

func newTwoSenders(t *testing.T, redisYAML string) *twoSenders {
	t.Helper()
	dir := t.TempDir()
	cfg, c := loadWorkspace(t, dir, twoSendersFiles(redisYAML, peopleCSV(40, "p", "Name")))
	sbOpt, err := sandbox.OptionsFromConfig(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	return &twoSenders{cfg: cfg, camp: c, model: sandbox.New(sbOpt)}
}

// twoSendersFiles are the files of the twoSenders workspace, with the
// given prospects CSV (profile_url,first_name).
func twoSendersFiles(redisYAML, csv string) map[string]string {
	return map[string]string{
		"p.csv": csv,
		"config.yaml": redisYAML + `
defaults:
  min_gap: 1s
  jitter: 0
  days: [mon, tue, wed, thu, fri, sat, sun]
  hours: "00:00-24:00"
accounts:
  - id: alice
    tier: premium
    limits: {weekly: 1000000, daily: 500000}
  - id: bob
    tier: premium
    limits: {weekly: 1000000, daily: 500000}
campaigns: [c.yaml]
`,
		"c.yaml": `
name: c
accounts: [alice, bob]
prospects: {csv: p.csv}
steps:
  - connect:
      note:
        variants:
          - name: hi
            text: "Hi {{.first_name}}, let's connect."
`,
	}
}

// loadWorkspace writes files into dir and loads its config.yaml and c.yaml,
// failing on any finding.
func loadWorkspace(tb testing.TB, dir string, files map[string]string) (*config.Config, *campaigns.Campaign) {
	tb.Helper()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	cfg, fs, err := config.Load(filepath.Join(dir, "config.yaml"))
	if err != nil || fs.HasErrors() {
		tb.Fatal(err, fs.Strings())
	}
	cfg.Metrics.Listen = "127.0.0.1:0" // tests run side by side: any free port
	c, fs, err := campaigns.Load(filepath.Join(dir, "c.yaml"), cfg)
	if err != nil || fs.HasErrors() {
		tb.Fatal(err, fs.Strings())
	}
	return cfg, c
}

// peopleCSV is a prospects CSV (profile_url,first_name) of n people:
// https://example.com/in/KEYi with first name NAMEi.
func peopleCSV(n int, key, name string) string {
	var csv strings.Builder
	csv.WriteString("profile_url,first_name\n")
	for i := range n {
		fmt.Fprintf(&csv, "https://example.com/in/%s%d,%s%d\n", key, i, name, i)
	}
	return csv.String()
}
