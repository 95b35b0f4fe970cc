// Package genesis owns the genesis file format: the chain id, the
// consortium's founding organisations, members and nodes, the consensus
// parameters, the initial policy rows and the hospitals' claims key ids.
// It loads and validates the file, reads and writes development key files
// and bridges them to the keystore. The genesis state and block derived
// from a file are package genesisstate's; development consortiums with keys
// on disk are package devnet's.
//
// It may import the contracts' vocabulary packages (identity/vocab,
// consortium/vocab, claim/claimdoc), tx, policies and privacy/; never a
// contract implementation or the executor, so that the portal can read a
// genesis file without linking the node.
//
// The file format is JSON and is documented in docs/genesis.md.
package genesis
