// Package inbox is the portal's read-model module of members'
// notifications: from every committed block it files, for each member an
// event concerns, a notice — an access to my records (granted, refused,
// not delivered), an emergency (break-glass) access, a consent request, a
// change of my claim, my gift disbursed or refunded.
//
// A notice keeps the event's facts (ids and codes, with what the module
// remembers beside them: a record's category, a campaign's title,
// currency and milestones, a disbursement's payee); its words are written
// when it is read (Reader): organisations by their names in the read
// model, members by their name with their organisation's, codes by the
// labels of portal/words, money with its currency and decimals, dates in
// words. The member is "you": no patient is named.
//
// Notices are derived data, rebuilt from the ledger like every index; what
// a member switched off and read last are the member's portal settings
// (session.Preferences), kept by the portal, never on the ledger.
//
// It imports the read model, the node's wire types, the contracts'
// vocabularies, portal/words and portal/donations (the milestones' format).
package inbox
