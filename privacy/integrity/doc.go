// Package integrity owns Almoner's one marker of integrity failures:
// [ErrFailed]. Every store, log, read model and byte format that checks
// what it reads (a checksum, a hash, a MAC, an AEAD tag, a canonical
// encoding) returns errors that wrap it, so "halt on corruption" is one
// errors.Is(err, integrity.ErrFailed), wherever the error came from: the
// node's store and raft log, a custodian's private store, a backup archive,
// the chain's hashes and proofs, the portal's read model, a sealed record,
// a wrapped key or a keystore entry.
//
// Packages keep their own sentinels (store.ErrCorrupt,
// envelope.ErrIntegrity, ...) for callers that ask which check failed;
// [New] makes such a sentinel: it keeps its own text and errors.Is the
// marker.
//
// Whether an integrity failure means "stop" is the caller's decision: the
// node halts on one in its own store, and only refuses bytes that a peer or
// a client sent.
//
// # Imports
//
// The standard library only. It lives under privacy/ because privacy is
// the lowest layer that the node, the portal and the privacy formats all
// import (privacy imports nothing of the node or the portal); it is not
// about cryptography alone.
package integrity
