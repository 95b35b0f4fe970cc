// Package donation is the charity system contract: campaigns with
// milestone escrow, gifts, validator approval, disbursements with
// evidence, payee confirmation and automatic refunds, so that every gift
// has a lineage: gift -> campaign -> milestone -> disbursement -> payee
// confirmation, or refund.
//
// Money is integer minor units of one ISO 4217 currency per campaign.
// A gift is allocated when it is made: to its earmarked milestone, or
// else across milestones in order, each up to its amount (a gift larger
// than what the campaign still needs is refused). Allocated money sits in
// the milestone's escrow until the milestone's validator (a named member,
// never the charity's own officer: the policy denies charity officers
// milestone approval) approves the evidence the charity submitted; then
// the charity disburses it, earmarked gifts first, then first in, first
// out. A cancelled campaign, a rejected milestone, or a milestone whose
// deadline passes unapproved (anyone may settle it) refunds every gift's
// undisbursed part. Allocation is deterministic, so every node computes
// the same lineage.
//
// Events (for the read model): campaign_created, campaign_opened,
// campaign_funded, campaign_cancelled, campaign_closed, gift_received,
// evidence_submitted, milestone_approved, milestone_rejected,
// milestone_missed, disbursed (one per disbursement) and
// gift_disbursed (one per gift it draws on), payee_confirmed,
// gift_refunded.
package donation
