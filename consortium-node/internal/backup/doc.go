// Package backup restores a consortium node from a backup archive
// (api.BackupReader; taken from a running node with GET /v1/backup,
// client.Client.Backup) on a fresh machine, in the one way that is safe
// for raft (docs/decisions/0016-backup-restore.md):
//
//   - the node comes back under a NEW node record — a new node id or at
//     least a new raft id, and new keys — added by governance after the
//     backed-up node was removed (etcd's answer to a lost member disk:
//     remove it, add a new member). A raft id that voted before never
//     restarts from an older HardState, so no member votes twice in a term;
//   - the raft storage is reseeded: only a snapshot at the applied index
//     (node.ReseedRaft), no vote, no uncommitted entries;
//   - the private store's data keys are rewrapped from the old node's
//     X-Wing key (the key file its operator kept) to the new node's;
//   - it then joins with --join-via and catches up from the leader.
//
// Restore refuses the unsafe paths (the old raft id, the old node still a
// member, another organisation's node, another chain) with what to do
// instead. A one-node consortium, which has no one to rejoin, restores
// its only node in place (SingleNode) and loses the blocks after the
// backup.
//
// Everything is written to a staging folder beside the target and moved
// into place only after the archive's checksum, the chain and every check
// have passed. It imports node internals and is used by the consortium
// node's command only.
//
// It is one of the node's engine packages under consortium-node/internal/:
// only the node daemon, its CLI and the packages under consortium-node/
// (nodetest for tests elsewhere) may import it; the portal cannot.
package backup
