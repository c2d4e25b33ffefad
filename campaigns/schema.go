package campaigns

import (
	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/internal/strictyaml"
)

// The keys of a campaign file: what the decoder accepts (Parse checks
// every mapping against these objects: an unknown key is an error) and
// what `outreach schema campaign` writes as a JSON Schema. Decoding code
// reads the values and checks what a schema cannot say (one connect step,
// fallback names that name variants, accounts the config defines).

// Schema returns the schema of a campaign file.
func Schema() *strictyaml.Schema { return campaignSchema }

// JSONSchema returns a campaign file's JSON Schema (draft 2020-12).
func JSONSchema() ([]byte, error) {
	return strictyaml.JSONSchema(campaignSchema, "outreach campaign")
}

func source(description, keyDefault string) *strictyaml.Schema {
	key := str("The column identifying a person, in the normalized header form (lower case, other characters as _).")
	if keyDefault != "" {
		key.Default = keyDefault
	}
	return object(description,
		required("csv", str("The CSV file, relative to this file's directory; inside the config's directory or its allow_paths.")),
		prop("key", key),
		prop("encoding", withDefault(&strictyaml.Schema{Type: strictyaml.String, Description: "The file's character encoding (a UTF-16 byte-order mark wins).",
			Enum: []string{"utf-8", "utf-16", "windows-1252", "iso-8859-1"}}, "utf-8")),
	)
}

const variantPattern = `^[a-z0-9_-]{1,63}$`

var campaignSchema = object("An outreach campaign: who to invite, from which accounts, with which notes and messages.",
	required("name", &strictyaml.Schema{Type: strictyaml.String, Description: "The campaign's name, unique: 1 to 63 of a-z, 0-9 and -.",
		Pattern: `^[a-z0-9-]{1,63}$`}),
	required("accounts", &strictyaml.Schema{Type: strictyaml.Array, Description: "The sender accounts, each defined in the config, none twice.",
		MinItems: 1, Unique: true, Items: str("An account id of the config.")}),
	required("prospects", source("The prospect CSV.", DefaultKey)),
	prop("exclude", source("A CSV of people never to contact; key default: the prospects' key.", "")),
	prop("schedule", object("Overrides of the accounts' working time for this campaign.",
		prop("days", config.DaysSchema("The working days; default: the account's.", nil)),
		prop("hours", config.HoursSchema("The working hours; default: the account's.", "")),
		prop("timezone", config.TimezoneSchema("The time zone of hours; default: the account's.", "")),
	)),
	prop("dedupe", withDefault(&strictyaml.Schema{Type: strictyaml.String, Description: "The scope in which a person gets one invitation.",
		Enum: []string{string(DedupeWorkspace), string(DedupeAccount), string(DedupeCampaign)}}, string(DedupeWorkspace))),
	prop("paused", withDefault(&strictyaml.Schema{Type: strictyaml.Boolean,
		Description: "Pause the campaign when the file is applied, as outreach pause campaign does; false resumes it only when the file said true when last applied."}, false)),
	required("steps", &strictyaml.Schema{Type: strictyaml.Array,
		Description: "The steps in order: follow steps, then exactly one connect step, then message steps.",
		Items: object("A step: one of follow, connect or message.",
			prop("follow", object("Follow the person before inviting.")),
			prop("connect", object("Send the invitation.",
				prop("note", object("The personalized note; omitted: blank invitations.",
					required("variants", &strictyaml.Schema{Type: strictyaml.Array, Description: "The note variants; the A/B strategy chooses among them.",
						MinItems: 1, Items: object("A note variant.",
							required("name", &strictyaml.Schema{Type: strictyaml.String, Description: `The variant's name, unique in the step, not "blank".`,
								Pattern: variantPattern}),
							required("text", str("The note: a text/template over the CSV's columns, e.g. Hi {{.first_name}}.")),
							prop("weight", withDefault(&strictyaml.Schema{Type: strictyaml.Number, Description: "The variant's share under the uniform strategy.",
								Min: strictyaml.Float(0)}, 1)),
							prop("disabled", withDefault(&strictyaml.Schema{Type: strictyaml.Boolean, Description: "Stop the variant by hand."}, false)),
						)}),
					prop("fallback", &strictyaml.Schema{Type: strictyaml.Array,
						Description: `Variants (or "blank") tried in order when the chosen one cannot be used.`,
						Unique:      true, Items: &strictyaml.Schema{Type: strictyaml.String, Pattern: variantPattern}}),
				)),
				prop("withdraw_after", config.DurationSchema("Overrides defaults.withdraw_after; > 0.", "")),
			)),
			prop("message", object("Send a message once the invitation is accepted: a single text, or variants (with a fallback) like a note.",
				prop("wait", config.DurationSchema("The time after acceptance (or the previous message) before sending.", "0")),
				prop("text", str("The message: a text/template over the CSV's columns.")),
				prop("variants", &strictyaml.Schema{Type: strictyaml.Array, Description: "Message variants: the first that renders for a prospect is sent (no A/B test).",
					MinItems: 1, Items: object("A message variant.",
						required("name", &strictyaml.Schema{Type: strictyaml.String, Description: `The variant's name, unique in the step, not "blank".`,
							Pattern: variantPattern}),
						required("text", str("The message: a text/template over the CSV's columns.")),
						prop("disabled", withDefault(&strictyaml.Schema{Type: strictyaml.Boolean, Description: "Stop the variant by hand."}, false)),
					)}),
				prop("fallback", &strictyaml.Schema{Type: strictyaml.Array,
					Description: "Variants tried in order when the first cannot be rendered; default: the others in list order.",
					Unique:      true, Items: &strictyaml.Schema{Type: strictyaml.String, Pattern: variantPattern}}),
			)),
			prop("wait", config.DurationSchema("On a follow step: the time before the next step.", "0")),
		)}),
	prop("ab_test", object("How the note variants are chosen.",
		prop("strategy", withDefault(&strictyaml.Schema{Type: strictyaml.String, Description: "thompson: Thompson sampling on acceptance; uniform: at random, by weight.",
			Enum: []string{string(StrategyThompson), string(StrategyUniform)}}, string(StrategyThompson))),
		prop("min_samples", withDefault(&strictyaml.Schema{Type: strictyaml.Integer,
			Description: "Invitations each variant gets before the strategy may favour one.", Min: strictyaml.Float(0)}, 0)),
		prop("include_blank", withDefault(&strictyaml.Schema{Type: strictyaml.Boolean,
			Description: "Make the invitation without a note an arm of the experiment."}, false)),
	)),
)

// Short names for the schema builders (strictyaml), so that the
// definition below reads as the file does.
var (
	str         = strictyaml.Text
	object      = strictyaml.ObjectOf
	prop        = strictyaml.Optional
	required    = strictyaml.Mandatory
	withDefault = strictyaml.WithDefault
)
