package cli

import (
	"fmt"
	"io"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/diag"
)

// loaded is a config and its campaigns with every finding of loading them.
type loaded struct {
	cfg       *config.Config
	campaigns []*campaigns.Campaign
	findings  diag.List
	// broken holds the campaigns that cannot be checked prospect by
	// prospect: their file, or the config, has errors.
	broken map[*campaigns.Campaign]bool
}

// loadAll loads the config and the campaign files (the config's globs when
// files is empty). A config file that cannot be read is an error (exit 2);
// problems inside the files are findings.
func loadAll(configPath string, files []string) (*loaded, error) {
	cfg, fs, err := config.Load(configPath)
	if err != nil {
		return nil, &exitError{code: ExitError, err: err}
	}
	l := &loaded{cfg: cfg, findings: fs, broken: map[*campaigns.Campaign]bool{}}
	configBroken := fs.HasErrors()
	if len(files) == 0 {
		var gfs diag.List
		files, gfs = cfg.CampaignFiles()
		l.findings.Add(gfs...)
	}
	names := map[string]string{}
	for _, f := range files {
		c, fs, err := campaigns.Load(f, cfg)
		if err != nil {
			// A campaign file named on the command line or matched by a glob
			// that cannot be read is bad input, reported like the rest.
			l.findings.Add(diag.Finding{File: f, Message: err.Error()})
			continue
		}
		l.findings.Add(fs...)
		if c == nil {
			continue
		}
		if prev, dup := names[c.Name]; dup && c.Name != "" {
			l.findings.Errorf(f, c.Line, "name: campaign %q is also defined in %s", c.Name, prev)
			continue
		}
		names[c.Name] = f
		l.campaigns = append(l.campaigns, c)
		if configBroken || fs.HasErrors() {
			l.broken[c] = true
		}
	}
	return l, nil
}

// printFindings writes findings, sorted, one per line.
func printFindings(w io.Writer, fs diag.List) {
	fs.Sort()
	for _, f := range fs {
		fmt.Fprintln(w, f.String())
	}
}
