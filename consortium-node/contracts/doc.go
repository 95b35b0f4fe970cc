// Package contracts defines the interface of Almoner's native Go system
// contracts and the runtime that turns signed transactions into executor
// transactions (exec.Txn): it checks the signature once (Prepare),
// authenticates the sender against the identity state, and dispatches the
// call, through the contract's dispatch table (Methods: method name to
// function, read and checked once by the registry), with a Context that
// gives the contract point reads and writes in its own key space, events,
// the caller's identity, and the block's height and time — never the wall
// clock.
//
// Contracts keep no state outside the Context, start no goroutines and do
// only point reads and writes; queries belong to the portal's read model,
// built from the events contracts emit.
package contracts
