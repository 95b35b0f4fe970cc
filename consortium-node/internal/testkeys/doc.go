// Package testkeys gives the members and nodes of a dev genesis file keys derived from their ids (Pin), and
// tests a key of their own derived from one byte (Seeded), for fuzz tests: the fuzzing coordinator and its
// workers are separate processes, and a seed signed in one must verify in the others. Only tests import it (the
// fuzz targets and tests of api, api/server, internal/node and internal/transport). It may import genesis,
// identity and privacy/sign (its tests: genesis/devnet).
package testkeys
