package export

import "time"

// Row is one prospect of one campaign.
type Row struct {
	Key      string // the person's normalized key
	Campaign string
	Account  string // the sender (assigned, or pinned before that); "" none
	State    string // queued, followed, invited, accepted, messaged, declined, withdrawn, expired, skipped, failed
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

// Column is one column of the export.
type Column struct {
	Name    string
	Meaning string
}

// Columns are the columns of a row, in order: the CSV header and the JSON
// field names.
var Columns = []Column{
	{"key", "the person's normalized key (profile URL or ID), as in the prospect file after normalization"},
	{"campaign", "the campaign's name"},
	{"account", "the sender account's ID: the one that invited, or the pinned one before that; empty when none is assigned yet"},
	{"state", "queued, followed, invited (pending), accepted, messaged (every message step done), declined, withdrawn, expired, skipped, failed"},
	{"variant", "the note variant of the invitation, blank for an invitation without a note; empty when not invited"},
	{"note_length", "the note's length in characters as the platform counts them (UTF-16 code units); empty when not invited or not known"},
	{"fallback", "why the campaign's first variant was not used: too_long, missing_field, note_allowance; empty when it was"},
	{"invited_at", "when the invitation was sent"},
	{"answered_at", "when the invitation was accepted or declined, or withdrawn (after withdraw_after) or expired"},
	{"messaged_at", "when the last message was sent"},
	{"reason", "why it failed (the platform's code, e.g. invalid_profile) or was skipped (excluded, duplicate, already_invited, declined_before, invalid, removed); message_CODE when a message failed"},
}

// FieldColumn is the CSV column name of a prospect field: the field's
// name, or field_NAME when NAME is also one of Columns.
func FieldColumn(name string) string {
	for _, c := range Columns {
		if c.Name == name {
			return "field_" + name
		}
	}
	return name
}
