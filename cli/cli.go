package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"time"

	"github.com/spf13/cobra"
)

// Exit codes of the CLI contract.
const (
	ExitOK      = 0 // success
	ExitInvalid = 1 // the input is invalid; findings were printed
	ExitError   = 2 // usage, configuration or runtime error
)

// exitError carries an exit code up to Main. A nil err means the command
// already printed what the user needs (findings) and only the code matters.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// errInvalid reports that findings were printed and the input is invalid.
var errInvalid = &exitError{code: ExitInvalid}

// usageError wraps err as a usage problem (exit 2).
func usageError(format string, args ...any) error {
	return &exitError{code: ExitError, err: fmt.Errorf(format, args...)}
}

// globals are the flags every command shares, the output streams and the
// clock.
type globals struct {
	configPath string
	logFormat  logFormat
	stdout     io.Writer
	stderr     io.Writer
	// now is the wall clock: time.Now, set in Main, the one place the CLI
	// reads the real time (tests set their own).
	now func() time.Time
	// buildInfo reads what the Go toolchain stamped in the binary
	// (debug.ReadBuildInfo, set in Main; tests set their own); nil: none.
	buildInfo func() (*debug.BuildInfo, bool)
}

// Main runs the outreach command line with args (without the program name)
// and returns the process exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return execute(ctx, &globals{stdout: stdout, stderr: stderr, now: time.Now, buildInfo: debug.ReadBuildInfo}, args)
}

// execute runs the command line with the given globals and returns the
// exit code.
func execute(ctx context.Context, g *globals, args []string) int {
	stdout, stderr := g.stdout, g.stderr
	root := newRoot(g)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintf(stderr, "outreach: %v\n", ee.err)
		}
		return ee.code
	}
	// Cobra's own errors (unknown command, bad flag, wrong arg count) are
	// usage errors.
	fmt.Fprintf(stderr, "outreach: %v\nRun 'outreach --help' for usage.\n", err)
	return ExitError
}

func newRoot(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:   "outreach",
		Short: "Schedule connection-request campaigns within platform limits",
		Long: `outreach renders a personalized note for each prospect of a campaign and
delivers connection requests at a natural pace, never past any account's
weekly cap, daily cap, working hours or pending-invitation ceiling.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&g.configPath, "config", "config.yaml", "daemon configuration `FILE`")
	root.PersistentFlags().Var(&g.logFormat, "log-format", "how logs are written: text (key=value lines) or json (one object a line)")
	root.Flags().BoolP("version", "v", false, "print the version, the commit and the Go version")
	root.Version = g.version().String()
	root.SetVersionTemplate("{{.Name}} version {{.Version}}\n")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError("%v\nRun '%s --help' for usage.", err, c.CommandPath())
	})
	root.AddCommand(newValidateCmd(g), newPreviewCmd(g), newSimulateCmd(g), newSandboxCmd(g), newRunCmd(g), newSchedulerCmd(g), newWorkerCmd(g), newApplyCmd(g), newStatusCmd(g), newForgetCmd(g))
	root.AddCommand(newInitCmd(g))
	root.AddCommand(newRetryCmd(g))
	root.AddCommand(newExportCmd(g))
	root.AddCommand(newPauseCmd(g), newResumeCmd(g))
	root.AddCommand(newSchemaCmd(g))
	return root
}
