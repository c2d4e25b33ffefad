package app

import (
	"fmt"
	"io"
	"time"

	"github.com/outreach-scheduler/outreach/config"
	"github.com/outreach-scheduler/outreach/scheduler"
	"github.com/outreach-scheduler/outreach/wire"
)

// What `outreach run` says about what happens next.
//
// With every progress report, each account whose next action is more than
// a minute away (or that has nothing planned) gets a line saying what
// that action is, when in the account's time zone, and what holds its
// invitations back, from scheduler.Engine.Next:
//
//	05:25:00  next: rita at 09:07 Europe/London, in 3h42m: invitation (q3-sales); outside working hours until 09:00
//
// The line is printed when it changes (the action, its time, the reason
// or when the reason ends; not the countdown), and otherwise repeated at
// most once a minute, so that it stays in sight without a line every
// progress tick. An account with an action due within the minute gets
// no line: the invited, accepted, ... lines tell that story.

// nextIdle is how far off an account's next action must be for its line.
const nextIdle = time.Minute

// nextRepeat is how often an unchanged line is printed again.
const nextRepeat = time.Minute

// nextLines decides which next-action lines to print. The reporter owns
// it; it runs on the leader's goroutine.
type nextLines struct {
	shown map[string]nextShown // by account
}

type nextShown struct {
	n  scheduler.NextInfo
	at time.Time // when printed
}

// report prints the line of each account that needs one.
func (l *nextLines) report(w io.Writer, e *scheduler.Engine, accounts []config.Account, now time.Time, logErr func(account string, err error)) {
	if l.shown == nil {
		l.shown = map[string]nextShown{}
	}
	for i := range accounts {
		a := &accounts[i]
		n, err := e.Next(a.ID, now)
		if err != nil {
			logErr(a.ID, err)
			continue
		}
		if !n.At.IsZero() && n.At.Sub(now) <= nextIdle {
			delete(l.shown, a.ID) // busy: the event lines speak
			continue
		}
		last, ok := l.shown[a.ID]
		if ok && sameNext(last.n, n) && now.Sub(last.at) < nextRepeat {
			continue
		}
		l.shown[a.ID] = nextShown{n: n, at: now}
		fmt.Fprintf(w, "%s  %s\n", now.Format("15:04:05"), nextLine(n, a.Location, now))
	}
}

// sameNext reports whether two answers say the same (the countdown aside).
func sameNext(a, b scheduler.NextInfo) bool {
	return a.At.Equal(b.At) && a.Earliest == b.Earliest && a.Kind == b.Kind && a.Campaign == b.Campaign &&
		a.Reason == b.Reason && a.Until.Equal(b.Until) && a.ReasonCampaign == b.ReasonCampaign
}

// nextLine is the line for n, its times in loc, as of now.
func nextLine(n scheduler.NextInfo, loc *time.Location, now time.Time) string {
	if loc == nil {
		loc = time.UTC
	}
	s := "next: " + n.Account
	if n.At.IsZero() {
		s += " nothing planned"
	} else {
		at := "at"
		if n.Earliest {
			at = "from" // the leader draws the minute when it gets there
		}
		s += fmt.Sprintf(" %s %s %s, in %s: %s", at, clockIn(n.At, loc, now), loc, countdown(n.At.Sub(now)), kindWord(n.Kind))
		if n.Campaign != "" {
			s += " (" + n.Campaign + ")"
		}
	}
	if r := reasonText(n, loc, now); r != "" {
		s += "; " + r
	}
	return s
}

// kindWord names an action for a person.
func kindWord(k wire.Kind) string {
	switch k {
	case wire.KindInvite:
		return "invitation"
	case wire.KindWithdraw:
		return "withdrawal"
	case wire.KindMessage:
		return "message"
	case wire.KindFollow:
		return "follow"
	}
	return k.String()
}

// reasonText says what holds the invitations back, and until when.
func reasonText(n scheduler.NextInfo, loc *time.Location, now time.Time) string {
	until := func(resumed string) string {
		if n.Until.IsZero() {
			return resumed
		}
		return " until " + clockIn(n.Until, loc, now)
	}
	switch n.Reason {
	case scheduler.BlockHours:
		return "outside working hours" + until("")
	case scheduler.BlockDailyCap:
		return "daily cap reached" + until("")
	case scheduler.BlockWeeklyCap:
		return "weekly cap reached" + until("")
	case scheduler.BlockSafety:
		return "slowed by the safety governor (caps lowered: outreach status says why)" + until("")
	case scheduler.BlockRestricted:
		return "paused after a platform restriction" + until("")
	case scheduler.BlockPaused:
		return "paused by the operator" + until(" until resumed")
	case scheduler.BlockCampaignPaused:
		if n.ReasonCampaign == "" {
			return "every campaign paused by the operator" + until(" until resumed")
		}
		return "campaign " + n.ReasonCampaign + " paused by the operator" + until(" until resumed")
	case scheduler.BlockPending:
		return "pending ceiling reached: the oldest invitation is withdrawn first"
	case scheduler.BlockConnections:
		return "connection cap reached: no more invitations"
	case scheduler.BlockWaiting:
		who := "the prospects left"
		if n.ReasonCampaign != "" {
			who = "the prospects of " + n.ReasonCampaign
		}
		return who + " wait (follow step, cooldown or next month's notes)" + until("")
	case scheduler.BlockNoProspects:
		return "no prospects left to invite"
	}
	return ""
}

// clockIn is t on the wall clock of loc: the time of day when it is today
// there, with the weekday within six days, with the date beyond.
func clockIn(t time.Time, loc *time.Location, now time.Time) string {
	t, now = t.In(loc), now.In(loc)
	ty, tm, td := t.Date()
	ny, nm, nd := now.Date()
	switch {
	case ty == ny && tm == nm && td == nd:
		return t.Format("15:04")
	case t.After(now) && t.Sub(now) < 6*24*time.Hour:
		return t.Format("Mon 15:04")
	}
	return t.Format("Mon 2 Jan 15:04")
}

// countdown is d in words a person reads at a glance: 45s, 12m, 3h35m,
// 2d4h (rounded down; 0s when past).
func countdown(d time.Duration) string {
	switch {
	case d < 0:
		return "0s"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
	return fmt.Sprintf("%dd%dh", int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour))
}
