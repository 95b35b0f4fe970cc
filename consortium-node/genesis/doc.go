// Package genesis owns the genesis file: the chain id, the consortium's
// founding organisations, members and nodes, the consensus parameters and
// the initial policy rows. It validates the file, derives the genesis
// state and block (height 0) from it, and creates a development consortium
// with keys on disk (Dev).
//
// The file format is JSON and is documented in docs/genesis.md.
package genesis
