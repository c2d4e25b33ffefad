package campaigns

import (
	"errors"
	"math"
	"os"
	"slices"
	"time"

	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/diag"
	"github.com/outreach-scheduler/outreach/lifecycle"
	"github.com/outreach-scheduler/outreach/prospects"
	"github.com/outreach-scheduler/outreach/templates"
)

// Campaign is a campaign file, decoded and validated.
type Campaign struct {
	// Path is the file as given to Load.
	Path string
	// Name (`name`, required) is 1 to 63 of a-z, 0-9 and -.
	Name string
	// Accounts (`accounts`, required, non-empty) are the sender accounts,
	// each defined in the config, none twice.
	Accounts []string
	// Prospects (`prospects`, required) is the prospect CSV.
	Prospects Source
	// Exclude (`exclude`) is a CSV of people never to contact. Default nil.
	Exclude *Source
	// Schedule (`schedule`) overrides the accounts' working days, hours and
	// time zone. Default nil: the accounts' own.
	Schedule *Schedule
	// Dedupe (`dedupe`) is the scope in which a person is invited once.
	// Default DedupeWorkspace.
	Dedupe Dedupe
	// Paused (`paused`) pauses the campaign when the file is applied, as
	// `outreach pause campaign` does; false resumes it, but only when the
	// file said true when last applied (the later of the file and the
	// command line wins). Default false.
	Paused bool
	// Steps (`steps`, required) are the steps in order: follow steps, then
	// exactly one connect step, then message steps.
	Steps []Step
	// ABTest (`ab_test`) chooses among the note variants.
	ABTest ABTest
	// Line is the line of the campaign's top-level mapping.
	Line int
}

// Source is a CSV file of people (`prospects`, `exclude`).
type Source struct {
	// Path (`csv`, required) is the file, resolved against the campaign
	// file's directory unless absolute. It must be inside the config
	// file's directory or its allow_paths, symlinks followed
	// (config.Config.CheckPath): elsewhere it is an error at the csv key.
	Path string
	// Key (`key`) is the column identifying a person, in the normalized
	// header form (lower case, non-alphanumeric runs as _).
	// Default DefaultKey; for exclude, the prospects' key.
	Key string
	// Encoding (`encoding`) is the file's character encoding, one of
	// prospects.Encodings. Default prospects.UTF8. A byte order mark in
	// the file wins over it.
	Encoding prospects.Encoding
	// EncodingKey is the path of the encoding key ("prospects.encoding"),
	// named in findings about the file's encoding.
	EncodingKey string
	// Line is the line of the csv value.
	Line int
}

// ReadOptions are the options to read the source's CSV file with.
func (s *Source) ReadOptions() prospects.Options {
	return prospects.Options{Key: s.Key, Encoding: s.Encoding, EncodingKey: s.EncodingKey}
}

// ProspectOptions are the options to read the campaign's prospect CSV with:
// its key and encoding, and the columns whose values reach a note or a
// message (the fields of every template), so that control characters are
// refused there and only there.
func (c *Campaign) ProspectOptions() prospects.Options {
	opt := c.Prospects.ReadOptions()
	opt.NoteFields = []string{}
	add := func(t *templates.Template) {
		if t == nil {
			return
		}
		for _, f := range t.Fields() {
			if !slices.Contains(opt.NoteFields, f.Name) {
				opt.NoteFields = append(opt.NoteFields, f.Name)
			}
		}
	}
	for _, st := range c.Steps {
		if st.Connect != nil {
			for _, v := range st.Connect.Variants {
				add(v.Template)
			}
		}
		if st.Message != nil {
			for _, v := range st.Message.Variants {
				add(v.Template)
			}
		}
	}
	return opt
}

// DefaultKey is the default key column: LinkedIn's profile URL, normalized.
const DefaultKey = "profile_url"

// Schedule is the `schedule` section. Each key is optional; an absent key
// falls back to the account's setting.
type Schedule struct {
	// Days (`days`); zero means the account's.
	Days config.Weekdays
	// Hours (`hours`), in the schedule's (or the account's) time zone;
	// zero means the account's.
	Hours config.Hours
	// Timezone (`timezone`); "" means the account's.
	Timezone string
	// Location is Timezone loaded; nil means the account's.
	Location *time.Location
	// Line is the line of the section.
	Line int
}

// Dedupe is the scope within which a person gets one invitation.
type Dedupe string

// The dedupe scopes.
const (
	DedupeWorkspace Dedupe = "workspace" // by one account of the workspace, across campaigns
	DedupeAccount   Dedupe = "account"   // once per sender account, across campaigns
	DedupeCampaign  Dedupe = "campaign"  // once per campaign
)

// StepKind is what a step does.
type StepKind string

// The step kinds.
const (
	StepFollow  StepKind = "follow"
	StepConnect StepKind = "connect"
	StepMessage StepKind = "message"
)

// Step is one entry of `steps`: a mapping with exactly one of follow,
// connect and message.
type Step struct {
	Kind StepKind
	// Wait (`wait`, follow steps only) is the time after this step before
	// the next. Default 0.
	Wait time.Duration
	// Line is the line of the step.
	Line int
	// Connect is set for a connect step.
	Connect *Connect
	// Message is set for a message step.
	Message *Message
}

