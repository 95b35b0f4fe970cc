package keyring

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/portal/defaults"
	"github.com/almoner/almoner/privacy/keystore"
)

// ErrNoKey means the keystore has no key for the member.
var ErrNoKey = errors.New("keyring: no key for this member")

// Config configures a Keyring.
type Config struct {
	// Dir is the keystore folder (created 0700).
	Dir string
	// OrgKey seals and opens the entries.
	OrgKey *keystore.OrgKey
	Logger *slog.Logger
}

// Validate checks the config and fills defaults.
func (c *Config) Validate() error {
	if c.Dir == "" || c.OrgKey == nil {
		return errors.New("keyring: Dir and OrgKey are required")
	}
	defaults.Logger(&c.Logger)
	return nil
}

// Keyring signs for members. It is safe for concurrent use.
type Keyring struct {
	ks *keystore.Store
	p  keystore.Protector
	mu sync.Mutex // serialises key generation and removal
}

// Open opens (creating) the keystore folder.
func Open(cfg Config) (*Keyring, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	ks, err := keystore.Open(cfg.Dir, keystore.Options{KDF: keystore.DefaultKDF, Logger: cfg.Logger})
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	return &Keyring{ks: ks, p: cfg.OrgKey}, nil
}

// LoadOrCreateOrgKey reads the portal's organisation key from path (64 hex
// characters, mode 0600), creating it with fresh randomness if missing.
func LoadOrCreateOrgKey(path, id string) (*keystore.OrgKey, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		k, err := keystore.GenerateOrgKey(rand.Reader, id)
		if err != nil {
			return nil, fmt.Errorf("keyring: %w", err)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("keyring: %w", err)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, fmt.Errorf("keyring: %w", err)
		}
		_, werr := f.WriteString(hex.EncodeToString(k.Bytes()) + "\n")
		if err := errors.Join(werr, f.Sync(), f.Close()); err != nil {
			return nil, fmt.Errorf("keyring: writing %s: %w", path, err)
		}
		return k, nil
	}
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	if st, err := os.Stat(path); err == nil && st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("keyring: %s is readable by other users (chmod 600)", path)
	}
	raw, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("keyring: %s: not hex", path)
	}
	defer clear(raw)
	k, err := keystore.NewOrgKey(id, raw)
	if err != nil {
		return nil, fmt.Errorf("keyring: %s: %w", path, err)
	}
	return k, nil
}

// Has reports whether the keystore holds member's signing key.
func (k *Keyring) Has(member string) bool {
	signID, _ := genesis.KeystoreIDs(member)
	entries, err := k.ks.List()
	if err != nil {
		return false
	}
	for _, e := range entries {
		if e.ID == signID {
			return true
		}
	}
	return false
}

// Import seals a key file's seeds (a member's signing and encryption keys).
func (k *Keyring) Import(kf *genesis.KeyFile) error {
	if err := genesis.ImportKeyFile(k.ks, kf, k.p); err != nil {
		return fmt.Errorf("keyring: importing %s: %w", kf.ID, err)
	}
	return nil
}

// Sign signs body with the sender's key. body.Sender names the member.
func (k *Keyring) Sign(body tx.Body) (*tx.Signed, error) {
	kf, err := genesis.LoadFromKeystore(k.ks, body.Sender, k.p)
	if errors.Is(err, keystore.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s", ErrNoKey, body.Sender)
	}
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	key, err := kf.SignKey()
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	s, err := tx.Sign(body, key)
	if err != nil {
		return nil, fmt.Errorf("keyring: signing: %w", err)
	}
	return s, nil
}
