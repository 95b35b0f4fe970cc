// Package governance is the consortium's governance system contract: an
// organisation admin (or consortium admin) proposes a change; admins of
// other organisations approve or reject it, one vote per organisation;
// when approvals reach the threshold (strictly more than 50% of the
// organisations by default; see package quorum) the change executes in the
// same transaction as the deciding approval. A proposal that is not
// decided before it expires does nothing.
//
// Kinds of proposal: add_org (onboarding an organisation with its admins
// and, optionally, its node, in one proposal), remove_org, add_node,
// remove_node, change_policy (add and remove casbin rules) and
// set_threshold. The policy rules live in this contract's state
// (vocab.PolicyPrefix); nodes and portals load them with the policies
// package and apply changes between blocks, so every node enforces a new
// rule from the same height.
//
// Proposal state is point-read by id (Status); listing belongs to the read
// model, which follows the events: proposal_created, proposal_approved,
// proposal_rejected, proposal_executed, proposal_failed,
// proposal_withdrawn, policy_changed, threshold_changed.
//
// Its vocabulary (name, statuses or kinds, events, records, state keys and
// genesis writes) is defined once in package governance/vocab, which the portal
// imports too; this package names it and adds the execution. It imports
// the contract runtime (package contracts) and the vocabulary packages.
package governance
