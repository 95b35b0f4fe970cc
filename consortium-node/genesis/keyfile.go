package genesis

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/cloudflare/circl/kem/xwing"

	identity "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	"github.com/almoner/almoner/privacy/envelope"
	"github.com/almoner/almoner/privacy/sign"
)

// KeyFile is a development key file: the seeds of a member's or node's
// signing and encryption keys, stored unencrypted (mode 0600). Production
// keys belong in the keystore (privacy issue); these are for dev networks.
type KeyFile struct {
	ID       string `json:"id"`
	SignSeed string `json:"sign_seed"`          // hex Ed25519 seed
	EncSeed  string `json:"enc_seed,omitempty"` // hex X-Wing seed
}

// SignKey returns the signing key.
func (k *KeyFile) SignKey() (*sign.PrivateKey, error) {
	seed, err := hex.DecodeString(k.SignSeed)
	if err != nil {
		return nil, fmt.Errorf("key file %q: sign_seed: %w", k.ID, err)
	}
	return sign.NewKeyFromSeed(sign.Ed25519, seed)
}

// EncryptionKey returns the public encryption key.
func (k *KeyFile) EncryptionKey() (identity.EncryptionKey, error) {
	seed, err := hex.DecodeString(k.EncSeed)
	if err != nil || len(seed) != xwing.SeedSize {
		return identity.EncryptionKey{}, fmt.Errorf("key file %q: enc_seed must be %d hex bytes", k.ID, xwing.SeedSize)
	}
	_, pk := xwing.DeriveKeyPairPacked(seed)
	return identity.EncryptionKey{Alg: identity.EncAlgXWing, Key: pk}, nil
}

// Public returns the public signing and encryption keys, as the ledger
// records them for the member or node.
func (k *KeyFile) Public() (sign.PublicKey, identity.EncryptionKey, error) {
	sk, err := k.SignKey()
	if err != nil {
		return sign.PublicKey{}, identity.EncryptionKey{}, err
	}
	ek, err := k.EncryptionKey()
	if err != nil {
		return sign.PublicKey{}, identity.EncryptionKey{}, err
	}
	return sk.Public(), ek, nil
}

// ReaderKey returns the private X-Wing key that unwraps the data keys
// custodians wrap for this member or node. The caller destroys it after use.
func (k *KeyFile) ReaderKey() (*envelope.ReaderKey, error) {
	if k.EncSeed == "" {
		return nil, fmt.Errorf("key file %q has no enc_seed", k.ID)
	}
	seed, err := hex.DecodeString(k.EncSeed)
	if err != nil {
		return nil, fmt.Errorf("key file %q: enc_seed: %w", k.ID, err)
	}
	defer clear(seed)
	rk, err := envelope.NewReaderKey(seed)
	if err != nil {
		return nil, fmt.Errorf("key file %q: %w", k.ID, err)
	}
	return rk, nil
}

// KeyPath returns where Dev stores the key file of id inside dir.
func KeyPath(dir, id string) string {
	return filepath.Join(dir, "keys", strings.ReplaceAll(id, "/", "_")+".json")
}

// LoadKeyFile reads a key file.
func LoadKeyFile(path string) (*KeyFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var k KeyFile
	if err := json.Unmarshal(b, &k); err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	return &k, nil
}

// NewKeyFile generates fresh seeds for id.
func NewKeyFile(id string, r io.Reader) (*KeyFile, error) {
	if r == nil {
		r = rand.Reader
	}
	s := make([]byte, sign.Ed25519SeedSize)
	e := make([]byte, xwing.SeedSize)
	if _, err := io.ReadFull(r, s); err != nil {
		return nil, err
	}
	if _, err := io.ReadFull(r, e); err != nil {
		return nil, err
	}
	return &KeyFile{ID: id, SignSeed: hex.EncodeToString(s), EncSeed: hex.EncodeToString(e)}, nil
}

// Save writes the key file with mode 0600, refusing to overwrite.
func (k *KeyFile) Save(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	b, _ := json.MarshalIndent(k, "", "  ")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
