// Package donationgql is the GraphQL module of the donation contract: it
// registers with schema.Builder the campaign, gift, lineage,
// disbursement and charity-report types, their queries, the donation
// mutations and the giftLineage subscription, over the read model of
// portal/donations.
//
// # Who may read what
//
// Campaigns, their milestones and totals are public. A gift, its lineage
// and the giftLineage subscription are for its donor, a charity officer
// of the campaign's charity, or an auditor; myGifts lists only the
// viewer's own gifts. A campaign's gift list, its disbursements, a
// disbursement's gift sources and the charity report are for the
// charity's officers and auditors; a disbursement is also readable by its
// payee (the member, or the members of the payee organisation), who
// confirms it. Refusals are FORBIDDEN (UNAUTHENTICATED when anonymous),
// decided from the viewer's member record in the read model.
//
// # Proofs
//
// giftProofBundle(gift) returns, as one JSON document
// (consortium-node/api.GiftBundle), the receipt proofs of every
// transaction that moved a gift: the gift, its milestones' approvals, the
// disbursements that drew on it, their payees' confirmations, its
// refunds. The ledger's policy alone decides: the bundle is for whom
// "gift read" (owner the donor, org the charity) or "chain read" of the
// gift's transaction allows; a receipt is whole for whom "chain read"
// allows its transaction, else its events are shown only where they name
// no donor or a donor whose gift the viewer may read (other donors'
// gifts are left out and the receipt is proven by its hash:
// docs/decisions/0026-donor-proofs.md).
//
// # Mutations
//
// Every mutation is a schema.TxMutation signing one donation transaction
// with the viewer's key (wait: true returns the committed receipt after
// the read model applied it). The portal checks the input
// (BAD_USER_INPUT) and asks the policy the contract's question about the
// campaign, milestone or disbursement as the read model holds it
// (FORBIDDEN, nothing signed); what only the contract decides comes back
// as a committed receipt with status FAILED and the ledger's reason.
//
// # Reports
//
// charityReport(charity, from, to) sums a charity's income, disbursements
// and refunds per campaign for block times in [from, to), and returns the
// summary and its entries as CSV text as well (fields csv and
// entriesCsv), so that a client saves a file without another endpoint.
//
// Imports: graphql/schema, portal/donations, portal/readmodel,
// portal/session and the node's tx and api/client packages.
package donationgql
