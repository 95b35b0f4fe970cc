package genesis

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/almoner/almoner/privacy/keystore"
	"github.com/almoner/almoner/privacy/sign"
)

// PassphraseEnv names the environment variable the node and the CLI read
// a keystore passphrase from.
const PassphraseEnv = "ALMONER_KEYSTORE_PASSPHRASE"

// KeystoreIDs names the keystore entries that hold a member's or node's
// signing and encryption seeds.
func KeystoreIDs(id string) (signID, encID string) {
	base := strings.ReplaceAll(id, "/", "_")
	return base + ".sign", base + ".enc"
}

// PassphraseFromEnv returns the keystore passphrase protector.
func PassphraseFromEnv() (keystore.Protector, error) {
	p := os.Getenv(PassphraseEnv)
	if p == "" {
		return nil, fmt.Errorf("set %s to the keystore's passphrase", PassphraseEnv)
	}
	return keystore.Passphrase([]byte(p)), nil
}

// LoadKeys reads a member's or node's keys, as the node and the CLI take
// them: from the keystore in ksDir (its passphrase in $PassphraseEnv) or,
// with ksDir empty, from the development key file in home (KeyPath).
func LoadKeys(home, ksDir, id string) (*KeyFile, error) {
	if ksDir == "" {
		return LoadKeyFile(KeyPath(home, id))
	}
	p, err := PassphraseFromEnv()
	if err != nil {
		return nil, err
	}
	ks, err := keystore.Open(ksDir, keystore.Options{KDF: keystore.DefaultKDF})
	if err != nil {
		return nil, err
	}
	return LoadFromKeystore(ks, id, p)
}

// LoadSignKey reads id's keys (LoadKeys) and its signing key.
func LoadSignKey(home, ksDir, id string) (*KeyFile, *sign.PrivateKey, error) {
	kf, err := LoadKeys(home, ksDir, id)
	if err != nil {
		return nil, nil, fmt.Errorf("key of %s: %w", id, err)
	}
	key, err := kf.SignKey()
	if err != nil {
		return nil, nil, fmt.Errorf("key of %s: %w", id, err)
	}
	return kf, key, nil
}

// ImportKeyFile seals a key file's seeds into a keystore.
func ImportKeyFile(ks *keystore.Store, kf *KeyFile, p keystore.Protector) error {
	signID, encID := KeystoreIDs(kf.ID)
	seed, err := hex.DecodeString(kf.SignSeed)
	if err != nil {
		return fmt.Errorf("key file %q: sign_seed: %w", kf.ID, err)
	}
	if err := ks.Put(signID, seed, p); err != nil {
		return err
	}
	clear(seed)
	if kf.EncSeed != "" {
		enc, err := hex.DecodeString(kf.EncSeed)
		if err != nil {
			return fmt.Errorf("key file %q: enc_seed: %w", kf.ID, err)
		}
		defer clear(enc)
		return ks.Put(encID, enc, p)
	}
	return nil
}

// LoadFromKeystore reads a member's or node's keys from a keystore, in the
// form of a key file held only in memory.
func LoadFromKeystore(ks *keystore.Store, id string, p keystore.Protector) (*KeyFile, error) {
	signID, encID := KeystoreIDs(id)
	s, err := ks.Get(signID, p)
	if err != nil {
		return nil, fmt.Errorf("keys of %q: %w", id, err)
	}
	defer s.Destroy()
	kf := &KeyFile{ID: id, SignSeed: hex.EncodeToString(s.Bytes())}
	e, err := ks.Get(encID, p)
	switch {
	case errors.Is(err, keystore.ErrNotFound):
	case err != nil:
		return nil, fmt.Errorf("keys of %q: %w", id, err)
	default:
		kf.EncSeed = hex.EncodeToString(e.Bytes())
		e.Destroy()
	}
	return kf, nil
}
