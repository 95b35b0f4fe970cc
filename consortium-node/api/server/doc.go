// Package server serves the node's HTTP JSON API (see package api for the
// endpoints). It validates every request's size and shape, answers bad
// input with a 4xx and a precise error, and changes nothing on error.
package server
