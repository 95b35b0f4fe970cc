package testkeys

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/almoner/almoner/consortium-node/contracts/identity"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/privacy/sign"
)

// Seeded returns the Ed25519 key whose seed is b repeated: the same key in every process.
func Seeded(tb testing.TB, b byte) *sign.PrivateKey {
	tb.Helper()
	k, err := sign.NewKeyFromSeed(sign.Ed25519, bytes.Repeat([]byte{b}, sign.Ed25519SeedSize))
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// Pin gives every member and node of g keys derived from its id and returns their key files by id.
func Pin(tb testing.TB, g *genesis.File) map[string]*genesis.KeyFile {
	tb.Helper()
	kfs := map[string]*genesis.KeyFile{}
	pin := func(id string) (sign.PublicKey, identity.EncryptionKey) {
		s, e := sha256.Sum256([]byte("almoner-fuzz/sign/"+id)), sha256.Sum256([]byte("almoner-fuzz/enc/"+id))
		kf := &genesis.KeyFile{ID: id, SignSeed: hex.EncodeToString(s[:]), EncSeed: hex.EncodeToString(e[:])}
		sk, ek, err := kf.Public()
		if err != nil {
			tb.Fatal(err)
		}
		kfs[id] = kf
		return sk, ek
	}
	for i, m := range g.Members {
		g.Members[i].SignKey, g.Members[i].EncKey = pin(m.ID)
	}
	for i, n := range g.Nodes {
		g.Nodes[i].SignKey, g.Nodes[i].EncKey = pin(n.ID)
	}
	if err := g.Validate(); err != nil {
		tb.Fatal(err)
	}
	return kfs
}
