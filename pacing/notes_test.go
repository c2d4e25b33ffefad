package pacing

import "testing"

func TestNoteAllowance(t *testing.T) {
	n := NoteAllowance{Limit: 2}
	for i, want := range []bool{false, false, false, true} {
		if got := n.Spent(); got != want {
			t.Errorf("after %d planned notes: Spent() = %v, want %v", n.Used, got, want)
		}
		n.Plan(i != 1) // the second invitation is blank: it uses nothing
	}
	if n.Used != 3 {
		t.Errorf("Used = %d, want 3 (blank invitations use nothing)", n.Used)
	}
	if (NoteAllowance{Limit: Unlimited, Used: 1 << 30}).Spent() {
		t.Error("an unlimited allowance is never spent")
	}
	if !(NoteAllowance{Limit: Unlimited, Out: true}).Spent() {
		t.Error("the platform's word (Out) spends any allowance")
	}
	if !(NoteAllowance{Limit: 0}).Spent() {
		t.Error("notes_per_month 0 allows no note")
	}
}
