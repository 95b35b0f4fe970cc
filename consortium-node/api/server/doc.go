// Package server serves the node's HTTP JSON API (see package api for the
// endpoints). It validates every request's size and shape, answers bad
// input with a 4xx and a precise error, and changes nothing on error.
//
// Each route group reaches the node through its own small interface
// (backend.go: Submitter, Chain, Consortium, Records, Authenticator;
// BackupBackend for /v1/backup); Config.Backend is the node as one value
// that implements them all.
package server
