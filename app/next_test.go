package app

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/internal/golden"
	"github.com/outreach-scheduler/outreach/platform/sandbox"
	"github.com/outreach-scheduler/outreach/scheduler"
	"github.com/outreach-scheduler/outreach/wire"
)

// TestNextLineGolden: every reason run can give, and the forms of a time
// (today, this week, later; exact or the earliest), worded as in
// testdata/next.golden.
func TestNextLineGolden(t *testing.T) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 23, 5, 25, 0, 0, london) // a Monday
	nine := time.Date(2026, 11, 23, 9, 0, 0, 0, london)
	inv := func(at time.Time, r scheduler.Block, until time.Time) scheduler.NextInfo {
		return scheduler.NextInfo{Account: "rita", At: at, Kind: wire.KindInvite, Campaign: "q3-sales", Reason: r, Until: until}
	}
	cases := []scheduler.NextInfo{
		inv(nine.Add(7*time.Minute), scheduler.BlockHours, nine),
		{Account: "rita", At: nine, Earliest: true, Kind: wire.KindInvite, Campaign: "q3-sales", Reason: scheduler.BlockHours, Until: nine},
		inv(now.Add(25*time.Minute), scheduler.BlockNone, time.Time{}),
		inv(nine.AddDate(0, 0, 1), scheduler.BlockDailyCap, nine.Add(24*time.Hour-9*time.Hour)),
		inv(nine.AddDate(0, 0, 3).Add(20*time.Minute), scheduler.BlockWeeklyCap, nine.AddDate(0, 0, 3).Add(20*time.Minute)),
		inv(nine.AddDate(0, 0, 9), scheduler.BlockRestricted, nine.AddDate(0, 0, 9)),
		inv(nine.AddDate(0, 0, 1), scheduler.BlockPaused, nine.AddDate(0, 0, 1)),
		{Account: "rita", Reason: scheduler.BlockPaused},
		{Account: "rita", Reason: scheduler.BlockCampaignPaused},
		inv(nine.Add(2*time.Hour), scheduler.BlockCampaignPaused, nine.Add(2*time.Hour)),
		{Account: "rita", At: nine.Add(time.Hour), Kind: wire.KindWithdraw, Campaign: "q3-sales", Reason: scheduler.BlockPending},
		{Account: "rita", Reason: scheduler.BlockConnections},
		{Account: "rita", At: nine, Kind: wire.KindFollow, Reason: scheduler.BlockWaiting, ReasonCampaign: "q3-sales"},
		{Account: "rita", Reason: scheduler.BlockWaiting, Until: nine.AddDate(0, 0, 8)},
		{Account: "rita", At: nine.Add(90 * time.Minute), Kind: wire.KindMessage, Campaign: "q3-sales", Reason: scheduler.BlockNoProspects},
		{Account: "rita", Reason: scheduler.BlockNoProspects},
	}
	cases[9].ReasonCampaign = "q3-sales"
	var b strings.Builder
	for _, n := range cases {
		b.WriteString(nextLine(n, london, now) + "\n")
	}
	golden.Check(t, "testdata/next.golden", b.String())
}

func TestCountdown(t *testing.T) {
	for d, want := range map[time.Duration]string{
		-time.Second: "0s", 45 * time.Second: "45s", 12*time.Minute + 59*time.Second: "12m",
		3*time.Hour + 35*time.Minute: "3h35m", 3*time.Hour + 5*time.Minute: "3h05m", 50 * time.Hour: "2d2h",
	} {
		if got := countdown(d); got != want {
			t.Errorf("countdown(%v) = %q, want %q", d, got, want)
		}
	}
}

// officeFiles is a workspace of one account in London working weekdays
// 09:00-17:00 with one campaign of 5 prospects.
func officeFiles() map[string]string {
	var csv strings.Builder
	csv.WriteString("profile_url,first_name\n")
	for i := range 5 {
		fmt.Fprintf(&csv, "https://example.com/in/p%d,Name%d\n", i, i)
	}
	return map[string]string{
		"p.csv": csv.String(),
		"config.yaml": `
defaults:
  min_gap: 10m
  days: [mon, tue, wed, thu, fri]
  hours: "09:00-17:00"
  timezone: Europe/London
accounts:
  - id: rita
    tier: premium
    limits: {weekly: 50, daily: 10}
campaigns: [c.yaml]
`,
		"c.yaml": `
name: q3-sales
accounts: [rita]
prospects: {csv: p.csv}
steps:
  - connect: {}
`,
	}
}

