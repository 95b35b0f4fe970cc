// Package inbox is the portal's read-model module of members'
// notifications: from every committed block it files, for each member an
// event concerns, a notice in words — an access to my records (granted,
// refused, not delivered), an emergency (break-glass) access, a consent
// request, a change of my claim, my gift disbursed or refunded.
//
// Notices are derived data, rebuilt from the ledger like every index; what
// a member switched off and read last are the member's portal settings
// (session.Preferences), kept by the portal, never on the ledger.
//
// It imports the read model and the node's wire types only.
package inbox
