package merkle

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

func leaves(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = LeafHash([]byte(fmt.Sprintf("leaf-%d", i)))
	}
	return out
}

// TestRootMatchesCompactRange compares our root with transparency-dev's
// compact range implementation for every tree size up to 70.
func TestRootMatchesCompactRange(t *testing.T) {
	for n := 0; n <= 70; n++ {
		ls := leaves(n)
		rf := compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}
		r := rf.NewEmptyRange(0)
		for _, l := range ls {
			if err := r.Append(l, nil); err != nil {
				t.Fatal(err)
			}
		}
		want, err := r.GetRootHash(nil)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			want = rfc6962.DefaultHasher.EmptyRoot()
		}
		if got := Root(ls); !bytes.Equal(got, want) {
			t.Fatalf("n=%d: root %x, want %x", n, got, want)
		}
	}
}

// TestInclusionProofsAcceptedByIndependentVerifier is the RFC 6962 proof
// test: every proof we generate is accepted by transparency-dev's verifier,
// and a proof for the wrong leaf, index or root is rejected.
func TestInclusionProofsAcceptedByIndependentVerifier(t *testing.T) {
	for n := 1; n <= 70; n++ {
		ls := leaves(n)
		root := Root(ls)
		for i := 0; i < n; i++ {
			p, err := InclusionProof(ls, i)
			if err != nil {
				t.Fatal(err)
			}
			if err := proof.VerifyInclusion(rfc6962.DefaultHasher, uint64(i), uint64(n), ls[i], p, root); err != nil {
				t.Fatalf("n=%d i=%d: independent verifier rejected proof: %v", n, i, err)
			}
			if err := proof.VerifyInclusion(rfc6962.DefaultHasher, uint64(i), uint64(n), LeafHash([]byte("other")), p, root); err == nil {
				t.Fatalf("n=%d i=%d: wrong leaf accepted", n, i)
			}
			if n > 1 {
				if err := VerifyInclusion(uint64((i+1)%n), uint64(n), ls[i], p, root); err == nil {
					t.Fatalf("n=%d i=%d: wrong index accepted", n, i)
				}
			}
		}
	}
}

// TestKnownRoot pins the RFC 6962 root of the CT test vector leaves.
func TestKnownRoot(t *testing.T) {
	inputs := []string{"", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"}
	var ls [][]byte
	for _, s := range inputs {
		b, _ := hex.DecodeString(s)
		ls = append(ls, LeafHash(b))
	}
	// From the certificate-transparency reference test vectors.
	want := "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
	if got := hex.EncodeToString(Root(ls)); got != want {
		t.Fatalf("root %s, want %s", got, want)
	}
	empty := sha256.Sum256(nil)
	if !bytes.Equal(Root(nil), empty[:]) {
		t.Fatal("empty root is not SHA-256 of the empty string")
	}
}

func TestIndexOutOfRange(t *testing.T) {
	if _, err := InclusionProof(leaves(3), 3); err == nil {
		t.Fatal("index 3 of 3 accepted")
	}
	if _, err := InclusionProof(nil, 0); err == nil {
		t.Fatal("empty tree accepted")
	}
}
