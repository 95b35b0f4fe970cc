// Package transport carries messages between consortium nodes (raft
// messages, forwarded transactions, header signatures) over TCP with
// mutual TLS 1.3.
//
// A node's TLS certificate is self-signed with its Ed25519 node key from
// the genesis file (or a later membership change). Both sides require a
// certificate, and accept the handshake only when the peer's key is the key
// of a current member node (and, when dialling, of the node it meant to
// reach): a node that is not a member is refused at the handshake. The
// certificate's validity period and issuer are not relied on; the key is the
// identity.
//
// Messages are length-prefixed frames [len u32][kind u8][payload] with a
// size limit. Each peer has its own bounded send queue and connection
// goroutine, so a slow or dead peer never blocks the others: when its queue
// is full, messages to it are dropped (raft tolerates loss) and Send
// reports it.
//
// It is one of the node's engine packages under consortium-node/internal/:
// only the node daemon, its CLI and the packages under consortium-node/
// (nodetest for tests elsewhere) may import it; the portal cannot.
package transport
