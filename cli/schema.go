package cli

import (
	"github.com/spf13/cobra"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/config"
)

func newSchemaCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "schema config|campaign",
		Short: "Print the JSON Schema of config.yaml or of a campaign file, for editors",
		Long: `schema prints a JSON Schema (draft 2020-12) of config.yaml (schema config)
or of a campaign file (schema campaign), made from the definitions the
strict decoder checks keys against, so that an editor's YAML language
server completes keys and flags unknown ones as they are typed:

  outreach schema campaign > campaign.schema.json

and, as the first line of a campaign file:

  # yaml-language-server: $schema=campaign.schema.json

validate checks more than the schema says (accounts the config defines,
fallback names, templates, the CSV): run it before sending.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError("schema: name the file whose schema to print: config or campaign")
			}
			return nil
		},
		ValidArgs: []string{"config", "campaign"},
		RunE: func(cmd *cobra.Command, args []string) error {
			var data []byte
			var err error
			switch args[0] {
			case "config":
				data, err = config.JSONSchema()
			case "campaign":
				data, err = campaigns.JSONSchema()
			default:
				return usageError("schema %q: want config or campaign", args[0])
			}
			if err != nil {
				return &exitError{code: ExitError, err: err}
			}
			_, err = g.stdout.Write(data)
			return err
		},
	}
}
