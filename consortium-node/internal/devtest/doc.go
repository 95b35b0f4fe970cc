// Package devtest creates dev consortia (genesis/devnet) in tests' temporary folders and loads the signing keys
// of their members and nodes, for the tests of the node's engine and of its API (internal/node, internal/backup,
// api/server), which run real nodes on them, and gives fuzz targets a real genesis file's bytes (api/client,
// genesis/genesisstate). Only tests import it. It may import genesis, genesis/devnet and privacy/sign; never the
// node (the node package's own tests use it).
package devtest
