// Package governancegql is the GraphQL module of consortium governance:
// proposals (Relay, newest first, by status), proposal(id) with every
// approval and rejection, the organisations still missing and how many
// approvals are needed, the policy in force (rules, CSV, threshold), the
// proposalUpdates subscription, and the signed mutations of the
// governance contract: one propose mutation per kind
// (proposeAddOrganisation, proposeRemoveOrganisation, proposeAddNode,
// proposeRemoveNode, proposePolicyChange, proposeThreshold),
// approveProposal, rejectProposal and withdrawProposal.
//
// Reads and mutations are authorised with the ledger's policy
// (schema.Config.Allowed; mutations are schema.TxMutations) the way the
// contract asks it: obj "proposal"
// with act read, propose, approve, reject or withdraw (owner: the
// proposer), obj "policy" with act read. Under the default policy
// organisation and consortium admins and auditors read governance; a
// viewer the policy refuses gets FORBIDDEN before anything is signed, and
// the ledger still decides (a second vote of an organisation is a FAILED
// receipt with the ledger's reason).
//
// The rules in force come from portal/authz (the enforcer the portal
// already keeps in step with the chain), not from a copy of them.
package governancegql
