// Package vocab is the donation contract's vocabulary, defined once: its
// name, the statuses it writes for campaigns and milestones, and the
// events the portal and the receipt verifier read. The contract
// (consortium-node/contracts/donation), the portal's read model
// (portal/donations), its GraphQL enums (graphql/donationgql) and the
// proof bundles (consortium-node/api) import it; it imports nothing, so a
// portal may use it without reaching into the node. Tests on each side
// check that every status the contract can write is known to them.
package vocab

// Contract is the donation contract's name.
const Contract = "donation"

// Campaign statuses.
const (
	StatusDraft     = "draft"
	StatusOpen      = "open"
	StatusFunded    = "funded"
	StatusClosed    = "closed"
	StatusCancelled = "cancelled"
)

// CampaignStatuses lists every campaign status.
func CampaignStatuses() []string {
	return []string{StatusDraft, StatusOpen, StatusFunded, StatusClosed, StatusCancelled}
}

// Milestone statuses.
const (
	MilestonePending  = "pending"
	MilestoneEvidence = "evidence_submitted"
	MilestoneApproved = "approved"
	MilestoneRejected = "rejected"
	MilestoneMissed   = "missed"
	// MilestoneCancelled: the campaign was cancelled before approval.
	MilestoneCancelled = "cancelled"
)

// MilestoneStatuses lists every milestone status.
func MilestoneStatuses() []string {
	return []string{MilestonePending, MilestoneEvidence, MilestoneApproved, MilestoneRejected, MilestoneMissed,
		MilestoneCancelled}
}

// Events the contract emits that others read.
const (
	EventCampaignCreated   = "campaign_created"
	EventCampaignOpened    = "campaign_opened"
	EventCampaignFunded    = "campaign_funded"
	EventCampaignCancelled = "campaign_cancelled"
	EventCampaignClosed    = "campaign_closed"
	EventGiftReceived      = "gift_received"
	EventEvidenceSubmitted = "evidence_submitted"
	EventMilestoneApproved = "milestone_approved"
	EventMilestoneRejected = "milestone_rejected"
	EventMilestoneMissed   = "milestone_missed"
	EventGiftRefunded      = "gift_refunded"
	EventGiftDisbursed     = "gift_disbursed"
	EventDisbursed         = "disbursed"
	EventPayeeConfirmed    = "payee_confirmed"
)

// Refund reasons (gift_refunded's reason).
const (
	RefundCampaignCancelled = "campaign_cancelled"
	RefundMilestoneRejected = "milestone_rejected"
	RefundMilestoneMissed   = "milestone_missed"
)
