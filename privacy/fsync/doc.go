// Package fsync owns the folder fsync: [Dir] makes the names created,
// renamed, linked or removed in a folder durable, which fsyncing the files
// themselves does not. The node's raft log, backups and restores, database
// recovery, the portal's organisation key and the keystore each write a file
// (or a folder) and then sync the folder that names it.
//
// # Imports
//
// The standard library only. It lives under privacy/, as privacy/integrity
// does, because privacy is the lowest layer that the node, the portal and
// the privacy formats (the keystore) all import; it is not about
// cryptography.
package fsync
