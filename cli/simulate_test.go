package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/sim"

	"github.com/outreach-scheduler/outreach/internal/golden"
)

const simCfg = "testdata/ws/config.yaml"

// simGood runs good.yaml of testdata/ws over two weeks from a fixed start.
var simGood = []string{"--config", simCfg, "simulate", "testdata/ws/campaigns/good.yaml", "--start", "2026-11-23T09:00:00Z", "--days", "14", "--seed", "7"}

// runAt runs the command line with the clock stopped at now.
func runAt(now time.Time, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := execute(context.Background(), &globals{stdout: &out, stderr: &errb, now: func() time.Time { return now }}, args)
	return code, out.String(), errb.String()
}

// fakeSim replaces the simulator for the test: it records the options,
// sends events and returns res.
func fakeSim(t *testing.T, events []sim.Event, res *sim.Result, err error) *sim.Options {
	t.Helper()
	var got sim.Options
	saved := runSim
	t.Cleanup(func() { runSim = saved })
	runSim = func(ctx context.Context, o sim.Options) (*sim.Result, error) {
		got = o
		for _, ev := range events {
			if o.OnEvent != nil {
				o.OnEvent(ev)
			}
		}
		return res, err
	}
	return &got
}

// TestSimulateUsage: bad flags are usage errors (exit 2), found before
// anything is loaded or run.
func TestSimulateUsage(t *testing.T) {
	fakeSim(t, nil, nil, errors.New("the simulator must not run"))
	good := "testdata/ws/campaigns/good.yaml"
	cases := []struct {
		args []string
		want string // in stderr
	}{
		{[]string{"--config", simCfg, "simulate", good}, "--days N is required"},
		{[]string{"--config", simCfg, "simulate", good, "--days", "0"}, "--days must be 1 to 3660, got 0"},
		{[]string{"--config", simCfg, "simulate", good, "--days", "-3"}, "--days must be 1 to 3660, got -3"},
		{[]string{"--config", simCfg, "simulate", good, "--days", "3661"}, "--days must be 1 to 3660"},
		{[]string{"--config", simCfg, "simulate", good, "--days", "two"}, `invalid argument "two" for "--days"`},
		{[]string{"--config", simCfg, "simulate", good, "--days", "3", "--seed", "x"}, `invalid argument "x" for "--seed"`},
		{[]string{"--config", simCfg, "simulate", good, "--days", "3", "--start", "2026-11-31"}, `--start "2026-11-31": want a date YYYY-MM-DD (midnight UTC) or an RFC 3339 time`},
		{[]string{"--config", simCfg, "simulate", good, "--days", "3", "--start", "23/11/2026"}, `--start "23/11/2026": want a date YYYY-MM-DD (midnight UTC) or an RFC 3339 time`},
		{[]string{"--config", simCfg, "simulate", good, "--days", "3", "--frobnicate"}, "unknown flag: --frobnicate"},
		{[]string{"--config", simCfg, "simulate", good, "--days", "3", "--chart", "forecast.jpg"}, `--chart "forecast.jpg": the chart's file name must end in .svg or .png`},
		{[]string{"--config", simCfg, "simulate", good, "--days", "3", "--chart", "forecast"}, `the chart's file name must end in .svg or .png`},
		{[]string{"--config", "testdata/absent.yaml", "simulate", good, "--days", "3"}, "absent.yaml"},
		{[]string{"--config", simCfg, "simulate", "--days", "3", "testdata/ws/campaigns/missing.yaml"}, "missing.yaml"},
	}
	for _, tc := range cases {
		code, stdout, stderr := runAt(time.Now(), tc.args...)
		want := ExitError
		if strings.HasSuffix(tc.args[len(tc.args)-1], "missing.yaml") {
			want = ExitInvalid // an unreadable campaign file is bad input, as for validate
		}
		if code != want || !strings.Contains(stderr, tc.want) || stdout != "" {
			t.Errorf("outreach %s: exit %d (want %d), stdout %q, stderr %q (want %q in it)",
				strings.Join(tc.args, " "), code, want, stdout, stderr, tc.want)
		}
	}
}

