package keyring

import (
	"errors"
	"fmt"

	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/privacy/keystore"
)

// PublicKeys are a member's public keys in the text form the identity
// contract takes (add_member's sign_key and enc_key).
type PublicKeys struct {
	Sign string
	Enc  string
}

// EnsureKeys returns member's public keys, first generating a fresh
// signing and encryption key pair and sealing it in the keystore when it
// holds none (created is then true). Reusing the keys already there makes
// a retried member creation submit the same keys. The secret halves never
// leave the keyring.
func (k *Keyring) EnsureKeys(member string) (pub PublicKeys, created bool, err error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.Has(member) {
		kf, err := genesis.NewKeyFile(member, nil)
		if err != nil {
			return PublicKeys{}, false, fmt.Errorf("keyring: generating keys: %w", err)
		}
		if err := k.Import(kf); err != nil {
			return PublicKeys{}, false, err
		}
		created = true
	}
	kf, err := k.load(member)
	if err != nil {
		return PublicKeys{}, false, err
	}
	sk, err := kf.SignKey()
	if err != nil {
		return PublicKeys{}, false, fmt.Errorf("keyring: %w", err)
	}
	ek, err := kf.EncryptionKey()
	if err != nil {
		return PublicKeys{}, false, fmt.Errorf("keyring: %w", err)
	}
	return PublicKeys{Sign: sk.Public().String(), Enc: ek.String()}, created, nil
}

// Discard destroys member's keys (a member creation the ledger refused).
// It returns an error wrapping ErrNoKey when there are none.
func (k *Keyring) Discard(member string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	signID, encID := genesis.KeystoreIDs(member)
	var errs []error
	for _, id := range []string{encID, signID} { // the signing key last: Has looks at it
		err := k.ks.Delete(id)
		if errors.Is(err, keystore.ErrNotFound) {
			if id == signID {
				return fmt.Errorf("%w: %s", ErrNoKey, member)
			}
			continue
		}
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("keyring: discarding keys of %s: %w", member, err)
	}
	return nil
}
