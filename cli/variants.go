package cli

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/outreach-scheduler/outreach/sim"
)

// printVariants writes, per campaign with more than one variant (or any
// sent), each note variant's evidence: sent, accepted, the acceptance rate
// with pending invitations weighted by age and its Wilson 95% interval,
// and the probability of being the best.
func printVariants(w io.Writer, byCampaign []string, variants [][]sim.VariantResult) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	header := false
	for i, name := range byCampaign {
		vs := variants[i]
		if len(vs) < 2 {
			continue
		}
		if !header {
			fmt.Fprintln(tw, "\nCAMPAIGN\tVARIANT\tSENT\tACCEPTED\tPENDING\tRATE\t95% INTERVAL\tP(BEST)")
			header = true
		}
		for _, v := range vs {
			rate, ci, best := "-", "-", "-"
			if v.Trials > 0 {
				rate = fmt.Sprintf("%.1f%%", 100*v.Rate)
				ci = fmt.Sprintf("%.1f-%.1f%%", 100*v.Low, 100*v.High)
			}
			if v.Sent > 0 && !v.Disabled {
				best = fmt.Sprintf("%.2f", v.PBest)
			}
			label := v.Variant
			switch {
			case v.Disabled && v.Variant == "blank":
				label += " (fallback)" // not an arm of the test
			case v.Disabled:
				label += " (stopped)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\t%s\t%s\n", name, label, v.Sent, v.Accepted, v.Pending, rate, ci, best)
		}
	}
	if header {
		fmt.Fprintln(tw, "\n(RATE: accepted / invitations weighted by the share of their answers due by now, so pending ones are not counted as refusals)")
	}
	return tw.Flush()
}