// TestSimulateInvalid: simulate refuses what validate rejects (exit 1),
// with the findings on stderr, and never runs.
func TestSimulateInvalid(t *testing.T) {
	fakeSim(t, nil, nil, errors.New("the simulator must not run"))
	for _, args := range [][]string{
		{"--config", simCfg, "simulate", "--days", "3", "testdata/ws/campaigns/bad.yaml"},
		{"--config", simCfg, "simulate", "--days", "3"}, // the config's globs hold bad.yaml
		{"--config", simCfg, "simulate", "--days", "3", "testdata/bad-campaign.yaml"},
		{"--config", "testdata/bad-config.yaml", "simulate", "--days", "3"},
	} {
		code, stdout, stderr := runAt(time.Now(), args...)
		if code != ExitInvalid || stdout != "" || !strings.Contains(stderr, "errors: fix them before simulating") {
			t.Errorf("outreach %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, ExitInvalid, stdout, stderr)
		}
	}
	code, _, stderr := runAt(time.Now(), "--config", simCfg, "simulate", "--days", "3", "testdata/ws/campaigns/bad.yaml")
	if code == ExitInvalid && !strings.Contains(stderr, "bad.csv:4: row has 3 fields, header has 5") {
		t.Errorf("the findings are missing from stderr:\n%s", stderr)
	}
}

var fakeResult = &sim.Result{
	Start: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC),
	End:   time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC),
	Accounts: []sim.AccountResult{
		{ID: "alice", Counts: sim.Counts{Invited: 3, Accepted: 1, Declined: 1, Pending: 1}},
		{ID: "bob"},
	},
	Campaigns: []sim.CampaignResult{
		{Name: "good", Prospects: 3, Counts: sim.Counts{Invited: 3, Accepted: 1, Declined: 1, Pending: 1, Messaged: 1},
			Completed: time.Date(2026, 11, 23, 9, 6, 0, 0, time.UTC), LastInvited: time.Date(2026, 11, 23, 9, 6, 0, 0, time.UTC),
			AnswersBy: time.Date(2026, 12, 14, 9, 6, 0, 0, time.UTC), Fallbacks: map[string]int{"too_long": 1},
			Weeks: []sim.Week{
				{Start: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC), Invited: 3, Accepted: 1, Messaged: 1, Pending: 2, Acceptance: 0.333},
				{Start: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC), Declined: 1, Pending: 1, Acceptance: 0.333},
			}},
		{Name: "slow", Prospects: 9, Counts: sim.Counts{Skipped: 2}, Skips: map[string]int{"duplicate": 2},
			Weeks: []sim.Week{{Start: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC), Skipped: 2}, {Start: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)}}},
		{Name: "empty", Weeks: []sim.Week{{Start: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}, {Start: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)}}},
	},
	AnswerDelay: 21*24*time.Hour + 15*time.Hour + 16*time.Minute,
}

