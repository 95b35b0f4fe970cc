package keyring

import (
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/privacy/envelope"
	"github.com/almoner/almoner/privacy/keystore"
	"github.com/almoner/almoner/privacy/sign"
)

// load reads member's key file from the keystore.
func (k *Keyring) load(member string) (*genesis.KeyFile, error) {
	kf, err := genesis.LoadFromKeystore(k.ks, member, k.p)
	if errors.Is(err, keystore.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s", ErrNoKey, member)
	}
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	return kf, nil
}

// SignKey returns member's signing key (for a long-lived use such as
// signing the portal's node API reads).
func (k *Keyring) SignKey(member string) (*sign.PrivateKey, error) {
	kf, err := k.load(member)
	if err != nil {
		return nil, err
	}
	key, err := kf.SignKey()
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	return key, nil
}

// SignPrivate signs a private request to a custodian node
// (*api.UploadRequest or *api.FetchRequest) with member's signing key.
func (k *Keyring) SignPrivate(member string, req any) error {
	kf, err := k.load(member)
	if err != nil {
		return err
	}
	key, err := kf.SignKey()
	if err != nil {
		return fmt.Errorf("keyring: %w", err)
	}
	if err := api.SignPrivate(req, key); err != nil {
		return fmt.Errorf("keyring: signing a private request: %w", err)
	}
	return nil
}

// ReaderKey returns member's decryption key, which unwraps the data keys
// custodians wrap for them. The caller destroys it after use.
func (k *Keyring) ReaderKey(member string) (*envelope.ReaderKey, error) {
	kf, err := k.load(member)
	if err != nil {
		return nil, err
	}
	seed, err := hex.DecodeString(kf.EncSeed)
	if err != nil {
		return nil, fmt.Errorf("keyring: %s has no encryption key", member)
	}
	defer clear(seed)
	rk, err := envelope.NewReaderKey(seed)
	if err != nil {
		return nil, fmt.Errorf("keyring: %s: %w", member, err)
	}
	return rk, nil
}
