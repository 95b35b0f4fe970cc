// Package governance is the portal's read model of the governance
// contract (consortium-node/contracts/governance): every proposal with its
// kind, proposer, the change it asks for (organisation, node, rules or
// threshold), its status (open, executed, failed with the reason,
// rejected, withdrawn, expired), each organisation's approval or rejection
// (organisation, member, height, time) and the tally against the quorum
// threshold; lists of all proposals and per status, newest first.
//
// The index is built from committed blocks only: the governance events
// (proposal_created, proposal_approved, proposal_rejected,
// proposal_executed, proposal_failed, proposal_withdrawn,
// threshold_changed), the identity events that change the set of
// organisations (org_added, org_removed), and the arguments of the
// proposing transaction for the change itself. Two statuses have no event
// and are derived the way the contract derives them: a vote after which
// the organisations that have not rejected can no longer reach the
// threshold makes the proposal rejected; an open proposal is expired from
// the first block whose time reaches its expiry (the node's proposal
// status also judges expiry by its head block's time). Deleting the read
// model rebuilds it identically.
//
// The module keeps its own copy of the organisation set and the
// threshold, because the rejection of a proposal depends on them at the
// moment of the vote, inside the block. The policy rules are not kept
// here: package portal/authz follows policy_changed and serves them.
//
// Keys under "x/governance/" ("<seq>" is "<height hex16>.<tx index hex6>"
// of the proposing transaction, so key order is proposal order):
//
//	p/<proposal>             proposal
//	a/<seq>                  proposal id (every proposal)
//	s/<status>/<seq>         proposal id (per status)
//	open                     the open proposals with their expiry
//	orgs                     the current organisations
//	threshold                the threshold percent
//
// A portal whose index predates this module must rebuild it (delete the
// index folder): the module's state starts at genesis.
//
// Imports: portal/readmodel, policies (rules are read as the contract
// reads them) and the node's wire packages only.
package governance
