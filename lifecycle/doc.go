// Package lifecycle is the prospect lifecycle (docs/domain.md, "The
// invitation lifecycle"): the states one prospect of one campaign can be
// in, the events that happen to it, the one state machine that moves it
// (Next: an event that cannot happen in a state is an error, so a replayed
// platform event never moves a prospect backwards), the skip reasons, and
// the lifecycle totals (Counts) that status, metrics and the forecast
// report.
//
// It is the one owner of these facts: the campaign loader (campaigns), the
// scheduler, the store, the metrics and the simulation all import it, and
// it imports nothing of the project.
package lifecycle
