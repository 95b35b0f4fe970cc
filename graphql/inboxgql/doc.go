// Package inboxgql is the GraphQL module of members' notifications
// (portal/inbox): inbox (the viewer's notices, newest first, with how
// many are unread), notificationSettings, the mutations markInboxRead and
// setNotifications, and the inboxAlerts subscription that pushes each new
// notice as its block is applied. A member reads only their own inbox;
// what they switched off and read last are portal settings
// (session.Preferences), never on the ledger.
package inboxgql