// TestSimulateForecast checks the options given to the simulator (the
// defaults of --start and --seed) and the text forecast.
func TestSimulateForecast(t *testing.T) {
	got := fakeSim(t, nil, fakeResult, nil)
	now := time.Date(2026, 11, 23, 9, 0, 42, 123, time.UTC)
	code, stdout, stderr := runAt(now, "--config", simCfg, "simulate", "testdata/ws/campaigns/good.yaml", "--days", "3")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if !got.Start.Equal(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)) || got.Days != 3 || got.Seed != 1 || got.OnEvent != nil ||
		got.Config == nil || len(got.Campaigns) != 1 || got.Campaigns[0].Name != "good" {
		t.Errorf("options: start %v, days %d, seed %d, %d campaigns, OnEvent set %v", got.Start, got.Days, got.Seed, len(got.Campaigns), got.OnEvent != nil)
	}
	want := `Forecast Mon 2026-11-23 09:00 UTC to Thu 2026-12-03 09:00 UTC (3 days), seed 1

ACCOUNT  INVITED  ACCEPTED  ACCEPT%  DECLINED  PENDING  WITHDRAWN
alice    3        1         33.3%    1         1        0
bob      0        0         -        0         0        0
total    3        1         33.3%    1         1        0

CAMPAIGN  PROSPECTS  INVITED  ACCEPTED  ACCEPT%  PENDING  WITHDRAWN  REPLIED  SKIPPED  LAST INVITATION   95% ANSWERED BY
good      3          3        1         33.3%    1        0          0        0        2026-11-23        2026-12-14
slow      9          0        0         -        0        0          0        2        after 2026-12-03  -
empty     0          0        0         -        0        0          0        0        no prospects      -

LAST INVITATION: the day the campaign's last prospect is invited; "after 2026-12-03": prospects are still left when the forecast ends.
95% ANSWERED BY: the last invitation + 21d15h, the time in which 95% of the answers to an invitation come on the response-delay curve of platform.sandbox, or + withdraw_after when that is sooner, as it is here (21d): what is unanswered then is withdrawn and gets no answer.

good week by week:
WEEK OF     INVITED  ACCEPTED  DECLINED  WITHDRAWN  EXPIRED  MESSAGED  REPLIED  PENDING  ACCEPT% SO FAR
2026-11-23  3        1         0         0          0        1         0        2        33.3%
2026-11-30  0        0         1         0          0        0         0        1        33.3%

slow week by week:
WEEK OF     INVITED  ACCEPTED  DECLINED  WITHDRAWN  EXPIRED  MESSAGED  REPLIED  PENDING  ACCEPT% SO FAR
2026-11-23  0        0         0         0          0        0         0        0        -
(then nothing more until the forecast ends on 2026-12-03)

empty: no prospects (its CSV has no rows): nothing to forecast.

WITHDRAWN: unanswered after withdraw_after (21d) and taken back to free the pending slot; no new invitation to that person for reinvite_cooldown (21d).
MESSAGED: follow-up messages sent to people who accepted.
REPLIED: people who replied to a message (platform.sandbox.reply_rate); no message follows a reply.
PENDING: invited and not answered yet, at the week's end.
ACCEPT% SO FAR: accepted / invited from the start to the week's end; invitations still pending pull it down.

CAMPAIGN  WHAT              REASON     COUNT
good      note fallback     too_long   1
slow      prospect skipped  duplicate  2

note fallback: invitations sent without the campaign's first note variant (a later variant, or blank).
  too_long  the note was over the account's note length limit
prospect skipped: prospects never invited.
  duplicate  the same person appears earlier in the CSV
`
	if stdout != want || stderr != "" {
		t.Errorf("stdout:\n%s\nwant:\n%s\nstderr:\n%s", stdout, want, stderr)
	}
}

// TestSimulateStart: --start takes a date (midnight UTC) or an RFC 3339
// time, cut to the second.
func TestSimulateStart(t *testing.T) {
	for _, tc := range []struct {
		arg  string
		want time.Time
	}{
		{"2026-12-01", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)},
		{"2026-12-01T09:30:00Z", time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC)},
		{"2026-12-01T09:30:00.75+02:00", time.Date(2026, 12, 1, 7, 30, 0, 0, time.UTC)},
	} {
		got := fakeSim(t, nil, fakeResult, nil)
		code, _, stderr := runAt(time.Now(), "--config", simCfg, "simulate", "--days", "3", "--start", tc.arg, "testdata/ws/campaigns/good.yaml")
		if code != ExitOK || !got.Start.Equal(tc.want) {
			t.Errorf("--start %s: exit %d, start %v, want %v\n%s", tc.arg, code, got.Start, tc.want, stderr)
		}
	}
}

