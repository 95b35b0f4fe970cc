// Package readmodel is the portal's query index (DESIGN.md decisions 3, 10
// and 11): it follows the committed blocks of one node through the node's
// Go client (consortium-node/api/client), applies each block and its
// events in one fsynced goleveldb batch that also records the applied
// height, and answers the portal's point reads and ordered scans. While it
// is behind the node (a rebuild, a portal that was down) a batch holds
// several consecutive blocks and records the last one's height, and the
// stream decodes the next blocks while one batch is applied.
//
// The index is derived data: deleting its folder and restarting rebuilds it
// from the node. A crash between two batches loses nothing, because a
// batch's writes and its height commit together; the follower resumes from
// the stored height.
//
// Indexes are built by modules registered in a [Registry]: a module names
// the events it handles ("contract.type"), and optionally a genesis and a
// per-block hook. The core module ([Core]) indexes blocks, transactions
// with their receipts, organisations, members and nodes; domain contracts
// (donations, claims, consent) add their own modules without touching this
// package, each writing under its own key prefix ([Txn.Module]).
//
// Imports: the node's wire packages only (api, api/client, tx, ledger,
// genesis, dbopt for the goleveldb options the node's store uses too;
// portal/internal/smalldb opens the database; portal/defaults) — never node
// internals.
package readmodel
