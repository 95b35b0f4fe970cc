package sign

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"math/big"
	"math/rand/v2"
	"testing"

	"filippo.io/edwards25519"
	circl "github.com/cloudflare/circl/sign/ed25519"
)

// smallOrderEncodings returns every 32-byte encoding of a point of small
// order (the 8 torsion points) that ZIP-215 decoding accepts, canonical or
// not: y in {1, p-1, 0, the two order-8 y values} with either sign bit,
// and the non-canonical y = p and y = p+1 (y+p < 2^255 only for y < 19).
func smallOrderEncodings(t testing.TB) [][]byte {
	t.Helper()
	p := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(19))
	le := func(n *big.Int) []byte {
		b := n.FillBytes(make([]byte, 32))
		for i, j := 0, 31; i < j; i, j = i+1, j-1 {
			b[i], b[j] = b[j], b[i]
		}
		return b
	}
	order8 := func(s string) []byte {
		b, err := hex.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		b[31] &= 0x7f
		return b
	}
	bases := [][]byte{
		le(big.NewInt(1)),                      // identity
		le(new(big.Int).Sub(p, big.NewInt(1))), // order 2
		le(big.NewInt(0)),                      // order 4
		order8("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"),
		order8("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"),
		le(p),                                  // y = 0, not canonical
		le(new(big.Int).Add(p, big.NewInt(1))), // y = 1, not canonical
	}
	var out [][]byte
	for _, base := range bases {
		for _, sign := range []byte{0, 0x80} {
			enc := bytes.Clone(base)
			enc[31] |= sign
			pt, err := new(edwards25519.Point).SetBytes(enc)
			if err != nil {
				continue // e.g. no x for this y and sign
			}
			if new(edwards25519.Point).MultByCofactor(pt).Equal(edwards25519.NewIdentityPoint()) != 1 {
				t.Fatalf("%x decodes to a point not of small order", enc)
			}
			out = append(out, enc)
		}
	}
	if len(out) < 12 {
		t.Fatalf("only %d small-order encodings", len(out))
	}
	return out
}

// vector is one (key, message, signature) to verify.
type vector struct {
	name     string
	key      PublicKey
	msg, sig []byte
}

func (v vector) single() bool { return v.key.Verify(v.msg, v.sig) == nil }

// batchOf verifies vs as one batch.
func batchOf(vs ...vector) bool {
	b := NewBatchVerifier(len(vs))
	for _, v := range vs {
		b.Add(v.key, v.msg, v.sig)
	}
	return b.Verify()
}

// edgeVectors: valid signatures, their corruptions, the ZIP-215 vectors
// (every small-order key and R, in every encoding, with S = 0: 14 x 14,
// among them the all-zero key and signature), a
// non-canonical S, keys and signatures of the wrong size or algorithm.
func edgeVectors(t testing.TB) []vector {
	t.Helper()
	var vs []vector
	for i := range 8 {
		k, err := NewKeyFromSeed(Ed25519, bytes.Repeat([]byte{byte(i + 1)}, Ed25519SeedSize))
		if err != nil {
			t.Fatal(err)
		}
		msg := []byte(fmt.Sprintf("gift %d", i))
		sig := k.Sign(msg)
		vs = append(vs, vector{fmt.Sprintf("valid %d", i), k.Public(), msg, sig})
		flip := func(b []byte, at int) []byte { c := bytes.Clone(b); c[at%len(c)] ^= 1 << (at % 8); return c }
		vs = append(vs,
			vector{fmt.Sprintf("valid %d, R changed", i), k.Public(), msg, flip(sig, i)},
			vector{fmt.Sprintf("valid %d, S changed", i), k.Public(), msg, flip(sig, 32+i)},
			vector{fmt.Sprintf("valid %d, message changed", i), k.Public(), flip(msg, i), sig},
			vector{fmt.Sprintf("valid %d, key changed", i), PublicKey{Alg: Ed25519, Key: flip(k.Public().Key, i)}, msg, sig})
		// S + L: the same scalar, not canonical (S must be below L).
		s := new(big.Int).SetBytes(reverse(sig[32:]))
		l, _ := new(big.Int).SetString("7237005577332262213973186563042994240857116359379907606001950938285454250989", 10)
		nc := append(bytes.Clone(sig[:32]), reverse(new(big.Int).Add(s, l).FillBytes(make([]byte, 32)))...)
		vs = append(vs, vector{fmt.Sprintf("valid %d, S + L", i), k.Public(), msg, nc})
	}
	small := smallOrderEncodings(t)
	for _, a := range small {
		for _, r := range small {
			vs = append(vs, vector{fmt.Sprintf("ZIP-215: small-order A %x, R %x, S = 0", a, r),
				PublicKey{Alg: Ed25519, Key: a}, []byte("Zcash"), append(bytes.Clone(r), make([]byte, 32)...)})
		}
	}
	good := vs[0]
	vs = append(vs,
		vector{"short signature", good.key, good.msg, good.sig[:63]},
		vector{"long signature", good.key, good.msg, append(bytes.Clone(good.sig), 0)},
		vector{"short key", PublicKey{Alg: Ed25519, Key: good.key.Key[:31]}, good.msg, good.sig},
		vector{"unknown algorithm", PublicKey{Alg: 9, Key: good.key.Key}, good.msg, good.sig},
		vector{"all 0xff key and signature", PublicKey{Alg: Ed25519, Key: bytes.Repeat([]byte{0xff}, 32)}, good.msg,
			bytes.Repeat([]byte{0xff}, 64)})
	return vs
}

func reverse(b []byte) []byte {
	c := bytes.Clone(b)
	for i, j := 0, len(c)-1; i < j; i, j = i+1, j-1 {
		c[i], c[j] = c[j], c[i]
	}
	return c
}

