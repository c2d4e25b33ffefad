package cli

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/outreach-scheduler/outreach/app"
)

type runOptions struct {
	metrics  string
	progress time.Duration
	verbose  bool
}

func newRunCmd(g *globals) *cobra.Command {
	var opt runOptions
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the planner, the worker and the sandbox platform in one process",
		Long: `run starts everything in one process: the planner (every minute), the
worker that delivers, the sandbox platform model, and a progress report.
With the shipped config.yaml (redis.addr: "") it uses an embedded in-process
Redis, so it needs nothing installed; that Redis keeps nothing after exit.
With redis.addr set it uses that server.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRun(cmd, g, opt)
		},
	}
	cmd.Flags().DurationVar(&opt.progress, "progress", 10*time.Second, "how often to print the progress line")
	addMetricsFlag(cmd, &opt.metrics)
	cmd.Flags().BoolVarP(&opt.verbose, "verbose", "v", false, "log the service's operation to stderr")
	return cmd
}

func runRun(cmd *cobra.Command, g *globals, opt runOptions) error {
	l, err := loadValid(g)
	if err != nil {
		return err
	}
	overrideMetrics(cmd, l.cfg, opt.metrics)
	err = app.Run(cmd.Context(), app.Options{
		Config:    l.cfg,
		Campaigns: l.campaigns,
		Now:       g.now,
		Out:       g.stdout,
		Logger:    serviceLogger(g, opt.verbose),
		Progress:  opt.progress,
		StateFile: app.RunStatePath(g.configPath),
	})
	if err != nil {
		return &exitError{code: ExitError, err: err}
	}
	return nil
}

var errConfigInvalid = errorString("the configuration is invalid (see the findings above; outreach validate shows them all)")

type errorString string

func (e errorString) Error() string { return string(e) }
