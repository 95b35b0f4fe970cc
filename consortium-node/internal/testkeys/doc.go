// Package testkeys gives the members and nodes of a dev genesis file keys derived from their ids, for fuzz
// tests: the fuzzing coordinator and its workers are separate processes, and a seed signed in one must verify in
// the others. Only tests import it (api/server's and internal/node's fuzz targets). It may import genesis,
// identity and privacy/sign (its tests: genesis/devnet).
package testkeys
