package cli

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/outreach-scheduler/outreach/app"
)

// printStatusWarnings prints what `outreach status` found wrong outside
// the campaigns: ledger entries it could not apply (an account removed
// from the configuration) and the events the endpoint refused.
func printStatusWarnings(w io.Writer, st *app.Status) {
	if n := st.Skipped["unknown_account"]; n > 0 {
		fmt.Fprintf(w, "warning: %d ledger %s for accounts not in the configuration skipped (kept in the ledger: put the account back to count them)\n",
			n, plural(n, "entry", "entries"))
	}
	var total int64
	var parts []string
	for _, reason := range slices.Sorted(maps.Keys(st.Rejected)) {
		if n := st.Rejected[reason]; n > 0 {
			total += n
			parts = append(parts, fmt.Sprintf("%s %d", reason, n))
		}
	}
	if total > 0 {
		fmt.Fprintf(w, "warning: the events endpoint refused %d %s since the install (%s); see outreach_events_rejected_total and the schedulers' WARN logs\n",
			total, plural(int(total), "request", "requests"), strings.Join(parts, ", "))
	}
	if st.Skipped["unknown_account"] > 0 || total > 0 {
		fmt.Fprintln(w)
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
