// Package webhook is the webhook platform driver: it sends each action as
// a signed JSON POST to the user's own integration, and receives the
// platform's answers (accepted, declined, expired) on a signed inbound
// endpoint. This file is the protocol an integration implements; `outreach
// sandbox` serves it too (package platform/sandbox/server), as a reference
// and a test double.
//
// # Signing
//
// Every request, both ways, is signed in the scheme Keys.Scheme names
// (platform.webhook.signing). SchemeStandard, the default, is Standard
// Webhooks (standardwebhooks.com), so that an integration verifies with
// the reference library of its language:
//
//	webhook-id: <message id>
//	webhook-timestamp: <unix seconds>
//	webhook-signature: v1,<base64 HMAC-SHA256(key, id + "." + timestamp + "." + body)>
//
// where body is the exact bytes of the request body and key the raw bytes
// of the secret, given as "whsec_" and their base64 (ParseKeys,
// EncodeSecret). While a secret is rotated, Keys hold two (the variable:
// "whsec_OLD whsec_NEW", or with a comma): each request carries one
// signature per secret, space-separated, and a request signed by either
// verifies. Message ids: ActionID for actions (KEY#ATTEMPT.NONCE, unique
// to each HTTP request: integrations dedupe actions by key), SentID for
// the sent-invitations request, EventID for the events the sandbox pushes;
// an integration gives each event a fresh id of its own.
//
// SchemeOutreachV1 keeps outreach's first headers, for integrations
// written before:
//
//	X-Outreach-Timestamp: <unix seconds>
//	X-Outreach-Signature: v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>
//
// with the secret the variable's raw value, whole.
//
// A receiver recomputes the HMAC and compares it in constant time (Verify),
// refuses a timestamp more than 5 minutes (DefaultTolerance) from its own
// clock, either way, and remembers the requests it accepted for as long as
// their timestamps are within tolerance, refusing one seen before: by
// webhook-id (standard) or signature (outreach-v1), Verified.ReplayKey
// (Replays: a ReplayCache in one process; the schedulers of outreach share
// one in Redis). Every body carries a "nonce" unique to each HTTP attempt,
// so that a retry differs from the first attempt; receivers may ignore it
// otherwise. The secret is shared out of band: outreach reads it from the
// environment variable named by platform.webhook.secret_env (default
// OUTREACH_WEBHOOK_SECRET), never from the config file.
//
// # Actions (outreach to the integration)
//
//	POST {url}/v1/actions/{follow|invite|withdraw|message}
//	Content-Type: application/json
//	Idempotency-Key: <key>
//
//	{"key":"spring/1u5l5vqvwqikw/connect.1","account":"alice",
//	 "person":"https://example.com/in/ann","campaign":"spring",
//	 "at":"2026-03-02T09:00:00.123456789Z","variant":"short",
//	 "note":"Hi Ann, ...","nonce":"9f2c4e0d1a7b3c55"}
//
// Empty fields are omitted; "variant" and "note" are sent with invite only,
// "text" with message only. "at" is the time of the request on outreach's
// clock (RFC 3339 with nanoseconds). The key is CAMPAIGN/TOKEN/STEP[.N]:
// TOKEN a stable hash of the person's key (in base 36, so that keys carry
// no personal data), STEP one of connect, follow, withdraw, expire or
// messageI (message step I), and .N the attempt after a refusal (a new
// attempt needs a new key; none for the first). The key identifies the action: a
// request whose key the integration has seen before must be answered as the
// first one was, without acting again (outreach retries after timeouts, so
// it may deliver an action twice). A key is valid UTF-8 without control
// characters or a space at either end (platform.ValidKey), so that the
// header carries it unchanged: the driver refuses any other key with code
// invalid, without sending it.
//
// The integration answers:
//   - 2xx (body ignored): done.
//   - 409 or 422 with {"code":"<code>","message":"..."}: refused, for good;
//     code is a platform.Code such as weekly_limit, restricted,
//     note_allowance, note_too_long, duplicate, already_connected,
//     cooldown, declined, connection_cap, not_connected, not_pending,
//     invalid_profile (request-level problems such as invalid,
//     unknown_account and key_conflict conventionally use 422). weekly_limit
//     and restricted make outreach pause the account. The driver returns a
//     non-retryable *platform.Error with that code (code "unavailable"
//     stays retryable).
//   - 401 or 403: the request was not authenticated (a wrong secret, or
//     clocks more than 5 minutes apart) and nothing happened. The driver
//     returns at once a retryable *platform.Error with code unauthorized,
//     NotPerformed and Fault auth: a fault of the integration, not of the
//     prospect; the worker frees the action's slot, pauses its deliveries
//     and tries the same key again later.
//   - 503 (or 429, any 5xx) with {"code":"unavailable"}: the platform
//     behind the integration cannot take this request now: retried, as
//     an unknown outcome, without pausing the integration.
//   - 429 or 5xx otherwise: the integration is failing (Fault
//     server_error). The driver retries, as it does on network errors
//     (Fault connection), TLS failures (tls) and timeouts (timeout).
//   - anything else (404, a 409 without a code, ...): refused with code
//     invalid; it points at a misconfiguration.
//
// The driver makes up to 1+Retries attempts (default 4), each bounded by
// Timeout (default 10s), waiting Backoff (default 200ms), doubled each
// time, with jitter, in between; then it returns a retryable
// *platform.Error with code unavailable and the last attempt's Fault: the
// outcome is unknown, and the caller retries later with the same key.
//
// # Events (the integration to outreach)
//
//	POST {events_listen}/v1/events
//	Content-Type: application/json
//
//	{"type":"accepted","account":"alice","person":"https://example.com/in/ann",
//	 "key":"spring/https://example.com/in/ann/0","at":"2026-03-03T14:00:00Z",
//	 "nonce":"<unique per delivery>"}
//
// type is accepted, declined or expired; key is the invitation's
// idempotency key (as the invite action carried it); all fields but nonce
// are required, account, person and key at most 2 KiB (MaxEventField).
// An event is taken only when it answers what was sent: the key must be an
// invitation outreach delivered from that account to that person, the
// event dated between the send and now (5 minutes of skew either way), and
// the invitation not answered otherwise. Every scheduler answers alike and
// remembers the webhook-ids (outreach-v1: signatures) in Redis, so a request refused as replayed by one is
// refused by all, also after a restart. The answers:
//
//	204  taken (also the same answer sent again under a new id: recorded once)
//	401  signature (missing or bad), stale (timestamp over 5 minutes off), replayed (id seen)
//	400  malformed (not an event), unreadable (the body did not arrive in time)
//	405  method; 413 too_large (a body over 1 MiB)
//	422  unknown_account, unknown_key, key_mismatch, before_send, in_future
//	409  already_answered (another answer is recorded for the invitation)
//	503  not stored: send the same event again (its id may come again)
//
// Every refusal carries {"code":"invalid","reason":"<reason>","message":"..."}
// (Reasons lists them; NewEventsHandler documents each). Do not retry a
// 4xx, except unknown_key a few times over a few minutes: an answer that
// comes within seconds of the invitation may arrive before outreach has
// recorded the delivery.
//
// # Sent invitations (optional; outreach to the integration)
//
//	POST {url}/v1/invitations/sent
//	Content-Type: application/json
//
//	{"since":"2026-03-01T00:00:00Z","nonce":"..."}
//
// signed like an action ("since" omitted: every invitation). outreach asks
// it when a daemon starts on a Redis without its install marker (Redis
// lost its data): the answer rebuilds what the caps, the gaps and the
// dedupe need (see package install). The integration answers 200 with
//
//	{"invitations":[{"key":"spring/1x9k/invite","account":"alice",
//	  "person":"https://example.com/in/ann","campaign":"spring",
//	  "at":"2026-03-02T09:00:00Z","variant":"short","note":true,
//	  "answer":"accepted","answered":"2026-03-03T14:00:00Z"}]}
//
// listing every invitation the platform accepted at or after since (not
// the refused ones, not repeats): key, account, person, campaign and at
// as the action carried them (at: when the platform accepted it);
// "variant" and "note" (a personalized note was sent) when known;
// "answer" is accepted, declined, withdrawn or expired with its time in
// "answered", omitted while the invitation is pending. An integration
// that does not keep such a record answers 404 (or 405, 501): outreach
// then refuses to start on a Redis without a marker until the operator
// runs `outreach init` (or `outreach init --recover FILE` with an export
// of the sent invitations). 429 and 5xx are retried like actions. The
// request is a POST, not a GET, because the signature covers the body:
// a GET has none, so its query would go unsigned and every GET within a
// second would carry the same signature (a replay).
package webhook
