package merkle

import (
	"errors"
	"fmt"
	"math/bits"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

// ErrIndex is returned when a leaf index is outside the tree.
var ErrIndex = errors.New("merkle: leaf index out of range")

// HashSize is the size of every hash in the tree.
const HashSize = 32

// LeafHash returns SHA-256(0x00 || data).
func LeafHash(data []byte) []byte { return rfc6962.DefaultHasher.HashLeaf(data) }

// Root returns the RFC 6962 root over the given leaf hashes; the root of an
// empty tree is SHA-256 of the empty string.
func Root(leafHashes [][]byte) []byte {
	if len(leafHashes) == 0 {
		return rfc6962.DefaultHasher.EmptyRoot()
	}
	return subtreeRoot(leafHashes)
}

func subtreeRoot(h [][]byte) []byte {
	if len(h) == 1 {
		return h[0]
	}
	k := split(len(h))
	return rfc6962.DefaultHasher.HashChildren(subtreeRoot(h[:k]), subtreeRoot(h[k:]))
}

// split returns the largest power of two strictly less than n (n >= 2).
func split(n int) int {
	return 1 << (bits.Len(uint(n-1)) - 1)
}

// InclusionProof returns the audit path for leaf index in the tree over
// leafHashes (RFC 6962 section 2.1.1), ordered from the leaf upwards.
func InclusionProof(leafHashes [][]byte, index int) ([][]byte, error) {
	if index < 0 || index >= len(leafHashes) {
		return nil, fmt.Errorf("%w: %d of %d", ErrIndex, index, len(leafHashes))
	}
	return path(leafHashes, index), nil
}

func path(h [][]byte, m int) [][]byte {
	if len(h) <= 1 {
		return nil
	}
	k := split(len(h))
	if m < k {
		return append(path(h[:k], m), subtreeRoot(h[k:]))
	}
	return append(path(h[k:], m-k), subtreeRoot(h[:k]))
}

// VerifyInclusion checks a proof with transparency-dev's RFC 6962 verifier.
func VerifyInclusion(index, size uint64, leafHash []byte, auditPath [][]byte, root []byte) error {
	err := proof.VerifyInclusion(rfc6962.DefaultHasher, index, size, leafHash, auditPath, root)
	var mismatch proof.RootMismatchError
	if errors.As(err, &mismatch) {
		return fmt.Errorf("merkle: audit path leads to root %x, want %x", mismatch.CalculatedRoot, mismatch.ExpectedRoot)
	}
	if err != nil {
		return fmt.Errorf("merkle: %w", err)
	}
	return nil
}
