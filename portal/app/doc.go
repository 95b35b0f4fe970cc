// Package app assembles a running portal from its parts: the node client,
// the read model and its follower, the session store, the keyring, the
// GraphQL schema and the HTTP server. The daemon (portal/) parses flags and
// calls Start; tests call Start with the same code path.
package app
