package tx

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/almoner/almoner/privacy/sign"
)

// TestVerifyBatch: VerifyBatch returns what Verify returns for each
// transaction, in batches below and above MinBatch, with no bad
// signature, one, or several among good ones.
func TestVerifyBatch(t *testing.T) {
	signed := func(i int) *Signed {
		k, err := sign.NewKeyFromSeed(sign.Ed25519, bytes.Repeat([]byte{byte(i)}, sign.Ed25519SeedSize))
		if err != nil {
			t.Fatal(err)
		}
		s, err := Sign(Body{ChainID: "test", Sender: fmt.Sprintf("org/m%d", i), Nonce: uint64(i), Expiry: 10,
			Call: Call{Contract: "identity", Method: "noop", Args: Args{Uint("n", uint64(i))}}}, k)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	spoil := map[string]func(s *Signed){
		"another nonce":     func(s *Signed) { s.Body.Nonce++ },
		"a flipped bit":     func(s *Signed) { s.Signature.Sig[5] ^= 1 },
		"a short signature": func(s *Signed) { s.Signature.Sig = s.Signature.Sig[:63] },
		"a short key":       func(s *Signed) { s.Signature.PubKey = s.Signature.PubKey[:31] },
		"another algorithm": func(s *Signed) { s.Signature.Alg = 7 },
	}
	for _, n := range []int{1, MinBatch - 1, MinBatch, 64} {
		for _, bad := range [][]int{nil, {0}, {n - 1}, {0, n / 2, n - 1}} {
			for what, f := range spoil {
				ss := make([]*Signed, n)
				for i := range ss {
					ss[i] = signed(i)
				}
				for _, i := range bad {
					f(ss[i])
				}
				errs := VerifyBatch(ss)
				for i, s := range ss {
					want := s.Verify()
					if (errs[i] == nil) != (want == nil) || errs[i] != nil && errs[i].Error() != want.Error() {
						t.Errorf("%d txs, %s at %v: tx %d: batch says %v, Verify %v", n, what, bad, i, errs[i], want)
					}
					if want == nil && errors.Is(errs[i], ErrSignature) {
						t.Errorf("tx %d refused", i)
					}
				}
			}
		}
	}
}
