// Package platformtest is the conformance suite of platform.Platform: the
// behaviour every driver must show, whatever carries its requests. The
// sandbox model (platform/sandbox) runs it in process, the webhook driver
// (platform/webhook) runs it over real HTTP against the sandbox server
// (platform/sandbox/server), events path included, and a future driver
// runs it against whatever backend its tests can build and observe.
//
// A driver's test calls Run with a function that builds a Harness from
// Options: a platform that knows the given accounts, answers at the given
// rates and delays and refuses as configured, with a clock the suite
// moves (Harness.Advance), the events it produced (Harness.Events) and
// what it recorded of every request (Harness.Record):
//
//	func TestConformance(t *testing.T) {
//		platformtest.Run(t, func(t *testing.T, opt platformtest.Options) platformtest.Harness {
//			return newMyHarness(t, opt)
//		})
//	}
//
// SandboxOptions turns Options into the sandbox model's, for harnesses
// whose backend is the sandbox.
//
// The suite checks, each in a fresh harness:
//   - Invite: with a note and blank; a note at the account's limit in
//     UTF-16 code units, and one unit over it (CodeNoteTooLong); the
//     rolling 7-day limit (CodeWeeklyLimit, which pauses the account);
//     a second pending invitation (CodeDuplicate); malformed requests and
//     keys platform.ValidKey refuses (CodeInvalid); non-ASCII keys,
//     people and notes carried unchanged; an unknown account
//     (CodeUnknownAccount); a context that ended (its error, retryable,
//     nothing recorded).
//   - Idempotency: the same key twice is answered as the first time and
//     performed once (invite, refusal, withdraw, message, follow, and the
//     same key from several goroutines at once); the first answer stands
//     after the state changed; the same key for another person is refused
//     with CodeKeyConflict.
//   - Withdraw: of a pending invitation (its answer never comes); of none,
//     twice, or of an answered one (CodeNotPending).
//   - Message: to a connection (listed, or by an acceptance); to anyone
//     else (CodeNotConnected).
//   - Follow: always taken.
//   - Events: an accepted invitation produces one accepted event naming
//     its key, account and person, dated within the answer delays, not
//     before the clock passes it, never twice; declined likewise; an
//     ignored one none; after them, CodeAlreadyConnected and CodeDeclined.
//   - Refusals configured on the platform: restricted (pauses the
//     account), invalid_profile, restricted until a time (and the refusal
//     stays the key's answer), unavailable before and after the fact.
//   - Sent: when the platform implements SentLister, the invitations it
//     lists (not repeats, not refusals) with their answers.
//
// On every error the suite checks the classification callers rely on:
// errors.As a *platform.Error, platform.CodeOf, platform.IsRetryable,
// platform.IsNotPerformed, platform.FaultOf and Error.Pause.
package platformtest
