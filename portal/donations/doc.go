// Package donations is the portal's read model of the donation contract
// (consortium-node/contracts/donation): campaigns with their milestones
// and balances, each campaign's income (its gifts, in the order they
// committed), disbursements with their payee, evidence and confirmation,
// a per-donor index of gifts, every gift's lineage (gift -> campaign ->
// milestone allocations -> disbursements with payee and confirmation, or
// refunds with their reason) and a per-charity ledger of money movements
// for date-range reports (CSV).
//
// The index is derived from committed blocks only, so deleting the read
// model rebuilds it identically. The contract's events say what happened
// and in what order; the details that events do not carry (a campaign's
// title, milestones and beneficiaries, a gift's earmark and beneficiary,
// evidence hashes, a disbursement's purpose) are read from the arguments
// of the same committed, successful transaction. Dates are block times.
//
// A gift's proof bundle (Reader.Bundle) is built from the lineage: the
// transactions that moved the gift (ProofSteps: the gift, the approvals
// of its milestones, the disbursements that drew on it and their
// confirmations, its refunds), each one's receipt proof fetched from the
// node, and the receipt events the viewer may not read left out as the
// Disclosure (the ledger's policy) decides (api.GiftBundle).
//
// Module returns the readmodel.Module to register; Reader answers queries
// over a readmodel.Store and is safe for concurrent use. Keys live under
// the module's space "x/donations/":
//
//	c/<campaign>                          campaign
//	g/<gift>                              gift (id: the giving transaction)
//	d/<disbursement>                      disbursement
//	cg/<campaign>/<seq>                   gift id, in commit order
//	cd/<campaign>/<seq>                   disbursement id, in commit order
//	dg/<donor>/<height>.<tx>              gift id, per donor in commit order
//	r/<charity>/<time>/<height>.<tx>.<ev> money movement (report ledger)
//
// Numbers in keys are fixed-width lower-case hex so that key order is
// numeric order.
//
// Imports: portal/readmodel and the node's wire packages (api, tx,
// ledger) only.
package donations