// TestBatchAgreesWithSingle: for every edge-case vector, verifying it
// alone, in a batch of its own and in a batch with valid signatures give
// the same answer, so a node that verifies in batches and one that
// verifies one by one never disagree. The ZIP-215 vectors are all valid;
// S + L and the corruptions are not.
func TestBatchAgreesWithSingle(t *testing.T) {
	vs := edgeVectors(t)
	var valid []vector
	for _, v := range vs[:8*6] {
		if v.single() {
			valid = append(valid, v)
		}
	}
	if len(valid) != 8 {
		t.Fatalf("%d of the generated signatures verify, want the 8 valid ones", len(valid))
	}
	zip215, circlRefused := 0, 0
	for _, v := range vs {
		single := v.single()
		if alone := batchOf(v); alone != single {
			t.Errorf("%s: single %v, batch of one %v", v.name, single, alone)
		}
		if mixed := batchOf(append(append([]vector(nil), valid...), v)...); mixed != single {
			t.Errorf("%s: single %v, batch with %d valid %v", v.name, single, len(valid), mixed)
		}
		isZIP := len(v.name) > 7 && v.name[:7] == "ZIP-215"
		switch {
		case isZIP && !single:
			t.Errorf("%s: refused; ZIP-215 accepts it", v.name)
		case isZIP:
			zip215++
			if len(v.key.Key) == 32 && !circl.Verify(circl.PublicKey(v.key.Key), v.msg, v.sig) {
				circlRefused++
			}
		case !isZIP && single && !bytes.HasPrefix([]byte(v.name), []byte("valid")):
			t.Errorf("%s: accepted", v.name)
		case bytes.Contains([]byte(v.name), []byte(",")) && single:
			t.Errorf("%s: a corrupted signature was accepted", v.name)
		}
	}
	if batchOf(vs...) {
		t.Error("a batch of everything must fail (it holds invalid signatures)")
	}
	t.Logf("%d vectors; %d ZIP-215 small-order vectors accepted by single and batch alike (circl's RFC 8032 check refused %d of them)",
		len(vs), zip215, circlRefused)
}

// TestBatchFindsTheBadOne: a batch with one bad signature among many good
// ones fails; each on its own, only the bad one fails.
func TestBatchFindsTheBadOne(t *testing.T) {
	var vs []vector
	for i := range 64 {
		k, err := NewKeyFromSeed(Ed25519, bytes.Repeat([]byte{byte(i)}, Ed25519SeedSize))
		if err != nil {
			t.Fatal(err)
		}
		msg := []byte(fmt.Sprintf("tx %d", i))
		vs = append(vs, vector{fmt.Sprint(i), k.Public(), msg, k.Sign(msg)})
	}
	if !batchOf(vs...) {
		t.Fatal("a batch of 64 valid signatures failed")
	}
	bad := rand.IntN(len(vs))
	t.Logf("bad signature at %d", bad)
	vs[bad].msg = []byte("another message")
	if batchOf(vs...) {
		t.Fatal("a batch with a bad signature verified")
	}
	for i, v := range vs {
		if v.single() != (i != bad) {
			t.Errorf("signature %d alone: %v", i, v.single())
		}
	}
	if !NewBatchVerifier(0).Verify() {
		t.Error("an empty batch must verify")
	}
}

// FuzzBatchAgreesWithSingle: arbitrary keys, messages and signatures,
// alone and in a batch with a valid one, are decided the same.
func FuzzBatchAgreesWithSingle(f *testing.F) {
	k, err := NewKeyFromSeed(Ed25519, bytes.Repeat([]byte{3}, Ed25519SeedSize))
	if err != nil {
		f.Fatal(err)
	}
	good := vector{"good", k.Public(), []byte("m"), k.Sign([]byte("m"))}
	for _, v := range edgeVectors(f) {
		f.Add(v.key.Key, v.msg, v.sig)
	}
	f.Fuzz(func(t *testing.T, key, msg, sig []byte) {
		v := vector{"fuzz", PublicKey{Alg: Ed25519, Key: key}, msg, sig}
		single := v.single()
		if batchOf(v) != single || batchOf(good, v) != single {
			t.Fatalf("key %x msg %x sig %x: single %v, batch disagrees", key, msg, sig, single)
		}
	})
}

// BenchmarkVerify: Ed25519 verifications per second on all cores, one by
// one and in batches.
func BenchmarkVerify(b *testing.B) {
	const n = 256
	vs := make([]vector, n)
	for i := range vs {
		k, err := NewKeyFromSeed(Ed25519, bytes.Repeat([]byte{byte(i)}, Ed25519SeedSize))
		if err != nil {
			b.Fatal(err)
		}
		msg := bytes.Repeat([]byte{byte(i)}, 300)
		vs[i] = vector{fmt.Sprint(i), k.Public(), msg, k.Sign(msg)}
	}
	b.Run("circl", func(b *testing.B) { // the verifier before ZIP-215, for comparison
		b.RunParallel(func(pb *testing.PB) {
			next := 0
			for pb.Next() {
				v := vs[next]
				next = (next + 1) % n
				if !circl.Verify(circl.PublicKey(v.key.Key), v.msg, v.sig) {
					b.Error("verification failed")
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "verifs/s")
	})
	for _, size := range []int{1, 16, 64, 256} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				next := 0
				for pb.Next() {
					chunk := vs[next : next+size]
					next = (next + size) % n
					var ok bool
					if size == 1 {
						ok = chunk[0].single()
					} else {
						ok = batchOf(chunk...)
					}
					if !ok {
						b.Error("verification failed")
						return
					}
				}
			})
			b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "verifs/s")
		})
	}
}
