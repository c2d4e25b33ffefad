// Package responsedelay owns the response-delay curve: how long after an
// invitation its recipient answers it. By default it is the survey of
// docs/domain.md (63% of the answers within a day, 88% within a week, 99%
// within 30 days) with the sandbox's own assumption that every answer comes
// within 60 days:
//
//	within   0     1 day   7 days   30 days   60 days
//	share    0%    63%     88%      99%       100%
//
// read as a piecewise linear cumulative distribution from (0, 0) through
// the points (uniform within each segment: the median is about 19 hours).
//
// Three parts of outreach read the same curve: the sandbox platform model
// (platform/sandbox) draws each answer's delay from it (Curve.Quantile);
// the A/B test (abtest) and the safety governor (scheduler) weigh a young
// invitation by the share of answers that would have come by its age
// (Curve.Share). A sandbox sped up by platform.sandbox.delay_scale answers
// along Default().Scaled(scale, floor), and the engine gets the same
// scaled curve (sandbox.ResponseCurve: one floor for both).
//
// Reply is the second curve: how long after a message its recipient
// replies (the sandbox model's replies, platform.sandbox.reply_rate),
// scaled by delay_scale like Default.
//
// The package is pure: no clock, no state, no I/O.
package responsedelay
