// Package httpserve runs outreach's HTTP servers (the scheduler's events
// endpoint, the metrics endpoint, `outreach sandbox`) hardened alike:
//
//   - every phase of a connection is bounded: ReadHeaderTimeout (5s),
//     ReadTimeout (10s: the whole request, body included, so a client
//     trickling its body is cut), WriteTimeout (30s), IdleTimeout (60s)
//     and MaxHeaderBytes (16 KiB);
//   - each listener serves at most MaxConns (256) connections at once
//     (LimitListener): further clients wait in the kernel's accept queue
//     until a slot frees, instead of each costing a goroutine and a
//     buffer. Slow clients cannot hold the slots for longer than the
//     timeouts above.
//
// The connection limit is written here rather than taken from
// golang.org/x/net/netutil (which does the same): it is a few dozen lines,
// needs no new dependency, and tells how many connections are open
// (Server.Open), which the tests check.
package httpserve
