// Package privatestore is a custodian node's private store of medical
// record ciphertexts (DESIGN decisions 4, 6): it lives in the node's
// goleveldb under its own prefix. Raft and block sync never touch it; its
// versions are copied only among the custodian organisation's own nodes,
// each copy's data key wrapped for the receiving node (node/replicate.go,
// docs/decisions/0015).
//
// Per record version it keeps the sealed ciphertext (privacy/envelope)
// and the record's data key as the uploading staff member (or, for a
// copy, the sending node) sent it: wrapped with HPKE (X-Wing) to this
// node's encryption key and bound to the record, version and node, so
// data keys are encrypted at rest. A release unwraps the key and wraps it
// for the reader. Erasure destroys ciphertexts and keys (crypto-shredding)
// and leaves a tombstone, so later reads, uploads and copies fail with
// ErrErased.
//
// An upload comes before its registration on the ledger, which may refuse
// it, so an upload is first staged (Stage), with who uploaded it and when.
// The first upload of a version takes the version's own entries, so that
// its registration moves no data; another upload of the same version
// while it is staged goes beside it, named by its ciphertext's hash. When
// a committed record.register names a hash, that upload becomes the
// version (Promote) and the version's other uploads go; the node's sweep
// discards uploads that no registration names after a grace period
// (Discard; docs/decisions/0018). A refused registration therefore leaves
// nothing behind, and its record id stays free.
//
// Key layout (prefix p/):
//
//	ct/<record>/<version>         the version's sealed ciphertext (or its first staged upload's)
//	dk/<record>/<version>         its data key, wrapped for this node
//	ct/<record>/<version>/<hash>  another staged upload's ciphertext (hash: hex SHA-256 of it)
//	dk/<record>/<version>/<hash>  its data key, wrapped for this node
//	up/<record>/<version>/<hash>  a staged upload: Unix nanoseconds (8 bytes), 1 when it holds
//	                              the version's own entries (else 0), the uploader
//	erased/<record>               erasure tombstone
//	nct/<note id>                 a break-glass note, sealed (notes.go; the id is api.NoteID: kind and access)
//	ndk/<note id>                 its data key, wrapped for this node
//
// Break-glass notes (PutNote, ReleaseNote) are checked on arrival (the key
// opens the note, the text is within bounds and its SHA-256 is the
// ledger's) and kept once; Rekey rewraps their keys with the records'.
//
// It is one of the node's engine packages under consortium-node/internal/:
// only the node daemon, its CLI and the packages under consortium-node/
// (nodetest for tests elsewhere) may import it; the portal cannot.
package privatestore
