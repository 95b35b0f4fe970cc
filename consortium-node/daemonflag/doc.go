// Package daemonflag owns the command-line flags the node and portal
// daemons share, parsed the same way in both: --log-level (the text
// slog.Logger on stderr that main injects everywhere) and --pprof (Go
// profiles on a loopback listener of their own, package pprofserver); and
// Command, a subcommand's flag set that prints its help text on a wrong
// flag (the node's backup, restore, check and recover, the portal's init,
// backup and restore).
//
// Flags are registered on the caller's flag.FlagSet and read after its
// Parse; nothing here is global.
//
// Imports: the standard library and pprofserver only, so that the node's
// and the portal's main packages may both import it.
package daemonflag
