package cli

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/outreach-scheduler/outreach/app"
	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/platform/webhook"
)

type daemonOptions struct {
	listen      string
	metrics     string
	concurrency int
	verbose     bool
	skipBad     bool
}

func newSchedulerCmd(g *globals) *cobra.Command {
	var opt daemonOptions
	cmd := &cobra.Command{
		Use:   "scheduler",
		Short: "Run the scheduler daemon: plan every minute and enqueue each action at its time",
		Long: `scheduler plans every account's next actions every minute and enqueues each
at its time in Redis (asynq), under its idempotency key. Several schedulers
may run: one leads (a lease in Redis), the others wait to take over. Every
scheduler serves the inbound events endpoint (platform.webhook.events_listen
or --listen), and records the signed events it receives in the ledger.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDaemon(cmd, g, opt, app.RunScheduler)
		},
	}
	cmd.Flags().StringVar(&opt.listen, "listen", "", "inbound events endpoint `host:port` (default platform.webhook.events_listen)")
	cmd.Flags().BoolVar(&opt.skipBad, "skip-bad-entries", false, "skip ledger entries that do not decode (each logged at ERROR with its stream ID) instead of stopping at the first")
	addMetricsFlag(cmd, &opt.metrics)
	cmd.Flags().BoolVarP(&opt.verbose, "verbose", "v", false, "log at debug level too (info and above are logged without it)")
	return cmd
}

func newWorkerCmd(g *globals) *cobra.Command {
	var opt daemonOptions
	cmd := &cobra.Command{
		Use:   "worker",
		Short: "Run a worker daemon: deliver each action through the platform driver",
		Long: `worker takes actions from Redis (asynq) when they are due, reserves the slot
in the limiter, calls the platform through the webhook driver with the
action's idempotency key, and records the outcome in the ledger. Run as many
as you like, on as many machines; SIGTERM lets the actions in flight finish.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDaemon(cmd, g, opt, app.RunWorker)
		},
	}
	cmd.Flags().IntVar(&opt.concurrency, "concurrency", 8, "actions in flight at once")
	addMetricsFlag(cmd, &opt.metrics)
	cmd.Flags().BoolVarP(&opt.verbose, "verbose", "v", false, "log at debug level too (info and above are logged without it)")
	return cmd
}

func runDaemon(cmd *cobra.Command, g *globals, opt daemonOptions, run func(ctx context.Context, o app.DaemonOptions) error) error {
	l, err := loadValid(g)
	if err != nil {
		return err
	}
	overrideMetrics(cmd, l.cfg, opt.metrics)
	var keys webhook.Keys
	if w := l.cfg.Platform.Webhook; w != nil {
		name := w.SecretEnv
		if name == "" {
			name = config.DefaultWebhookSecretEnv
		}
		value := os.Getenv(name)
		if value == "" {
			return &exitError{code: ExitError, err: fmt.Errorf("the webhook secret is not set: export %s", name)}
		}
		if keys, err = webhook.ParseKeys(webhook.Scheme(w.Signing), value); err != nil {
			return &exitError{code: ExitError, err: fmt.Errorf("%s (platform.webhook.signing %s): %w", name, signingOf(w), err)}
		}
	}
	err = run(cmd.Context(), app.DaemonOptions{
		Config:      l.cfg,
		Campaigns:   l.campaigns,
		Keys:        keys,
		Now:         g.now,
		Logger:      daemonLogger(g, opt.verbose),
		Listen:      opt.listen,
		Concurrency: opt.concurrency,

		SkipBadEntries: opt.skipBad,
		Version:        g.version().String(),
	})
	if err != nil {
		return &exitError{code: ExitError, err: err}
	}
	return nil
}

// addMetricsFlag adds --metrics-listen, which overrides metrics.listen
// (several daemons on one host need a port each).
func addMetricsFlag(cmd *cobra.Command, v *string) {
	cmd.Flags().StringVar(v, "metrics-listen", "", "serve /metrics on `host:port` instead of metrics.listen (\"off\": none)")
}

func overrideMetrics(cmd *cobra.Command, cfg *config.Config, v string) {
	if !cmd.Flags().Changed("metrics-listen") {
		return
	}
	if v == "off" {
		v = ""
	}
	cfg.Metrics.Listen = v
}

// signingOf returns the signing scheme of w (the default when unset).
func signingOf(w *config.Webhook) string {
	if w == nil || w.Signing == "" {
		return config.SigningStandard
	}
	return w.Signing
}
