package sim

import (
	"context"
	"testing"
	"time"
)

// TestSimulateReplies: the simulator's sandbox replies to messages
// (platform.sandbox.reply_rate): the event stream has replied events, the
// forecast counts them (campaign, account, weeks), and nobody who replied
// gets a message after the reply.
func TestSimulateReplies(t *testing.T) {
	w := buildWorld(t, worldSpec{
		defaults:  "min_gap: 5m\njitter: 1.0\n",
		accounts:  []string{"id: a\ntier: premium"},
		prospects: 400,
		campaigns: []string{
			"name: seq\naccounts: [a]\nsteps:\n  - connect: {}\n" +
				"  - message:\n      wait: 1h\n      text: \"Thanks for connecting, {{.first_name}}!\"\n" +
				"  - message:\n      wait: 2d\n      text: \"How are things, {{.first_name}}?\"\n" +
				"  - message:\n      wait: 2d\n      text: \"One last note, {{.first_name}}.\"\n",
		},
	})
	opt := w.options()
	opt.Start = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	opt.Days = 40
	opt.Seed = 5
	repliedAt := map[string]time.Time{}
	replies, messages, late := 0, 0, 0
	opt.OnEvent = func(e Event) {
		switch e.Event {
		case "replied":
			replies++
			if _, again := repliedAt[e.Prospect]; again {
				t.Errorf("%s replied twice", e.Prospect)
			}
			repliedAt[e.Prospect] = e.T
			if e.Campaign != "seq" || e.Account != "a" {
				t.Errorf("replied event %+v", e)
			}
		case "messaged":
			messages++
			if at, ok := repliedAt[e.Prospect]; ok && !e.T.Before(at) {
				late++
			}
		}
	}
	res, err := Run(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	if late > 0 {
		t.Errorf("%d messages went to prospects after they replied", late)
	}
	if replies == 0 || messages == 0 {
		t.Fatalf("%d replies to %d messages: the world should exercise replies", replies, messages)
	}
	// About reply_rate (0.15) of the messages get a reply (a little less:
	// some replies come after the forecast ends).
	if rate := float64(replies) / float64(messages); rate < 0.08 || rate > 0.22 {
		t.Errorf("%d replies to %d messages (%.3f), want about 0.15", replies, messages, rate)
	}
	c := res.Campaigns[0]
	weekly := 0
	for _, wk := range c.Weeks {
		weekly += wk.Replied
	}
	if c.Replied != replies || res.Accounts[0].Replied != replies || weekly != replies {
		t.Errorf("forecast counts %d replied (account %d, weeks %d), the events %d", c.Replied, res.Accounts[0].Replied, weekly, replies)
	}
}