// TestSimulateJSON checks the event stream and the summary line.
func TestSimulateJSON(t *testing.T) {
	events := []sim.Event{
		{T: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC), Event: "invited", Campaign: "good", Account: "alice",
			Prospect: "https://example.com/in/ann", Variant: "event", Chars: 41},
		{T: time.Date(2026, 11, 23, 10, 3, 0, 999_999_999, time.FixedZone("CET", 3600)), Event: "skipped", Campaign: "good", Account: "alice",
			Prospect: "https://example.com/in/bo?x=1&y=<2>", Reason: "duplicate"},
	}
	got := fakeSim(t, events, fakeResult, nil)
	code, stdout, stderr := runAt(time.Now(), "--config", simCfg, "simulate", "--json", "--seed", "7", "--days", "3",
		"--start", "2026-11-23T09:00:00Z", "testdata/ws/campaigns/good.yaml")
	if code != ExitOK || got.Seed != 7 || got.OnEvent == nil {
		t.Fatalf("exit %d, seed %d\n%s", code, got.Seed, stderr)
	}
	want := `{"t":"2026-11-23T09:00:00Z","event":"invited","campaign":"good","account":"alice","prospect":"https://example.com/in/ann","variant":"event","chars":41}
{"t":"2026-11-23T09:03:00Z","event":"skipped","campaign":"good","account":"alice","prospect":"https://example.com/in/bo?x=1&y=<2>","reason":"duplicate"}
{"event":"summary","start":"2026-11-23T09:00:00Z","end":"2026-12-03T09:00:00Z","seed":7,` +
		`"accounts":[{"account":"alice","followed":0,"invited":3,"accepted":1,"declined":1,"pending":1,"withdrawn":0,"expired":0,"messaged":0,"replied":0,"skipped":0},` +
		`{"account":"bob","followed":0,"invited":0,"accepted":0,"declined":0,"pending":0,"withdrawn":0,"expired":0,"messaged":0,"replied":0,"skipped":0}],` +
		`"campaigns":[{"campaign":"good","prospects":3,"followed":0,"invited":3,"accepted":1,"declined":1,"pending":1,"withdrawn":0,"expired":0,"messaged":1,"replied":0,"skipped":0,` +
		`"completed":"2026-11-23T09:06:00Z","last_invited":"2026-11-23T09:06:00Z","answers_by":"2026-12-14T09:06:00Z","fallbacks":{"too_long":1},"weeks":[` +
		`{"week":"2026-11-23T09:00:00Z","followed":0,"invited":3,"accepted":1,"declined":0,"withdrawn":0,"expired":0,"messaged":1,"replied":0,"skipped":0,"pending":2,"acceptance":0.333},` +
		`{"week":"2026-11-30T09:00:00Z","followed":0,"invited":0,"accepted":0,"declined":1,"withdrawn":0,"expired":0,"messaged":0,"replied":0,"skipped":0,"pending":1,"acceptance":0.333}]},` +
		`{"campaign":"slow","prospects":9,"followed":0,"invited":0,"accepted":0,"declined":0,"pending":0,"withdrawn":0,"expired":0,"messaged":0,"replied":0,"skipped":2,"skips":{"duplicate":2},"weeks":[` +
		`{"week":"2026-11-23T09:00:00Z","followed":0,"invited":0,"accepted":0,"declined":0,"withdrawn":0,"expired":0,"messaged":0,"replied":0,"skipped":2,"pending":0,"acceptance":0},` +
		`{"week":"2026-11-30T09:00:00Z","followed":0,"invited":0,"accepted":0,"declined":0,"withdrawn":0,"expired":0,"messaged":0,"replied":0,"skipped":0,"pending":0,"acceptance":0}]},` +
		`{"campaign":"empty","prospects":0,"followed":0,"invited":0,"accepted":0,"declined":0,"pending":0,"withdrawn":0,"expired":0,"messaged":0,"replied":0,"skipped":0,"weeks":[` +
		`{"week":"2026-11-23T09:00:00Z","followed":0,"invited":0,"accepted":0,"declined":0,"withdrawn":0,"expired":0,"messaged":0,"replied":0,"skipped":0,"pending":0,"acceptance":0},` +
		`{"week":"2026-11-30T09:00:00Z","followed":0,"invited":0,"accepted":0,"declined":0,"withdrawn":0,"expired":0,"messaged":0,"replied":0,"skipped":0,"pending":0,"acceptance":0}]}]}
`
	if stdout != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", stdout, want)
	}
}

