package cli

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/outreach-scheduler/outreach/app"
	"github.com/outreach-scheduler/outreach/export"
	"github.com/outreach-scheduler/outreach/internal/atomicfile"
)

type exportOptions struct {
	format string
	out    string
	addr   string
}

func newExportCmd(g *globals) *cobra.Command {
	var opt exportOptions
	cmd := &cobra.Command{
		Use:   "export [CAMPAIGN...] [--format csv|jsonl] [--out FILE] [--addr HOST:PORT]",
		Short: "Write one row per prospect: its state, sender, note, times, and why it failed or was skipped",
		Long: `export writes the results of the campaigns named (every campaign by
default), one row per prospect: key, campaign, account, state, variant, note
length, fallback, when it was invited, answered and last messaged, why it
failed or was skipped, then the prospect fields the templates use. It reads
Redis as status does: the prospects applied to the store (a campaign never
applied, as with outreach run, from its CSV), the state rebuilt from the
ledger. With redis.addr empty it reads the embedded Redis of the outreach
run running beside the config; --addr names another Redis.

CSV (the default) escapes every cell that begins with = + - @, a tab or a
carriage return with a leading single quote, so that a spreadsheet shows it
as text instead of running it as a formula; JSONL (one JSON object a line)
is not escaped. Times are RFC 3339 UTC, whole seconds.

--out writes FILE at once (a temporary file renamed when complete): a failed
export leaves FILE as it was. A new FILE is readable by you only: it holds
personal data. Without --out, the rows go to standard output.

An unknown campaign is invalid input (exit 1); no Redis to read (redis.addr
empty and no outreach run running) is exit 2.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runExport(cmd, g, opt, args)
		},
	}
	cmd.Flags().StringVar(&opt.format, "format", "csv", "output `FORMAT`: csv or jsonl")
	cmd.Flags().StringVar(&opt.out, "out", "", "write to `FILE` (atomically) instead of standard output")
	addAddrFlag(cmd, &opt.addr)
	return cmd
}

func runExport(cmd *cobra.Command, g *globals, opt exportOptions, args []string) error {
	if !slices.Contains(export.Formats, opt.format) {
		return usageError("export: unknown --format %q (formats: %s)", opt.format, strings.Join(export.Formats, ", "))
	}
	l, err := loadValid(g)
	if err != nil {
		return err
	}
	var names []string
	for _, c := range l.campaigns {
		names = append(names, c.Name)
	}
	for _, a := range args {
		if !slices.Contains(names, a) {
			fmt.Fprintf(g.stderr, "outreach: export: unknown campaign %q (campaigns: %s): nothing exported\n", a, strings.Join(names, ", "))
			return errInvalid
		}
	}
	if err := useRunning(cmd.Context(), g, l.cfg, opt.addr); err != nil {
		return err
	}
	var out io.Writer = g.stdout
	var file *atomicfile.File
	if opt.out != "" {
		if file, err = atomicfile.Create(opt.out, 0o600); err != nil {
			return &exitError{code: ExitError, err: fmt.Errorf("export: %w", err)}
		}
		defer file.Abort() // nothing after a Commit
		out = file
	}
	res, err := app.Export(cmd.Context(), app.ExportOptions{
		Config: l.cfg, Campaigns: l.campaigns, Only: args, Now: g.now(),
		NewWriter: func(fields []string) (export.Writer, error) { return export.NewWriter(opt.format, out, fields) },
	})
	if err == nil && file != nil {
		err = file.Commit()
	}
	switch {
	case err != nil && file != nil:
		return &exitError{code: ExitError, err: fmt.Errorf("export: %w (nothing written to %s)", err, opt.out)}
	case err != nil:
		return &exitError{code: ExitError, err: fmt.Errorf("export: %w", err)}
	}
	if len(res.FromFiles) > 0 {
		fmt.Fprintf(g.stderr, "outreach: export: not applied to the store, read from their files: %s\n", strings.Join(res.FromFiles, ", "))
	}
	if !res.Since.IsZero() {
		fmt.Fprintf(g.stderr, "outreach: export: the state comes from a snapshot of %s (the ledger before it is trimmed, ledger.retention): note_length, fallback, messaged_at, and answered_at once a message was sent, are empty for what happened before then\n",
			res.Since.Format("2006-01-02 15:04 MST"))
	}
	if file != nil {
		fmt.Fprintf(g.stdout, "exported %s to %s\n", count(res.Rows, "prospect", "prospects"), opt.out)
	}
	return nil
}
