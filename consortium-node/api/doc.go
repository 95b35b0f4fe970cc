// Package api holds the JSON wire types of the node's HTTP API, shared by
// the server (api/server) and the Go client (api/client) that the portal
// and the CLI use. It imports only wire packages (tx, ledger) and
// privacy/fsync (the folder sync of a backup or restore), never node
// internals.
//
// Endpoints (all under /v1):
//
//	POST /v1/txs?wait=true&timeout=10s   submit signed transactions
//	GET  /v1/txs/{id}                    receipt with inclusion proof
//	GET  /v1/blocks/{height|latest}      block with receipts and signatures
//	GET  /v1/blocks/hash/{hash}          block by header hash
//	GET  /v1/stream?from=H               committed blocks as NDJSON, live
//	GET  /v1/status                      node status
//	GET  /v1/genesis                     the genesis file
//	GET  /v1/nodes                       the consortium's current nodes
//	GET  /v1/keys/expiring?within=720h   members whose signing keys expire soon
//	PUT  /v1/private/records             store a record ciphertext (custodian; signed CBOR)
//	POST /v1/private/fetch               fetch a record under a committed access (signed CBOR)
//
// POST /v1/txs takes application/cbor (a CBOR array of encoded signed
// transactions) or application/json ({"txs": ["<base64>", ...]}).
package api
