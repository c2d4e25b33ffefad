package pacing

// NoteAllowance is an account's monthly allowance of personalized notes as
// the planner spends it. The planner (scheduler) and the preflight of
// validate and preview (campaigns.Check) both decide with it, so that what
// validate and preview announce is what the planner does.
type NoteAllowance struct {
	// Limit is the account's notes per calendar month
	// (Limits.NotesPerMonth); Unlimited for no ceiling.
	Limit int
	// Used is the personalized notes planned this month.
	Used int
	// Out is set when the platform said this month's allowance is spent,
	// whatever Used says.
	Out bool
}

// Spent reports whether no personalized note may be planned now: the
// invitation goes without one (the note_allowance fallback), or waits
// for next month when blank is not allowed.
func (n NoteAllowance) Spent() bool {
	return n.Out || (n.Limit != Unlimited && n.Used >= n.Limit)
}

// Plan counts a planned invitation: with a note, it uses the allowance.
func (n *NoteAllowance) Plan(withNote bool) {
	if withNote {
		n.Used++
	}
}
