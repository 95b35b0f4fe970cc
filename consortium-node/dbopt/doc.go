// Package dbopt owns the goleveldb options of Almoner's large databases: the
// node's store (consortium-node/internal/store) and the portal's read model
// (portal/readmodel). Both write one fsynced batch per block and read keys
// that are often not there yet, so they share one set of sizes and one
// strictness baseline; each adds what only it needs (the node's store reads
// with StrictReader).
//
// Imports: goleveldb's opt and filter packages only, so that the node and
// the portal may both import it.
package dbopt
