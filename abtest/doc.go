// Package abtest chooses each invitation's note variant and reads the
// evidence: Thompson sampling on a Beta posterior of acceptances per
// variant (or fixed weights), with pending invitations counted honestly,
// Wilson score intervals, and the probability that each variant is best.
//
// It is pure: time and randomness are given by the caller, so the planner
// makes the same choices in the daemons and in `outreach simulate`.
//
// Pending invitations. An invitation sent an hour ago that has no answer
// yet is not a rejection: most acceptances come later (docs/domain.md:
// 63% within a day, 88% within a week, 99% within 30 days). Every
// invitation counts as F(age) of a trial, F being that response-delay
// curve (package platform/responsedelay, the one the sandbox platform
// model answers along): the chance that an invitation that will be accepted would have
// been by now; acceptances count as successes. Since E[acceptances by now]
// = p x sum F(age), acceptances / trials estimates the rate p without bias,
// and a variant is judged on its old invitations fully and on young ones
// only as much as they can tell (the delayed-feedback correction of
// Chapelle, "Modeling delayed feedback in display advertising", 2014).
package abtest