// Connect is a connect step.
type Connect struct {
	// Variants (`note.variants`) are the note variants; none when `note`
	// is omitted (blank invitations).
	Variants []Variant
	// Fallback (`note.fallback`) names variants (or `blank`) tried in
	// order when the chosen one cannot be used. Default: none.
	Fallback []string
	// WithdrawAfter (`withdraw_after`) overrides defaults.withdraw_after,
	// > 0. Default 0: the config's.
	WithdrawAfter time.Duration
	// Notes is the variants and fallback as a templates.Set. Without a
	// note it is the set that always chooses blank.
	Notes *templates.Set
	// Line is the line of the step's connect key.
	Line int
	// NoteLine is the line of the note (0 without one).
	NoteLine int
}

// Variant is one note variant.
type Variant struct {
	// Name (`name`, required) is 1 to 63 of a-z, 0-9, _ and -, unique in
	// the step, not "blank".
	Name string
	// Text (`text`, required) is the template text as written.
	Text string
	// Weight (`weight`) is the variant's share under the uniform strategy,
	// >= 0. Default 1.
	Weight float64
	// Disabled (`disabled`) stops the variant by hand. Default false.
	Disabled bool
	// Line is the line of the variant.
	Line int
	// TextLine is the line of the text (of the `|` of a block scalar),
	// and Path its key path (steps[1].connect.note.variants[0].text):
	// findings about the template go there.
	TextLine int
	Path     string
	// Block is true for a literal block scalar (|): line k (1-based) of
	// Text is at TextLine + k.
	Block bool
	// Template is Text, parsed.
	Template *templates.Template
}

// Message is a message step, sent once the invitation is accepted.
type Message struct {
	// Wait (`wait`) is the time after acceptance (or after the previous
	// message) before sending. Default 0.
	Wait time.Duration
	// Variants are the message's texts: its `variants` (each with name,
	// text and disabled, like a note's, without weight), or, for the
	// single `text` form, one variant named "text". One is required.
	Variants []Variant
	// Fallback (`fallback`, with variants only) names the variants tried,
	// in order, after the first one when it cannot be rendered. Default:
	// the remaining variants in list order. `blank` is not allowed.
	Fallback []string
	// Set is the enabled variants and the fallback order as a
	// templates.Set: Choose picks from it.
	Set *templates.Set
	// Line is the line of the step's message key.
	Line int
}

// messageLimit is the length limit Choose gives templates.Set.Choose for a
// message: messages have no limit of their own (a rendered template is
// capped at 64 KiB).
const messageLimit = math.MaxInt32

// Choose renders the message for one prospect: the first variant that
// renders with every field it needs, trying the first variant, then the
// fallback order (or the remaining variants in list order). It is
// deterministic: the same fields choose the same variant. When no variant
// renders, the error is a *templates.NoFitError (every attempt with reason
// missing_field) or a template execution error; the prospect then skips
// this message (see MessageSkipReason).
func (m *Message) Choose(f templates.Fields) (templates.Note, error) {
	if m.Set == nil {
		return templates.Note{}, errors.New("message has no text")
	}
	return m.Set.Choose(f, templates.ChooseOptions{Limit: messageLimit})
}

// Message skip reasons: why a prospect skipped a message step (the
// sequence goes on with the next one).
const (
	MessageSkipMissingField = string(templates.ReasonMissingField) // no variant renders: a field it needs is empty
	MessageSkipInvalid      = lifecycle.SkipInvalid                // a template failed to execute
)

// MessageSkipReason returns the reason a prospect skips a message whose
// Choose failed with err.
func MessageSkipReason(err error) string {
	if _, ok := errors.AsType[*templates.NoFitError](err); ok {
		return MessageSkipMissingField
	}
	return MessageSkipInvalid
}

// ABTest is the `ab_test` section.
type ABTest struct {
	// Strategy (`strategy`) is StrategyThompson or StrategyUniform.
	// Default thompson.
	Strategy Strategy
	// MinSamples (`min_samples`) is the number of invitations each variant
	// gets before the strategy may favour one, >= 0. Default 0.
	MinSamples int
	// IncludeBlank (`include_blank`) makes the invitation without a note
	// an arm of the experiment, competing with the variants. Default false:
	// blank is only a fallback.
	IncludeBlank bool
	// Line is the line of the section (0 when absent).
	Line int
}

// Strategy chooses a note variant for each invitation.
type Strategy string

// The A/B strategies.
const (
	StrategyThompson Strategy = "thompson" // Thompson sampling on acceptance
	StrategyUniform  Strategy = "uniform"  // at random, in proportion to the weights
)

// Load reads and decodes the campaign file at path, checking its accounts
// against cfg (when cfg is nil they are not checked). The error is only
// for I/O; problems with the content are findings. The Campaign is
// returned whenever the error is nil, filled as far as the file allowed:
// use it only when the findings hold no error.
func Load(path string, cfg *config.Config) (*Campaign, diag.List, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	c, findings := Parse(path, data, cfg)
	return c, findings, nil
}

// ConnectStep returns the campaign's connect step, or nil.
func (c *Campaign) ConnectStep() *Connect {
	for i := range c.Steps {
		if c.Steps[i].Connect != nil {
			return c.Steps[i].Connect
		}
	}
	return nil
}
