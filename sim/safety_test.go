package sim

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/outreach-scheduler/outreach/platform/sandbox"
)

// safetyWorld is one list an account sends to, for the governor's proof.
type safetyWorld struct {
	name    string
	tier    string
	rate    float64 // the list's acceptance
	turnsAt int     // > 0: from this day on the list accepts turnsTo
	turnsTo float64
	good    bool // a good list: the governor must not cost sends
	// restricted is how many restrictions a governed run may take (see
	// TestGovernorPreventsRestrictions).
	restricted int
}

var safetyWorlds = []safetyWorld{
	{name: "good 30%", tier: "premium", rate: 0.30, good: true},
	{name: "good 35%", tier: "sales_navigator", rate: 0.35, good: true},
	{name: "good 30%", tier: "free", rate: 0.30, good: true},
	{name: "bad 10%", tier: "premium", rate: 0.10, restricted: 1},
	{name: "bad 5%", tier: "sales_navigator", rate: 0.05},
	{name: "turns bad (30% to 5% on day 28)", tier: "premium", rate: 0.30, turnsAt: 28, turnsTo: 0.05, restricted: 2},
}

// safetyDays is how long each run lasts: a 16-week campaign.
const safetyDays = 112

// safetyRun runs one account over the world's list for safetyDays, with
// the platform's restriction rules on at their defaults, governed or not.
func safetyRun(t *testing.T, w safetyWorld, seed int64, governed bool) AccountResult {
	t.Helper()
	spec := worldSpec{
		defaults:  "days: [mon, tue, wed, thu, fri]\n",
		accounts:  []string{"id: a\ntier: " + w.tier + "\n"},
		sandbox:   fmt.Sprintf("account_accept_rates: {a: %g}\nrestrict: {enabled: true}\n", w.rate),
		campaigns: []string{"name: c\naccounts: [a]\nsteps:\n  - connect: {}\n"},
		prospects: 6000,
	}
	if !governed {
		spec.safety = "enabled: false\n"
	}
	wd := buildWorld(t, spec)
	opt := wd.options()
	opt.Start = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC) // a Monday
	opt.Days = safetyDays
	opt.Seed = seed
	if w.turnsAt > 0 {
		opt.model = func(o *sandbox.Options) {
			o.AccountAcceptRateChanges = []sandbox.AccountRateChange{{Account: "a", From: opt.Start.AddDate(0, 0, w.turnsAt), Rate: w.turnsTo}}
		}
	}
	res, err := Run(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	return res.Accounts[0]
}

