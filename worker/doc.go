// Package worker performs the platform actions the planner decided: the
// Deliverer reserves the slot in the limiter, calls the platform with the
// task's idempotency key, and settles the reservation by what the platform
// answered. The asynq handlers of the worker daemon and the simulator both
// run it, so production and forecasts share one delivery path.
//
// A fault of the integration itself (platform.Fault: it refused to
// authenticate the request, TLS, the connection, a timeout, a server
// error) says nothing about the prospect: the task stays as it is and is
// retried later with the same key. A refusal before anything happened
// (401/403, platform.IsNotPerformed) frees the slot; an unknown outcome
// keeps it counted. Health, one per worker process, pauses deliveries
// after such a fault with an exponential backoff, lets one probe through
// when the pause ends, and logs once per change of state.
package worker
