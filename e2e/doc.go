// Package e2e holds the end-to-end test of the daemons: real processes of
// the outreach binary (sandbox server, schedulers, workers) around a real
// redis-server, with a worker killed and Redis restarted mid-run, refereed
// by the sandbox server's own record.
package e2e
