package identity

import (
	"bytes"
	"testing"

	"github.com/almoner/almoner/consortium-node/codec"
	"github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	"github.com/almoner/almoner/privacy/sign"
	"github.com/cloudflare/circl/kem/xwing"
)

// FuzzDecodeMember fuzzes the decoder of member records read from state:
// no panic, accepted input re-encodes to itself.
func FuzzDecodeMember(f *testing.F) {
	k, _ := sign.NewKeyFromSeed(sign.Ed25519, bytes.Repeat([]byte{1}, 32))
	good, _ := codec.Marshal(&Member{ID: "a1/x", Org: "a1", Roles: []string{vocab.RolePatient}, SignKey: k.Public(),
		EncKey: encKey(1)})
	f.Add(good)
	org, _ := codec.Marshal(&Org{ID: "a1", Kind: vocab.KindHospital, Name: "A"})
	f.Add(org)
	f.Fuzz(func(t *testing.T, data []byte) {
		if m, err := DecodeMember(data); err == nil {
			if again, _ := codec.Marshal(m); !bytes.Equal(again, data) {
				t.Fatalf("member %x re-encodes differently", data)
			}
			_ = m.Validate()
		}
		if o, err := DecodeOrg(data); err == nil {
			if again, _ := codec.Marshal(o); !bytes.Equal(again, data) {
				t.Fatalf("org %x re-encodes differently", data)
			}
		}
	})
}

// encKey is a deterministic X-Wing public key (the chain-level tests, which
// use chaintest's keys, are in the external package identity_test).
func encKey(seed byte) EncryptionKey {
	_, pk := xwing.DeriveKeyPairPacked(bytes.Repeat([]byte{seed}, 32))
	return EncryptionKey{Alg: vocab.EncAlgXWing, Key: pk}
}
