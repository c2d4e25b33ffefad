package scheduler

import (
	"github.com/outreach-scheduler/outreach/platform"
)

// Ref identifies one prospect of one campaign inside one Engine: the index
// of the campaign and of the prospect in it. It never leaves the engine:
// what crosses a process boundary (package wire) names the campaign and
// the person, and Done finds the prospect again by them.
type Ref struct {
	Campaign int32 // index of the campaign in the engine
	Index    int32 // index of the prospect in its campaign
}

// CodeUnknownOutcome is the failure reason of an abandoned task.
const CodeUnknownOutcome platform.Code = "unknown_outcome"
