package export

import "time"

// Row is one prospect of one campaign.
type Row struct {
	Key      string // the person's normalized key
	Campaign string
	Account  string // the sender (assigned, or pinned before that); "" none
	State    string // queued, followed, invited, accepted, messaged, replied, declined, withdrawn, expired, skipped, failed
	Variant  string // the invitation's note variant, "blank" for none; "" not invited
	// NoteLength is the note's length in UTF-16 code units (what the
	// platform counts); -1 unknown (not invited, or the ledger record is
	// gone).
	NoteLength int
	Fallback   string    // why the campaign's first variant was not used (too_long, missing_field, note_allowance)
	Invited    time.Time // when the invitation was sent; zero none
	Answered   time.Time // accepted, declined, withdrawn or expired; zero none
	Messaged   time.Time // the last message sent; zero none
	Reason     string    // failed: the platform's code; skipped: why; messaged: message_CODE when a message failed
	// Fields are the prospect's values of the writer's fields (NewCSV,
	// NewJSONL), in their order; "" where it has none.
	Fields []string
}

// Columns are the columns of a row, in order: the CSV header and the JSON
// field names (README, "Exporting results", says what each holds).
var Columns = []string{
	"key", "campaign", "account", "state", "variant", "note_length", "fallback",
	"invited_at", "answered_at", "messaged_at", "reason",
}

// FieldColumn is the CSV column name of a prospect field: the field's
// name, or field_NAME when NAME is also one of Columns.
func FieldColumn(name string) string {
	for _, c := range Columns {
		if c == name {
			return "field_" + name
		}
	}
	return name
}
