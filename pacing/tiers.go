package pacing

import (
	"fmt"
	"time"
)

// Tier is an account's subscription level on the platform.
type Tier string

// The tiers of docs/domain.md.
const (
	TierFree           Tier = "free"
	TierPremium        Tier = "premium"
	TierSalesNavigator Tier = "sales_navigator"
)

// Tiers lists every known tier, in the order documentation shows them.
var Tiers = []Tier{TierFree, TierPremium, TierSalesNavigator}

// Unlimited marks a limit without a ceiling (notes per month on paid tiers).
const Unlimited = -1

// MaxConnections is the platform's ceiling on 1st-degree connections.
const MaxConnections = 30000

// Limits are the effective limits of one account: its tier's defaults with
// the account's overrides applied.
type Limits struct {
	Weekly        int           // invitations in any rolling 7-day window
	Daily         int           // invitations per calendar day in the account's time zone (default Weekly/5)
	NoteChars     int           // note length limit in UTF-16 code units
	NotesPerMonth int           // personalized notes per calendar month; Unlimited for none
	MaxPending    int           // ceiling on outstanding pending invitations
	MinGap        time.Duration // minimum time between two invitations of the account
}

// TierDefaults returns the defaults of a tier (docs/domain.md). Daily is
// Weekly/5; MaxPending and MinGap are left zero: they come from config defaults.
func TierDefaults(t Tier) (Limits, error) {
	var l Limits
	switch t {
	case TierFree:
		l = Limits{Weekly: 100, NoteChars: 200, NotesPerMonth: 5}
	case TierPremium:
		l = Limits{Weekly: 150, NoteChars: 300, NotesPerMonth: Unlimited}
	case TierSalesNavigator:
		l = Limits{Weekly: 200, NoteChars: 300, NotesPerMonth: Unlimited}
	default:
		return Limits{}, fmt.Errorf("unknown tier %q (want free, premium or sales_navigator)", t)
	}
	l.Daily = l.Weekly / 5
	return l, nil
}