// TestSimulateRunError: a failing simulation is a runtime error (exit 2).
func TestSimulateRunError(t *testing.T) {
	fakeSim(t, nil, nil, errors.New("boom"))
	code, _, stderr := runAt(time.Now(), "--config", simCfg, "simulate", "--days", "3", "testdata/ws/campaigns/good.yaml")
	if code != ExitError || !strings.Contains(stderr, "simulate: boom") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

// TestSimulateGolden runs the real simulator over testdata/ws and compares
// the output with testdata/golden/NAME.txt (go test -update rewrites); the
// same arguments must give the same output every time.
func TestSimulateGolden(t *testing.T) {
	cases := []struct {
		name string
		args []string
	}{
		{"simulate_text", simGood},
		{"simulate_json", append(slices.Clone(simGood), "--json")},
		{"simulate_allowance", []string{"--config", "testdata/allowance/config.yaml", "simulate", "testdata/allowance/campaigns/spring.yaml",
			"--start", "2026-12-01", "--days", "60"}},
		// A CSV with a header and no rows next to one with prospects.
		{"simulate_empty", []string{"--config", "testdata/hostile/config.yaml", "simulate", "testdata/hostile/campaigns/empty.yaml",
			"testdata/hostile/campaigns/declared.yaml", "--start", "2026-11-23", "--days", "30"}},
		// The README's example: the shipped production-shaped config, its
		// campaigns (a follow step, messages, exclusions, a free account's
		// note allowance) over 60 days.
		{"simulate_examples", []string{"--config", "../examples/production.yaml", "simulate", "--start", "2026-11-23", "--days", "60"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tc.args...)
			got := fmt.Sprintf("$ outreach %s\nexit: %d\n--- stdout\n%s--- stderr\n%s", strings.Join(tc.args, " "), code, stdout, stderr)
			if code2, stdout2, _ := runCLI(t, tc.args...); code2 != code || stdout2 != stdout {
				t.Errorf("two runs with the same seed differ:\n%s\n---\n%s", stdout, stdout2)
			}
			golden.Check(t, filepath.Join("testdata", "golden", tc.name+".txt"), got)
		})
	}
}

// TestSimulateChart: --chart draws the real forecast into the file, in the
// format its extension names, and says so on stderr (stdout keeps the
// forecast, text or JSON); a file that cannot be written is an error.
func TestSimulateChart(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"f.svg", "F.PNG"} {
		path := filepath.Join(dir, name)
		code, stdout, stderr := runCLI(t, append(slices.Clone(simGood), "--json", "--chart", path)...)
		if code != ExitOK || stderr != "chart: "+path+" (1 campaigns, 1 accounts that sent)\n" || !strings.HasPrefix(stdout, `{"t":`) {
			t.Fatalf("--chart %s: exit %d\nstdout %.200s\nstderr %s", name, code, stdout, stderr)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if len(data) < 1<<10 || len(data) > 2<<20 {
			t.Errorf("%s: %d bytes", name, len(data))
		}
		switch name {
		case "f.svg":
			if err := xml.Unmarshal(data, new(struct{})); err != nil || !bytes.Contains(data, []byte(">campaign good</text>")) ||
				!bytes.Contains(data, []byte(">account alice, weekly cap 150</text>")) {
				t.Errorf("f.svg: %v, or a title is missing", err)
			}
		default:
			if _, err := png.Decode(bytes.NewReader(data)); err != nil {
				t.Errorf("F.PNG: %v", err)
			}
		}
	}
	code, stdout, stderr := runCLI(t, append(slices.Clone(simGood), "--chart", filepath.Join(dir, "missing", "f.svg"))...)
	if code != ExitError || !strings.Contains(stderr, "simulate --chart:") || !strings.Contains(stdout, "good week by week") {
		t.Errorf("--chart into a missing directory: exit %d\nstderr %s", code, stderr)
	}
}

