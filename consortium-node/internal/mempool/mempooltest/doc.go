// Package mempooltest holds what the admission benchmarks of the mempool and of the node share: BenchAdd, the
// timed loop that admits one batch of signed transactions and forgets it again. Only tests import it. It may
// import the mempool and tx only.
package mempooltest
