// Package shapes lists every system contract's Shape (contracts/vocab): per
// method the arguments it reads, per event the attributes it carries, each
// declared by the contract's own vocabulary package. The contract tests
// (chaintest checks every transaction a test commits) and the portal's tests
// (every transaction its tests commit, and every attribute its read model
// reads) check against it, so that a contract and the portal that calls it
// and reads its events cannot drift apart unnoticed. It imports only the
// vocabulary packages: never a contract implementation or the executor.
package shapes
