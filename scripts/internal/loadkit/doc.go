// Package loadkit holds what the load commands under scripts/ (loadgen, etcdload, overload, portalload) share:
// running a command's main, waiting for the system under load to be ready, request latency samples and their nearest-rank percentiles, milliseconds for the
// RESULT lines. It may import the standard library only.
package loadkit
