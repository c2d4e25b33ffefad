package sim

import (
	"fmt"
	"strings"
	"testing"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/scheduler"
)

// world is a generated config with campaigns over synthetic prospects.
type world struct {
	cfg     *config.Config
	camps   []*campaigns.Campaign
	sources map[string]*scheduler.Synthetic
}

// worldSpec describes a generated world.
type worldSpec struct {
	accounts  []string // YAML of each account entry (without the leading "- ")
	defaults  string   // YAML of the defaults section
	sandbox   string   // YAML of platform.sandbox
	campaigns []string // YAML of each campaign, without prospects (added)
	prospects int      // per campaign
	safety    string   // YAML of the top-level safety section
}

func buildWorld(tb testing.TB, spec worldSpec) *world {
	tb.Helper()
	var b strings.Builder
	b.WriteString("platform:\n  driver: sandbox\n")
	if spec.sandbox != "" {
		b.WriteString("  sandbox:\n" + indent(spec.sandbox, "    "))
	}
	if spec.defaults != "" {
		b.WriteString("defaults:\n" + indent(spec.defaults, "  "))
	}
	if spec.safety != "" {
		b.WriteString("safety:\n" + indent(spec.safety, "  "))
	}
	b.WriteString("accounts:\n")
	for _, a := range spec.accounts {
		b.WriteString("  - " + strings.ReplaceAll(strings.TrimSpace(a), "\n", "\n    ") + "\n")
	}
	cfg, fs := config.Parse("world.yaml", []byte(b.String()))
	if fs.HasErrors() {
		tb.Fatalf("generated config is invalid:\n%s\n%s", b.String(), strings.Join(fs.Strings(), "\n"))
	}
	w := &world{cfg: cfg, sources: map[string]*scheduler.Synthetic{}}
	for i, text := range spec.campaigns {
		text = "prospects:\n  csv: synthetic.csv\n" + text
		c, fs := campaigns.Parse(fmt.Sprintf("campaign%d.yaml", i), []byte(text), cfg)
		if fs.HasErrors() {
			tb.Fatalf("generated campaign is invalid:\n%s\n%s", text, strings.Join(fs.Strings(), "\n"))
		}
		w.camps = append(w.camps, c)
		w.sources[c.Name] = &scheduler.Synthetic{Prefix: c.Name + "/p", N: spec.prospects}
	}
	return w
}

func (w *world) options() Options {
	src := map[string]schedulerSource{}
	for k, v := range w.sources {
		src[k] = v
	}
	return Options{Config: w.cfg, Campaigns: w.camps, sources: src}
}

func indent(s, pre string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = pre + l
	}
	return strings.Join(lines, "\n") + "\n"
}
