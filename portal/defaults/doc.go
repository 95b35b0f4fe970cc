// Package defaults fills the unset numbers, durations and logger of a
// config in its Validate: the one way the portal's configs (portal/...,
// graphql/...) give a field left zero (or negative, or a nil logger) its
// default.
//
// Imports: log/slog only.
package defaults
