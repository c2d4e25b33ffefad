// Package worker performs the platform actions the planner decided: the
// Deliverer reserves the slot in the limiter, calls the platform with the
// task's idempotency key, and settles the reservation by what the platform
// answered. The asynq handlers of the worker daemon and the simulator both
// run it, so production and forecasts share one delivery path.
package worker
