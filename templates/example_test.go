package templates_test

import (
	"errors"
	"fmt"
	"log"

	"github.com/outreach-scheduler/outreach/templates"
)

func Example() {
	event, err := templates.Parse("event", "Hi {{.first_name}}, great meeting you at {{.event}}. I enjoyed our chat about {{.topic}}.")
	if err != nil {
		log.Fatal(err)
	}
	short, err := templates.Parse("short", "Hi {{.first_name}}, enjoyed {{.event}} too. Would love to connect!")
	if err != nil {
		log.Fatal(err)
	}
	set, err := templates.NewSet(
		[]templates.Variant{{Name: "event", Template: event}, {Name: "short", Template: short}},
		[]string{"short", "blank"},
	)
	if err != nil {
		log.Fatal(err)
	}

	// This prospect has no topic: the event variant is skipped, and why is recorded.
	prospect := templates.Fields{"first_name": "Ana", "event": "GopherCon", "topic": ""}
	note, err := set.Choose(prospect, templates.ChooseOptions{Limit: 300})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s (%d chars, fallback reason %s)\n%s\n", note.Variant, note.Chars, note.Reason, note.Text)
	for _, a := range note.Attempts {
		fmt.Printf("skipped %s: %s\n", a.Variant, a.Detail)
	}

	// The account's monthly note allowance is spent: blank, because the user listed it.
	note, _ = set.Choose(prospect, templates.ChooseOptions{Limit: 300, NoNotes: true})
	fmt.Println(note.Variant, note.Reason)
	// Output:
	// short (53 chars, fallback reason missing_field)
	// Hi Ana, enjoyed GopherCon too. Would love to connect!
	// skipped event: missing field "topic"
	// blank note_allowance
}

func ExampleSet_Choose_noFit() {
	short, _ := templates.Parse("short", "Hi {{.first_name}}, enjoyed {{.event}} too!")
	set, _ := templates.NewSet([]templates.Variant{{Name: "short", Template: short}}, nil) // no fallback: never blank
	_, err := set.Choose(templates.Fields{"first_name": "Ana"}, templates.ChooseOptions{Limit: 200})
	var nf *templates.NoFitError
	fmt.Println(errors.As(err, &nf), err)
	// Output:
	// true no note fits: short: missing field "event"
}

func ExampleCount() {
	fmt.Println(templates.Count("Merci André 👍🏽"))
	// Output: 16
}

func ExampleTemplate_Fields() {
	t, _ := templates.Parse("note", "Hi {{.full_name | first}}{{if .event}},\nsee you at {{.event}}{{end}}!\n{{default \"Best\" .signature}}")
	for _, f := range t.Fields() {
		fmt.Printf("%s optional=%v line %d\n", f.Name, f.Optional, f.Line)
	}
	fmt.Println(t.Render(templates.Fields{"full_name": "Ana Lima"}))
	// Output:
	// event optional=true line 1
	// full_name optional=false line 1
	// signature optional=true line 3
	// Hi Ana!
	// Best <nil>
}

func ExampleParse_error() {
	_, err := templates.Parse("note", "Hi {{.first_name}},\n{{printf \"%s\" }x}}")
	fmt.Println(err)
	// Output: line 2: unexpected "}" in operand
}