// TestSimulateRestricted: when the sandbox restricts an account by its
// rules, simulate --json emits the account event, whole seconds, and its
// summary counts the restrictions per account; the text forecast gets a
// RESTRICTED column.
func TestSimulateRestricted(t *testing.T) {
	args := []string{"--config", "testdata/restrict/config.yaml", "simulate", "--start", "2026-11-23T09:00:00Z", "--days", "60", "--seed", "3"}
	code, stdout, stderr := runCLI(t, append(args, "--json")...)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	var restricted []string
	for _, line := range lines[:len(lines)-1] {
		if strings.Contains(line, `"event":"restricted"`) {
			restricted = append(restricted, line)
			var ev struct {
				T, Until time.Time
				Account  string
				Reason   string
				Campaign *string
				Prospect *string
			}
			if err := json.Unmarshal([]byte(line), &ev); err != nil {
				t.Fatal(err)
			}
			if ev.Account != "alice" || ev.Reason != "low_acceptance" || !ev.Until.Equal(ev.T.Add(72*time.Hour)) ||
				ev.T.Nanosecond() != 0 || ev.Campaign != nil || ev.Prospect != nil {
				t.Errorf("restricted event %s: want alice, low_acceptance, until t+3d, whole seconds, no campaign or prospect", line)
			}
		}
	}
	if len(restricted) == 0 {
		t.Fatalf("no restricted event in\n%s", stdout)
	}
	var sum struct {
		Accounts []struct {
			Account      string
			Restrictions int
		}
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &sum); err != nil {
		t.Fatal(err)
	}
	if len(sum.Accounts) != 2 || sum.Accounts[0].Restrictions != len(restricted) || sum.Accounts[1].Restrictions != 0 {
		t.Errorf("summary accounts %+v, want alice with %d restrictions, bob none", sum.Accounts, len(restricted))
	}
	if strings.Contains(lines[len(lines)-1], `"restrictions":0`) {
		t.Errorf("summary shows restrictions 0: want it left out")
	}

	code, stdout, stderr = runCLI(t, args...)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if !regexp.MustCompile(`(?m)^ACCOUNT .* RESTRICTED$`).MatchString(stdout) ||
		!regexp.MustCompile(fmt.Sprintf(`(?m)^alice .* %d$`, len(restricted))).MatchString(stdout) ||
		!regexp.MustCompile(`(?m)^bob .* 0$`).MatchString(stdout) {
		t.Errorf("text forecast without the RESTRICTED column (alice %d):\n%s", len(restricted), stdout)
	}
	t.Logf("%d restrictions", len(restricted))
}

// TestSimulatePaced: when the safety governor slows an account, simulate
// --json emits its paced account events (the new factor and the signal)
// and the summary its min_pace; the text forecast gets a MIN PACE column.
// An account the governor never slowed has neither.
func TestSimulatePaced(t *testing.T) {
	args := []string{"--config", "testdata/restrict/governed.yaml", "simulate", "--start", "2026-11-23T09:00:00Z", "--days", "60", "--seed", "3"}
	code, stdout, stderr := runCLI(t, append(args, "--json")...)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	lowest := 1.0
	n := 0
	for _, line := range lines[:len(lines)-1] {
		if !strings.Contains(line, `"event":"paced"`) {
			continue
		}
		n++
		var ev struct {
			Account, Reason string
			Pace            float64
		}
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatal(err)
		}
		if ev.Account != "alice" || ev.Pace <= 0 || ev.Pace > 1 || (ev.Pace < 1 && ev.Reason != "acceptance") {
			t.Errorf("paced event %s: want alice's, a pace in (0, 1], the acceptance signal while slowed", line)
		}
		lowest = min(lowest, ev.Pace)
	}
	if n == 0 {
		t.Fatalf("no paced event for alice's 5%% list in\n%.3000s", stdout)
	}
	var sum struct {
		Accounts []struct {
			Account string
			Invited int
			MinPace *float64 `json:"min_pace"`
		}
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &sum); err != nil {
		t.Fatal(err)
	}
	if len(sum.Accounts) != 2 || sum.Accounts[0].MinPace == nil || *sum.Accounts[0].MinPace != lowest || sum.Accounts[1].MinPace != nil {
		t.Fatalf("summary accounts %+v, want alice's min_pace %v (her lowest paced event), none for bob", sum.Accounts, lowest)
	}
	if a, b := sum.Accounts[0].Invited, sum.Accounts[1].Invited; a*3 > b {
		t.Errorf("alice invited %d, bob %d: the governor did not slow her", a, b)
	}

	code, stdout, stderr = runCLI(t, args...)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if !regexp.MustCompile(`(?m)^ACCOUNT .* MIN PACE$`).MatchString(stdout) ||
		!regexp.MustCompile(fmt.Sprintf(`(?m)^alice .* %.0f%%$`, 100*lowest)).MatchString(stdout) ||
		!regexp.MustCompile(`(?m)^bob .* -$`).MatchString(stdout) {
		t.Errorf("text forecast without the MIN PACE column (alice %.0f%%):\n%s", 100*lowest, stdout)
	}
}
