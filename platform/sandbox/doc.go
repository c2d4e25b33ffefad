// Package sandbox is an in-process, deterministic model of the platform: the
// driver behind `platform.driver: sandbox`, the platform of `outreach
// simulate`, and the referee of every invariant test.
//
// A Model implements platform.Platform. It enforces the platform's rules
// itself: a request that breaks one is refused with a non-retryable
// *platform.Error and recorded as a violation, never silently accepted.
// Recipients answer accepted invitations with accept, decline or ignore,
// after delays drawn from a seeded model.
//
// # Time
//
// The model never reads a clock. Every request carries its time
// (platform.Action.At), and answers fall due only as time passes: Advance(now)
// applies and returns every answer due at or before now; NextEventAt tells a
// virtual clock where to jump. A request also applies the answers due at or
// before its own time first (delivering them at the next Advance), so the
// state a request sees never depends on how often Advance is called: a
// withdrawal made after an acceptance fell due is refused (not pending).
//
// # Rules
//
// Every request needs an idempotency key (one platform.ValidKey takes), a
// known account, a person and a time (else platform.CodeInvalid,
// platform.CodeUnknownAccount). An
// invitation is then refused, checked in this order, when:
//   - the account is restricted (Model.Restrict, or by the rules of
//     Options.Restrictions, checked first): platform.CodeRestricted;
//   - the account has ConnectionCap (30,000) connections: CodeConnectionCap;
//   - Account.Weekly invitations of the account, accepted by the platform,
//     already lie in the rolling window (At-7d, At]: CodeWeeklyLimit. Put
//     otherwise, no Weekly+1 accepted invitations of an account ever lie
//     within less than 7 days; an invitation arriving out of time order is
//     checked against every window that would contain it (exactly when it is
//     at most 7 days late: the model keeps 14 days of an account's history);
//   - the person is already a connection of the account (by an acceptance,
//     or listed in Account.ConnectedTo): CodeAlreadyConnected;
//   - an invitation from the account to the person is pending: CodeDuplicate;
//   - the person declined an invitation from the account, ever:
//     CodeDeclined (the product promises never to re-invite a decliner);
//   - the account withdrew an invitation to the person, or had one expire,
//     less than ReinviteCooldown ago: CodeCooldown;
//   - the note is longer than Account.NoteChars, counted in UTF-16 code
//     units as a browser counts (an emoji can count 2): CodeNoteTooLong;
//   - the note is personalized (not empty) and the account has sent
//     Account.NotesPerMonth of them in the calendar month of At in
//     Account.Location: CodeNoteAllowance.
//
// Follow is always accepted. Withdraw needs a pending invitation from the
// account to the person (else CodeNotPending) and cancels its scheduled
// answer. Message needs the person to be a connection (else
// CodeNotConnected). Only invitations the platform accepted count toward the
// weekly limit and the note allowance.
//
// # Configured refusals
//
// Options.Refusals (config: platform.sandbox.refuse) make the model refuse
// invitations its own rules would take, as the real platform does for
// reasons outreach cannot see: a restriction (platform.CodeRestricted), a
// weekly limit spent elsewhere (CodeWeeklyLimit), a deleted profile
// (CodeInvalidProfile), ... for given accounts, people, time windows and a
// rate. A first invitation a Refusal matches is refused with its code
// before the rules are checked, recorded and counted like any refusal, and
// never counted as sent; its key keeps that answer. Code
// platform.CodeUnavailable is a transient, retryable failure instead,
// applied to first requests and repeats alike: by default the request is
// not performed (recorded as refused unavailable, remembered under no
// key, so a retry with the same key is a first request); with
// Refusal.Applied it is performed but its answer lost (recorded as
// handled, marked Lost), so that a retry is a repeat.
//
// # Restrictions
//
// With Options.Restrictions (config: platform.sandbox.restrict) the model
// restricts accounts by itself, as the real platform does: an account whose
// last RestrictionRules.Window resolved invitations were accepted less than
// MinAcceptance, or that has more than MaxPending invitations pending, is
// restricted for Duration by the first invitation that finds it so (that
// invitation is refused platform.CodeRestricted, and so are the account's
// invitations until the end; withdrawing does not lift it). An invitation
// resolves once: at its answer, withdrawal or expiry, or IgnoredAfter (14
// days) unanswered, as not accepted. Options.OnRestrict hears of each
// restriction, AccountStats.Restrictions counts them. See RestrictionRules.
//
// Options.AccountAcceptRates set one account's acceptance (its list's
// quality) in place of AcceptRate; a variant's rate scales it by the
// variant's rate over AcceptRate.
//
// # Idempotency
//
// A request whose key was seen before, for the same operation, account and
// person, is a repeat: it gets the first answer again (the same refusal, or
// success) and changes nothing; its entry in the record is marked Repeat. The
// same key for another account or person is refused with CodeKeyConflict. A
// refusal is an answer too: retrying a refused invitation, even once the
// reason has passed, needs a new key.
//
// # Answers
//
// An invitation's answer is decided by a generator seeded with Options.Seed
// and a hash of the invitation's key, so it depends neither on arrival order
// nor on concurrency: accepted with probability
// VariantAcceptRates[variant] (or AcceptRate), declined with DeclineRate,
// otherwise ignored. An accepted or declined invitation is answered after a
// delay drawn from a piecewise linear cumulative distribution (Options.Delays),
// by default package responsedelay's curve, the figures of docs/domain.md:
//
//	within   0     1 day   7 days   30 days   60 days
//	share    0%    63%     88%      99%       100%
//
// (uniform within each segment: the median is about 19 hours). An
// acceptance makes the person a connection and adds one to the account's
// connections; a decline bars the person for good. An invitation still
// pending ExpireAfter after it was sent (ignored, or answered later than
// that) is cancelled by the platform (platform.EventExpired), which starts
// the re-invitation cooldown. Answers come in time order, ties in the
// invitations' arrival order.
//
// # Replies
//
// A message delivered to a connection who has not replied yet draws, from
// the seed and the message's key alone, a reply with probability
// Options.ReplyRate (default 0.15), after a delay drawn from
// Options.ReplyDelays (default responsedelay.Reply: 40% within 2 hours,
// 75% within a day, 95% within a week, all within 14 days): a
// platform.EventReplied naming the message's key, delivered by Advance
// like the answers. A person replies at most once to an account; the
// relationship stays connected.
//
// # Cost
//
// Built for simulations of a thousand accounts over a year (about 8 million
// invitations). The state that grows with every invitation holds no
// pointers, so the garbage collector does not scan it: the record is 48
// bytes a request plus the key and person bytes in an arena; idempotency
// keys are kept as 128-bit hashes (two keys collide with probability about
// n²/2¹²⁹) and people, per account, as 64-bit hashes. Pending invitations sit
// in a reusable slab, their answers in a min-heap whose cancelled entries are
// skipped lazily (and compacted away when they are the majority). An
// invitation with its Advance makes no allocation of its own and costs
// about three inserts into a Go map of the same size (its time is cache
// misses: the idempotency keys, the relationships, the heap); it holds about
// 360 bytes while pending and 150-290 after, 230 and 150 with
// Options.ViolationsOnly, which drops the record of accepted requests (see
// BenchmarkInviteAdvance). Record and Violations build their entries on
// demand. Options.Restrictions add O(1) amortized work an invitation (it
// enters and leaves one queue, and its outcome one ring of Window per
// account): measured with BenchmarkInviteAdvance (300,000 invitations, 3
// runs each), about 12% more CPU time with the record kept and 17% with
// ViolationsOnly, and 28 bytes more held an invitation.
package sandbox
