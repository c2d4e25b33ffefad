// Package pacing holds the platform's sending limits: the tier table of
// docs/domain.md, per-account overrides, warm-up, working hours and the
// rolling-window limiter that keeps every account inside its caps.
package pacing
