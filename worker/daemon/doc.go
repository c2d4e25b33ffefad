// Package daemon is the worker daemon: the asynq handler of the platform
// actions (Handler: decode a wire.Task, deliver it with worker.Deliverer,
// append the outcome to the ledger), the Worker that runs it on the queue
// (Start/Stop around asynq's server; NewServer, NewHealthServer) and its
// retry policy while the platform integration fails (retry.go).
//
// The worker package is the pure deliverer; this package ties it to asynq
// and Redis. app composes it into `outreach worker` and `outreach run`.
package daemon
