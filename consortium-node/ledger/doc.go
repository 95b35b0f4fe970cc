// Package ledger owns the wire types of the chain: block headers, blocks,
// receipts, events, node signatures over headers, the chained state hash,
// and receipt proofs that anyone can verify offline against the genesis
// node keys (DESIGN decision 9).
//
// Everything hashed or signed is encoded with codec.Marshal (CBOR core
// deterministic). Like tx, this is a wire package that the node's client,
// the CLI and the portal may import.
package ledger
