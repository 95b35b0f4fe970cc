// Package defaults fills the unset numbers and durations of a config in
// its Validate: the one way the portal's configs (portal/..., graphql/...)
// give a field left zero (or negative) its default.
//
// Imports: nothing.
package defaults
