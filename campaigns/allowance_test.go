package campaigns

import (
	"testing"

	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/templates"
)

// TestNotePlan: a free account's notes go to the first prospects of each
// month of the plan; the rest get the fallback (note_allowance), or wait
// when blank is not a fallback; a month is the invitations at the caps.
func TestNotePlan(t *testing.T) {
	cfg, fs := config.Parse("config.yaml", []byte(`
accounts:
  - {id: bob, tier: free, limits: {notes_per_month: 2, weekly: 3}}
  - {id: carol, tier: premium}
`))
	if fs.HasErrors() {
		t.Fatal(fs)
	}
	hi, err := templates.Parse("hi", "Hi {{.first_name}}")
	if err != nil {
		t.Fatal(err)
	}
	vars := []templates.Variant{{Name: "hi", Template: hi}}
	withBlank, _ := templates.NewSet(vars, []string{"blank"})
	noBlank, _ := templates.NewSet(vars, nil)
	f := templates.Fields{"first_name": "Ann"}
	opt := templates.ChooseOptions{Limit: 200}

	p := NewNotePlan(cfg)
	var got []string
	for range 16 {
		note, waits, err := p.choose("bob", withBlank, f, opt)
		if err != nil || waits {
			t.Fatalf("choose: %v, waits %v", err, waits)
		}
		got = append(got, note.Variant+"/"+string(note.Reason))
	}
	// 13 invitations a month: min(3 weekly, 1 daily x 5 days) x 52 / 12.
	for i, g := range got {
		want := "blank/note_allowance"
		if i%13 < 2 {
			want = "hi/"
		}
		if g != want {
			t.Errorf("invitation %d: %s, want %s", i, g, want)
		}
	}
	if note, waits, err := p.choose("bob", noBlank, f, opt); err != nil || !waits || note.Variant != "hi" {
		t.Errorf("no blank fallback, allowance spent: %+v, waits %v, %v; want the note, waiting", note, waits, err)
	}
	for range 5 {
		if note, waits, err := p.choose("carol", noBlank, f, opt); err != nil || waits || note.Variant != "hi" {
			t.Errorf("premium: %+v, waits %v, %v", note, waits, err)
		}
	}
	sums := p.Summaries()
	want := AllowanceSummary{Account: "bob", Tier: "free", NotesPerMonth: 2, PerMonth: 13, Invitations: 16, Months: 2,
		Notes: 4, Fallbacks: 12, Waiting: 1}
	if len(sums) != 1 || sums[0] != want {
		t.Errorf("summaries %+v, want only %+v (carol has no allowance)", sums, want)
	}
}
