package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/internal/httpserve"
	"github.com/outreach-scheduler/outreach/platform/sandbox"
	"github.com/outreach-scheduler/outreach/platform/sandbox/server"
	"github.com/outreach-scheduler/outreach/platform/webhook"
)

// Defaults of `outreach sandbox`.
const (
	defaultSandboxListen = "127.0.0.1:8380"
	defaultSecretEnv     = "OUTREACH_WEBHOOK_SECRET"
	sandboxFlushEvery    = time.Second
	sandboxShutdownGrace = 5 * time.Second
)

type sandboxOptions struct {
	listen    string
	secretEnv string
	signing   string
	eventsURL string
}

func newSandboxCmd(g *globals) *cobra.Command {
	var opt sandboxOptions
	cmd := &cobra.Command{
		Use:   "sandbox [--listen ADDR] [--secret-env NAME] [--signing SCHEME] [--events-url URL]",
		Short: "Serve the sandbox platform model over HTTP, speaking the webhook protocol",
		Long: `sandbox serves the sandbox platform model (the config's accounts, with their
tier's platform limits, and platform.sandbox rates) as an HTTP server speaking
the webhook protocol (README, "Webhook protocol"): point the webhook driver's
url at it. It enforces the platform's rules and refuses what breaks them.

  POST /v1/actions/{follow|invite|withdraw|message}   signed actions
  GET  /v1/invitations   every request received and every violation refused
  GET  /v1/events?since=N   answers (accepted, declined, expired) due by now

The HMAC secret is read from the environment variable named by --secret-env
(default: platform.webhook.secret_env, else OUTREACH_WEBHOOK_SECRET); when it
is unset, requests are not verified. Requests are signed and verified as
--signing says (default: platform.webhook.signing, else standard: Standard
Webhooks with a whsec_ secret; outreach-v1: the X-Outreach headers with a
raw secret). With --events-url, answers are also POSTed there, signed, every
second. It serves until interrupted.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSandbox(cmd.Context(), g, opt, cmd.Flags().Changed("secret-env"), cmd.Flags().Changed("signing"))
		},
	}
	cmd.Flags().StringVar(&opt.listen, "listen", defaultSandboxListen, "serve on `ADDR` (host:port)")
	cmd.Flags().StringVar(&opt.secretEnv, "secret-env", defaultSecretEnv, "environment variable `NAME` holding the HMAC secret")
	cmd.Flags().StringVar(&opt.signing, "signing", config.SigningStandard, "sign and verify with `SCHEME`: standard or outreach-v1")
	cmd.Flags().StringVar(&opt.eventsURL, "events-url", "", "POST answers, signed, to `URL` (such as http://127.0.0.1:8381/v1/events)")
	return cmd
}

func runSandbox(ctx context.Context, g *globals, opt sandboxOptions, secretEnvSet, signingSet bool) error {
	cfg, fs, err := config.Load(g.configPath)
	if err != nil {
		return &exitError{code: ExitError, err: err}
	}
	printFindings(g.stderr, fs)
	if fs.HasErrors() {
		return errInvalid
	}
	model, err := sandboxModel(cfg)
	if err != nil {
		return &exitError{code: ExitError, err: err}
	}
	envName := opt.secretEnv
	if !secretEnvSet && cfg.Platform.Webhook != nil && cfg.Platform.Webhook.SecretEnv != "" {
		envName = cfg.Platform.Webhook.SecretEnv
	}
	signing := opt.signing
	if !signingSet && cfg.Platform.Webhook != nil {
		signing = signingOf(cfg.Platform.Webhook)
	}
	scheme, err := webhook.ParseScheme(signing)
	if err != nil {
		return &exitError{code: ExitError, err: fmt.Errorf("--signing: %w", err)}
	}
	secret := os.Getenv(envName)
	log := newLogger(g, slog.LevelInfo).With("component", "sandbox")
	keys := webhook.Keys{Scheme: scheme}
	if secret == "" {
		log.Warn("no secret: requests are not verified, events not signed (set the variable to sign)", "env", envName)
	} else if keys, err = webhook.ParseKeys(scheme, secret); err != nil {
		return &exitError{code: ExitError, err: fmt.Errorf("%s (signing %s): %w", envName, scheme, err)}
	}
	srv := server.New(model, server.Options{Keys: keys, Now: g.now, EventsURL: opt.eventsURL, Logger: log})

	hs, err := httpserve.Start(opt.listen, srv, httpserve.Options{Logger: log})
	if err != nil {
		return &exitError{code: ExitError, err: fmt.Errorf("sandbox: %w", err)}
	}
	log.Info("listening", "addr", "http://"+hs.Addr(), "signed", secret != "", "signing", string(scheme), "events_url", opt.eventsURL != "")

	var tick <-chan time.Time
	if opt.eventsURL != "" {
		t := time.NewTicker(sandboxFlushEvery)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-ctx.Done():
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sandboxShutdownGrace)
			defer cancel()
			if err := hs.Shutdown(sctx); err != nil {
				return &exitError{code: ExitError, err: fmt.Errorf("sandbox: shutdown: %w", err)}
			}
			log.Info("stopped")
			return nil
		case err := <-hs.Done():
			if err == nil {
				return nil
			}
			return &exitError{code: ExitError, err: fmt.Errorf("sandbox: %w", err)}
		case <-tick:
			// Failures are logged by the server; the events stay queued.
			srv.Flush(ctx, g.now())
		}
	}
}

// sandboxModel builds the platform model of the config, as `outreach
// simulate` does: the accounts with their tier's platform limits, and
// platform.sandbox's rates.
func sandboxModel(cfg *config.Config) (*sandbox.Model, error) {
	opt, err := sandbox.OptionsFromConfig(cfg, 0)
	if err != nil {
		return nil, err
	}
	return sandbox.New(opt), nil
}
