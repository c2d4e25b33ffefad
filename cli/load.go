package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/outreach-scheduler/outreach/app"
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
	all := len(files) == 0
	configBroken := fs.HasErrors()
	if all {
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
	if all && !configBroken {
		l.findings.Add(idleAccounts(cfg, l.campaigns)...)
	}
	return l, nil
}

// idleAccounts reports the accounts that no campaign sends from: they would
// sit idle, which is rarely what the user meant.
func idleAccounts(cfg *config.Config, camps []*campaigns.Campaign) diag.List {
	used := map[string]bool{}
	for _, c := range camps {
		for _, id := range c.Accounts {
			used[id] = true
		}
	}
	var fs diag.List
	for i, a := range cfg.Accounts {
		if !used[a.ID] {
			fs.Add(diag.Warnf(cfg.Path, a.Line, "accounts[%d]: account %q is in no campaign: it will send nothing", i, a.ID))
		}
	}
	return fs
}

// printFindings writes findings, sorted, one per line.
func printFindings(w io.Writer, fs diag.List) {
	fs.Sort()
	for _, f := range fs {
		fmt.Fprintln(w, terminalSafe(f.String(), "")) // a prospect's key is quoted as written
	}
}

// loadValid loads the config and its campaigns for a service command: any
// error finding is printed and the command fails with exit 2 (a
// configuration error).
func loadValid(g *globals) (*loaded, error) {
	l, err := loadAll(g.configPath, nil)
	if err != nil {
		return nil, err
	}
	if l.findings.HasErrors() {
		printFindings(g.stderr, l.findings)
		return nil, &exitError{code: ExitError, err: errConfigInvalid}
	}
	return l, nil
}

// useRunning points cfg at the Redis a command should read: addr (--addr)
// when given; else, when the config names no shared Redis (redis.addr: ""),
// the embedded Redis of the `outreach run` running beside the config (its
// state file, app.FindRun); else the config's own.
func useRunning(ctx context.Context, g *globals, cfg *config.Config, addr string) error {
	r := &cfg.Redis
	switch {
	case addr != "":
		r.Addr, r.ClusterAddrs, r.Sentinel = addr, nil, nil
		return nil
	case r.Addr != "" || len(r.ClusterAddrs) > 0 || r.Sentinel != nil:
		return nil
	}
	st, err := app.FindRun(ctx, g.configPath)
	if err != nil {
		return &exitError{code: ExitError, err: fmt.Errorf("%w; and redis.addr is empty, so there is no shared Redis either: start `outreach run` with this config, set redis.addr, or pass --addr", err)}
	}
	r.Addr = st.RedisAddr
	return nil
}

// addAddrFlag adds --addr, the Redis to read instead of the config's.
func addAddrFlag(cmd *cobra.Command, addr *string) {
	cmd.Flags().StringVar(addr, "addr", "", "read the Redis at `HOST:PORT` (default: the config's redis; with redis.addr empty, the embedded Redis of the outreach run running beside the config)")
}
