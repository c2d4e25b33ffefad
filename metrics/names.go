package metrics

import (
	"slices"

	"github.com/outreach-scheduler/outreach/campaigns"
	"github.com/outreach-scheduler/outreach/pacing"
	"github.com/outreach-scheduler/outreach/platform"
)

// The metric names. The first block is the contract of docs/design.md;
// the rest extend it (README "Metrics and dashboards" lists them all).
const (
	InvitationsSent      = "outreach_invitations_sent_total"      // counter {campaign, account, variant}
	InvitationsAccepted  = "outreach_invitations_accepted_total"  // counter {campaign, account, variant}
	InvitationsDeclined  = "outreach_invitations_declined_total"  // counter {campaign, account, variant}
	InvitationsWithdrawn = "outreach_invitations_withdrawn_total" // counter {campaign, account, variant}
	InvitationsExpired   = "outreach_invitations_expired_total"   // counter {campaign, account, variant}
	MessagesSent         = "outreach_messages_sent_total"         // counter {campaign, account}
	MessagesSkipped      = "outreach_messages_skipped_total"      // counter {campaign, account, reason}: a message that did not render, skipped
	Replies              = "outreach_replies_total"               // counter {campaign, account}: prospects who replied (their message sequence ends)
	AcceptanceRatio      = "outreach_acceptance_ratio"            // gauge {campaign, variant}: accepted / sent, durable
	PendingInvitations   = "outreach_pending_invitations"         // gauge {campaign, account}, durable
	QuotaUsed            = "outreach_account_quota_used"          // gauge {account, window}
	QuotaLimit           = "outreach_account_quota_limit"         // gauge {account, window}
	LimitWaits           = "outreach_limit_waits_total"           // counter {account, reason}
	DeliveryErrors       = "outreach_delivery_errors_total"       // counter {account, reason}
	TimeToAccept         = "outreach_time_to_accept_seconds"      // histogram {campaign}

	CampaignAcceptanceRatio = "outreach_campaign_acceptance_ratio"        // gauge {campaign}: accepted / sent over all variants, durable
	AcceptanceInvitations   = "outreach_acceptance_invitations"           // gauge {campaign, variant}: the sent invitations the ratio is over, durable
	PendingLimit            = "outreach_pending_invitations_limit"        // gauge {account}: max_pending
	PendingOldestAge        = "outreach_pending_oldest_age_seconds"       // gauge {account}: age of the oldest pending invitation (0 none)
	AccountHealth           = "outreach_account_health"                   // gauge {account}: the safety governor's health, 0 to 1, durable
	AccountPaceFactor       = "outreach_account_pace_factor"              // gauge {account}: the factor on the account's caps, safety.floor to 1, durable
	AccountPaused           = "outreach_account_paused"                   // gauge {account,reason}: 1 while paused (reason manual: an operator; platform: a limit or restriction answer)
	CampaignPaused          = "outreach_campaign_paused"                  // gauge {campaign}: 1 while an operator paused it
	StatsAge                = "outreach_stats_age_seconds"                // gauge: time since the scheduler last updated the durable stats
	LedgerEntries           = "outreach_ledger_entries"                   // gauge: entries in the ledger stream
	SnapshotAge             = "outreach_snapshot_age_seconds"             // gauge: time since the newest snapshot of the engine's state
	SnapshotBytes           = "outreach_snapshot_bytes"                   // gauge: size of the newest snapshot
	VariantRate             = "outreach_variant_acceptance_estimate"      // gauge {campaign, variant}: A/B estimate, pending weighted by age
	VariantRateLow          = "outreach_variant_acceptance_estimate_low"  // gauge {campaign, variant}: its Wilson 95% interval, low end
	VariantRateHigh         = "outreach_variant_acceptance_estimate_high" // gauge {campaign, variant}: high end
	VariantBestProbability  = "outreach_variant_best_probability"         // gauge {campaign, variant}: probability of being the best variant
	QueueTasks              = "outreach_queue_tasks"                      // gauge {state}: asynq tasks by state
	QueueLatency            = "outreach_queue_latency_seconds"            // gauge: age of the oldest task ready to run
	QueueProcessed          = "outreach_queue_processed_total"            // counter: tasks processed (asynq's durable total)
	QueueFailed             = "outreach_queue_failed_total"               // counter: tasks that failed (asynq's durable total)
	IntegrationUp           = "outreach_integration_up"                   // gauge: 1 while the worker's platform integration works, 0 while its deliveries are paused after a fault
)

// Label values of the fixed sets.
var (
	// Windows of the quota gauges.
	Windows = []string{"week", "day"}
	// WaitReasons are the limiter's denials and the worker's hand-backs
	// (pacing.Denials): "hours", a task that reached a worker after its
	// working time, and "held", one of a campaign or account an operator
	// paused, both handed back to the scheduler unperformed.
	WaitReasons = names(pacing.Denials)
	// ErrorReasons are the delivery errors: the platform's refusal codes
	// (platform.RefusalCodes); the faults of the integration itself
	// (platform.Faults: auth, tls, connection, timeout, server_error), which
	// leave the prospect as it was; and "unknown_outcome" for any other call
	// whose outcome is unknown (the platform unavailable for the request).
	// asynq retries all but the refusals with the same idempotency key. A
	// code outside the set counts as "other".
	ErrorReasons = slices.Concat(names(platform.RefusalCodes), names(platform.Faults), []string{"unknown_outcome", "other"})
	// MessageSkipReasons are why a message step is skipped for a prospect
	// (campaigns.MessageSkipReason): missing_field, a field it needs is
	// empty; invalid, its template failed to execute.
	MessageSkipReasons = []string{campaigns.MessageSkipMissingField, campaigns.MessageSkipInvalid}
	// QueueStates are the asynq task states of QueueTasks.
	QueueStates = []string{"pending", "active", "scheduled", "retry", "archived", "completed"}
)

// names are the string values of a set of constants: a label set derived
// from its source, never a copy of it.
func names[S ~string](vs []S) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}
