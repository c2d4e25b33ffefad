// Package platform declares the one interface that talks to the outside
// world: Platform, with the requests it carries, the events it reports and the
// errors it returns. Drivers live in sub-packages, one per adapter:
// platform/sandbox (a faithful model of the platform, in process or as an HTTP
// server) and platform/webhook (signed HTTP to the user's own integration).
// No driver automates a real platform's website or private API.
//
// Every request carries an idempotency key (campaign, prospect, step): the
// queue underneath delivers at least once, so drivers must make a repeated
// request with the same key harmless and answer it as the first time.
//
// Errors tell three things apart (Error): a definite refusal (the action
// did not happen: the code says why); a retryable failure whose outcome is
// unknown (retried with the same key); and a fault of the integration
// itself (Error.Fault: refused authentication, TLS, connection, timeout,
// server error), which says nothing about the prospect, with
// NotPerformed when the request was refused before anything happened
// (401/403: the caller frees what it reserved).
package platform