// TestGovernorPreventsRestrictions is the safety governor's proof by
// simulation (README, "Account safety"): over good lists, bad lists and a
// list that turns bad mid-campaign, several seeds each, with the sandbox's
// restriction rules on (acceptance under 15% over 200 resolved
// invitations, or more than 500 pending, restricts for a week), and the
// governor at its defaults:
//
//   - on good lists the governor costs no more than 5% of the sends of
//     the same run ungoverned, and neither is restricted;
//   - on a bad list, where the ungoverned run is restricted six to eight
//     times in the 16 weeks, the governed one is not, or once at 10%
//     (whose acceptance, taken at its 90% upper bound, hovers about
//     danger_acceptance, 15%, so the pace is not always the floor):
//     measured, 2 restrictions in 4 runs against 24;
//   - on a list that turns bad mid-campaign, the governed run is
//     restricted at most twice (the ungoverned one five to six times;
//     measured, 4 in 4 runs against 23). It cannot be none: the platform's window
//     counts each invitation when it resolves, the good list's
//     acceptances within days and its ignored invitations 14 days
//     later; when acceptances stop coming, the ignored invitations of
//     the two weeks before keep resolving and the window's acceptance
//     collapses within days, however little the account sends then.
func TestGovernorPreventsRestrictions(t *testing.T) {
	if testing.Short() {
		t.Skip("16-week simulations")
	}
	seeds := []int64{1, 2, 3, 4}
	var table strings.Builder
	fmt.Fprintf(&table, "| list | ungoverned: sent | restrictions | governed: sent | restrictions | sends kept |\n|---|---|---|---|---|---|\n")
	for _, w := range safetyWorlds {
		var offSent, onSent, offR, onR int
		for _, seed := range seeds {
			off, on := safetyRun(t, w, seed, false), safetyRun(t, w, seed, true)
			offSent, onSent, offR, onR = offSent+off.Invited, onSent+on.Invited, offR+off.Restrictions, onR+on.Restrictions
			if w.good {
				if float64(on.Invited) < 0.95*float64(off.Invited) {
					t.Errorf("%s, seed %d: governed sent %d, under 95%% of the %d ungoverned", w.name, seed, on.Invited, off.Invited)
				}
				if off.Restrictions > 0 {
					t.Errorf("%s, seed %d: the ungoverned run was restricted %d times on a good list: the world tests nothing", w.name, seed, off.Restrictions)
				}
			} else if off.Restrictions == 0 {
				t.Errorf("%s, seed %d: the ungoverned run was never restricted: the world tests nothing", w.name, seed)
			}
			if on.Restrictions > w.restricted || (on.Restrictions > 0 && 2*on.Restrictions >= off.Restrictions) {
				t.Errorf("%s, seed %d: governed, restricted %d times (ungoverned %d); want at most %d", w.name, seed, on.Restrictions, off.Restrictions, w.restricted)
			}
		}
		fmt.Fprintf(&table, "| %s (%s) | %d | %d | %d | %d | %.1f%% |\n", w.name, w.tier, offSent, offR, onSent, onR, 100*float64(onSent)/float64(offSent))
	}
	t.Logf("%d seeds, %d days each (sums over the seeds):\n%s", len(seeds), safetyDays, table.String())
}

// TestGovernorSparesHealthyAccounts: 100 accounts on healthy lists (the
// sandbox's default 30% acceptance, mixed tiers and zones) for 16 weeks,
// with the platform's restriction rules on, governed and not: the
// governor keeps at least 99.5% of the sends and never slows an account
// under half its caps, and no account is restricted. Judged on the raw ratios
// instead of their confidence bounds (scheduler/governor.go, wilson), the
// noise of the first days slowed some healthy accounts under a tenth of
// their caps.
func TestGovernorSparesHealthyAccounts(t *testing.T) {
	if testing.Short() {
		t.Skip("100 accounts for 16 weeks")
	}
	run := func(governed bool) (sent int, lowest map[string]float64) {
		spec := yearSpec(100, 16)
		spec.sandbox = "" // the platform's restriction rules on, at their defaults
		w := buildWorld(t, spec)
		if !governed {
			w.cfg.Safety.Enabled = false
			for i := range w.cfg.Accounts {
				w.cfg.Accounts[i].Safety.Enabled = false
			}
		}
		opt := w.options()
		opt.Start = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
		opt.Days = 112
		opt.Seed = 1
		opt.lightRecord = true
		res, err := Run(context.Background(), opt)
		if err != nil {
			t.Fatal(err)
		}
		lowest = map[string]float64{}
		for _, a := range res.Accounts {
			sent += a.Invited
			if a.MinPace > 0 { // slowed at some point (the shards' lowest)
				lowest[a.ID] = a.MinPace
			}
			if a.Restrictions > 0 {
				t.Errorf("%s (governed %v) restricted %d times on a healthy list", a.ID, governed, a.Restrictions)
			}
		}
		return sent, lowest
	}
	off, _ := run(false)
	on, lowest := run(true)
	if float64(on) < 0.995*float64(off) {
		t.Errorf("governed: %d invitations, under 99.5%% of the %d ungoverned", on, off)
	}
	for id, p := range lowest {
		if p < 0.5 {
			t.Errorf("%s slowed to %.0f%% of its caps on a healthy list", id, 100*p)
		}
	}
	t.Logf("%d of %d invitations kept (%.2f%%); %d of 100 accounts slowed at some point", on, off, 100*float64(on)/float64(off), len(lowest))
}
