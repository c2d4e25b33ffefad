package config

import (
	"os"
	"path/filepath"
	"slices"

	"github.com/outreach-scheduler/outreach/diag"
	"github.com/outreach-scheduler/outreach/internal/strictyaml"
)

// CampaignFiles expands the `campaigns` globs (filepath.Match syntax),
// each relative to the config file's directory unless absolute, and
// returns the files they match (directories left out), sorted and without
// repeats. A glob with bad syntax is an error finding and a glob that
// matches no file a warning, both at the glob's line; so is, as an error,
// a glob that matches a file outside the config file's directory and
// allow_paths (CheckPath), which is left out.
func (c *Config) CampaignFiles() ([]string, diag.List) {
	var findings diag.List
	var files []string
	dir := filepath.Dir(c.Path)
	for i, glob := range c.Campaigns {
		line := 0
		if i < len(c.campaignLines) {
			line = c.campaignLines[i]
		}
		path := strictyaml.Index("campaigns", i)
		pattern := glob
		if !filepath.IsAbs(pattern) {
			pattern = filepath.Join(dir, pattern)
		}
		matches, err := filepath.Glob(pattern)
		if err != nil {
			findings.Errorf(c.Path, line, "%s: bad glob %s: %v", path, strictyaml.Quote(glob), err)
			continue
		}
		n, outside := 0, 0
		for _, f := range matches {
			if fi, err := os.Stat(f); err == nil && !fi.IsDir() {
				if err := c.CheckPath(f); err != nil {
					if outside++; outside == 1 {
						shown := f
						if rel, err := filepath.Rel(dir, f); err == nil {
							shown = rel // as the config's directory sees it
						}
						findings.Errorf(c.Path, line, "%s: %s matches %q, which %v", path, strictyaml.Quote(glob), shown, err)
					}
					continue
				}
				files = append(files, f)
				n++
			}
		}
		if n == 0 && outside == 0 {
			findings.Add(diag.Warnf(c.Path, line, "%s: %s matches no file", path, strictyaml.Quote(glob)))
		}
	}
	slices.Sort(files)
	return slices.Compact(files), findings
}
