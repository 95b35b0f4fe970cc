// Package exec executes the transactions of one block against committed
// state and returns per-transaction outcomes and the block's write set.
//
// Two executors produce identical results, bit for bit:
//
//   - Serial runs transactions one after another in block order; it is the
//     reference.
//   - Parallel is Block-STM (Gelashvili et al., "Block-STM: Scaling
//     Blockchain Execution by Turning Ordering Curse to a Performance
//     Blessing", PPoPP 2023): optimistic execution on all cores over a
//     multi-version memory, validation of read sets, and re-execution on
//     conflict, with a collaborative scheduler that prefers lower indices.
//
// Each transaction's Prepare (signature checks, decoding: work that does not
// read state) runs exactly once and is kept across re-executions, so even a
// fully contended block spends most of its time in parallel work.
//
// CachedReader puts a per-block cache in front of committed state: each key
// is read from it once per block (the block builder runs every block
// through one).
//
// The package has no goroutines beyond those of one Execute call, never
// reads the wall clock, and has no package-level mutable state.
//
// It is one of the node's engine packages under consortium-node/internal/:
// only the node daemon, its CLI and the packages under consortium-node/
// (nodetest for tests elsewhere) may import it; the portal cannot.
package exec
