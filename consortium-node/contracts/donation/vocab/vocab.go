// Package vocab is the donation contract's vocabulary, defined once: its
// name, the statuses it writes for campaigns and milestones, the arguments
// its methods read (Arg*), the events the portal and the receipt verifier
// read and their attributes (Attr*), declared per method and event by
// Shape. The contract (consortium-node/contracts/donation), the portal's
// read model (portal/donations), its GraphQL modules (graphql/donationgql)
// and the proof bundles (consortium-node/api) import it; it imports only
// contracts/vocab, so a portal may use it without reaching into the node. Tests on each side
// check that every status the contract can write is known to them.
package vocab

import "github.com/almoner/almoner/consortium-node/contracts/vocab"

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

// Methods of the contract.
const (
	MethodCreateCampaign   = "create_campaign"
	MethodOpen             = "open"
	MethodClose            = "close"
	MethodCancel           = "cancel"
	MethodGive             = "give"
	MethodSubmitEvidence   = "submit_evidence"
	MethodApproveMilestone = "approve_milestone"
	MethodRejectMilestone  = "reject_milestone"
	MethodSettleMilestone  = "settle_milestone"
	MethodDisburse         = "disburse"
	MethodConfirmReceipt   = "confirm_receipt"
)

// Arguments of the contract's methods.
const (
	ArgCampaignID     = "campaign_id"
	ArgTitle          = "title"
	ArgCurrency       = "currency"
	ArgBeneficiaries  = "beneficiaries"
	ArgMilestones     = "milestones"
	ArgAmount         = "amount"
	ArgBeneficiary    = "beneficiary"
	ArgMilestone      = "milestone" // 1-based position
	ArgEvidenceHash   = "evidence_hash"
	ArgDisbursementID = "disbursement_id"
	ArgPayee          = "payee"
	ArgPurpose        = "purpose"
	ArgPaymentRef     = "payment_ref"
	ArgClaim          = "claim" // a claim whose patient share a disbursement pays
)

// Attributes of the contract's events.
const (
	AttrCampaign     = "campaign"
	AttrCharity      = "charity"
	AttrTitle        = "title"
	AttrGoal         = "goal"
	AttrCurrency     = "currency"
	AttrMilestones   = "milestones"
	AttrGift         = "gift"
	AttrDonor        = "donor"
	AttrAmount       = "amount"
	AttrAllocations  = "allocations"
	AttrEarmarked    = "earmarked"
	AttrBeneficiary  = "beneficiary"
	AttrMilestone    = "milestone"
	AttrEvidenceHash = "evidence_hash"
	AttrValidator    = "validator"
	AttrReason       = "reason"
	AttrDisbursement = "disbursement"
	AttrPayee        = "payee"
	AttrPaymentRef   = "payment_ref"
	AttrClaim        = "claim"
	AttrPurpose      = "purpose"
	AttrBy           = "by"
)

// Shape declares the arguments each method reads and the attributes each
// event carries.
func Shape() vocab.Shape {
	campaign := []string{ArgCampaignID}
	milestone := []string{ArgCampaignID, ArgMilestone}
	onCampaign := []string{AttrCampaign}
	return vocab.Shape{
		Methods: map[string][]string{
			MethodCreateCampaign:   {ArgCampaignID, ArgTitle, ArgCurrency, ArgBeneficiaries, ArgMilestones},
			MethodOpen:             campaign,
			MethodClose:            campaign,
			MethodCancel:           campaign,
			MethodGive:             {ArgCampaignID, ArgAmount, ArgBeneficiary, ArgMilestone},
			MethodSubmitEvidence:   {ArgCampaignID, ArgMilestone, ArgEvidenceHash},
			MethodApproveMilestone: milestone,
			MethodRejectMilestone:  milestone,
			MethodSettleMilestone:  milestone,
			MethodDisburse: {ArgCampaignID, ArgMilestone, ArgDisbursementID, ArgPayee, ArgAmount, ArgPurpose,
				ArgPaymentRef,
				ArgEvidenceHash, ArgClaim},
			MethodConfirmReceipt: {ArgDisbursementID},
		},
		Events: map[string][]string{
			EventCampaignCreated:   {AttrCampaign, AttrCharity, AttrTitle, AttrGoal, AttrCurrency, AttrMilestones},
			EventCampaignOpened:    onCampaign,
			EventCampaignFunded:    onCampaign,
			EventCampaignCancelled: onCampaign,
			EventCampaignClosed:    onCampaign,
			EventGiftReceived: {AttrGift, AttrCampaign, AttrCharity, AttrDonor, AttrAmount, AttrCurrency,
				AttrAllocations,
				AttrEarmarked, AttrBeneficiary},
			EventEvidenceSubmitted: {AttrCampaign, AttrMilestone, AttrEvidenceHash},
			EventMilestoneApproved: {AttrCampaign, AttrMilestone, AttrValidator},
			EventMilestoneRejected: {AttrCampaign, AttrMilestone, AttrValidator},
			EventMilestoneMissed:   {AttrCampaign, AttrMilestone},
			EventGiftRefunded:      {AttrGift, AttrCampaign, AttrDonor, AttrMilestone, AttrAmount, AttrReason},
			EventGiftDisbursed:     {AttrGift, AttrCampaign, AttrDonor, AttrDisbursement, AttrMilestone, AttrAmount},
			EventDisbursed: {AttrDisbursement, AttrCampaign, AttrMilestone, AttrPayee, AttrAmount, AttrCurrency,
				AttrPaymentRef, AttrClaim, AttrPurpose, AttrEvidenceHash},
			EventPayeeConfirmed: {AttrDisbursement, AttrCampaign, AttrPayee, AttrBy},
		},
	}
}