// TestNextLinesPrintWhenChangedOrAMinuteLater: the line of an idle account
// is printed at the first report, not again while nothing changes within
// a minute, again a minute later (the countdown moved on), at once when
// what is next changes, and not at all while an action is due within the
// minute.
func TestNextLinesPrintWhenChangedOrAMinuteLater(t *testing.T) {
	cfg, c := loadWorkspace(t, t.TempDir(), officeFiles())
	e, err := scheduler.New(scheduler.Options{Config: cfg, Campaigns: []*campaigns.Campaign{c}, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	london := cfg.Accounts[0].Location
	now := time.Date(2026, 11, 23, 5, 25, 0, 0, london) // Monday, before the hours
	var out bytes.Buffer
	var l nextLines
	report := func(at time.Time) int {
		out.Reset()
		l.report(&out, e, cfg.Accounts, at, func(a string, err error) { t.Fatalf("%s: %v", a, err) })
		return strings.Count(out.String(), "next: ")
	}
	if n := report(now); n != 1 || !strings.Contains(out.String(), "05:25:00  next: rita from 09:00 Europe/London, in 3h35m: invitation (q3-sales); outside working hours until 09:00") {
		t.Fatalf("first report:\n%s", out.String())
	}
	for s := 10; s < 60; s += 10 {
		if n := report(now.Add(time.Duration(s) * time.Second)); n != 0 {
			t.Fatalf("unchanged within the minute, printed again at +%ds:\n%s", s, out.String())
		}
	}
	if n := report(now.Add(time.Minute)); n != 1 || !strings.Contains(out.String(), "in 3h34m") {
		t.Fatalf("a minute later:\n%s", out.String())
	}
	// The leader draws the minute: the line changes at once.
	e.Plan(now.Add(time.Minute + 10*time.Second))
	if n := report(now.Add(time.Minute + 20*time.Second)); n != 1 || !regexp.MustCompile(`next: rita at 09:\d\d Europe/London, in \dh\d\dm: invitation \(q3-sales\); outside working hours until 09:00`).MatchString(out.String()) {
		t.Fatalf("after the draw:\n%s", out.String())
	}
	// Within the minute before the invitation: no line.
	nx, _ := e.Next("rita", now)
	if n := report(nx.At.Add(-30 * time.Second)); n != 0 {
		t.Fatalf("an invitation due in 30s, and a next line:\n%s", out.String())
	}
}

// TestRunSaysWhatIsNext runs the whole service outside working hours on a
// fake clock that stands still: the next line is printed once for many
// progress reports; moved on by a minute, the clock brings it again.
func TestRunSaysWhatIsNext(t *testing.T) {
	cfg, c := loadWorkspace(t, t.TempDir(), officeFiles())
	var clock atomic.Int64
	london := cfg.Accounts[0].Location
	clock.Store(time.Date(2026, 11, 23, 5, 25, 0, 0, london).UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()).In(london) }
	sbOpt, err := sandbox.OptionsFromConfig(cfg, 1)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Options{Config: cfg, Campaigns: []*campaigns.Campaign{c}, Out: &out, Now: now,
			Progress: 100 * time.Millisecond, Model: sandbox.New(sbOpt), Seed: 1})
	}()
	waitFor(t, "10 progress reports", func() bool { return strings.Count(out.String(), "progress: ") >= 10 })
	text := out.String()
	line := regexp.MustCompile(`05:25:00  next: rita at 09:\d\d Europe/London, in \dh\d\dm: invitation \(q3-sales\); outside working hours until 09:00\n`)
	if n := len(line.FindAllString(text, -1)); n != 1 || strings.Count(text, "next: ") != 1 {
		t.Fatalf("%d next lines in %d progress reports on a still clock; want 1:\n%s", strings.Count(text, "next: "), strings.Count(text, "progress: "), text)
	}
	clock.Add(int64(time.Minute))
	waitFor(t, "a second next line", func() bool { return strings.Count(out.String(), "next: ") >= 2 })
	text = out.String()
	if !regexp.MustCompile(`05:26:00  next: rita at 09:\d\d Europe/London, in \dh\d\dm: invitation`).MatchString(text) {
		t.Errorf("no next line a minute later:\n%s", text)
	}
	if strings.Contains(text, "example.com") {
		t.Errorf("the report shows personal data:\n%s", text)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
