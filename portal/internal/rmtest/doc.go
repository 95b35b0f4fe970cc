// Package rmtest runs read-model modules over a real chain, for the
// portal's tests only (only test files import it): it indexes blocks the
// way a portal does (through readmodel's follower, from a node that
// serves a fixed run of blocks), lists a module's key space, and holds
// the check that the modules' event fuzz targets share (a refused block
// fails with readmodel.ErrCorrupt and leaves the index byte-identical;
// the real chain's blocks give the real chain's index). Source serves a
// fixed run of blocks as a node would; RunFollower and WaitApplied run a
// follower over any source until the test ends and wait for the index to
// reach a height.
//
// The chain itself comes from portal/internal/testnode/testchain.
package rmtest
