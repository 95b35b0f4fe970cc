package keyring

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/almoner/almoner/privacy/fsync"
	"github.com/almoner/almoner/privacy/keystore"
)

// Errors of the sealed organisation key.
var (
	// ErrNeedPassphrase means the portal's organisation key is sealed (or
	// must be, outside development) and no passphrase was given.
	ErrNeedPassphrase = errors.New("keyring: the portal's key needs its passphrase")
)

// orgKeyVersion is the keystore entry version of a sealed organisation key.
const orgKeyVersion = 1

// OpenOrgKey opens the portal's organisation key, the key that seals every
// member key in the portal's keystore, at path:
//
//   - with a passphrase, the file is a keystore entry sealed under it
//     (argon2id, AES-256-GCM): created on first start, and a plain key
//     from a development portal is sealed in place;
//   - without one, only a development portal (allowPlain) may keep the
//     key in plain hex beside the keystore; a sealed file, or a portal
//     that is not a development one, is ErrNeedPassphrase.
//
// The passphrase never touches the disk; rotate it with Reseal.
func OpenOrgKey(path, id string, passphrase []byte, allowPlain bool, opts keystore.Options) (*keystore.OrgKey, error) {
	b, err := os.ReadFile(path)
	exists := err == nil
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	if exists {
		if st, err := os.Stat(path); err == nil && st.Mode().Perm()&0o077 != 0 {
			return nil, fmt.Errorf("keyring: %s is readable by other users (chmod 600)", path)
		}
	}
	plain := exists && isPlainHex(b)
	if len(passphrase) == 0 {
		switch {
		case exists && !plain:
			return nil, fmt.Errorf("%w: %s is sealed; give the passphrase ($ALMONER_PORTAL_PASSPHRASE or --passphrase-file)",
				ErrNeedPassphrase, path)
		case !allowPlain:
			return nil, fmt.Errorf("%w: a portal keeps its members' keys sealed under a passphrase that is not stored beside them "+
				"($ALMONER_PORTAL_PASSPHRASE or --passphrase-file; only --dev portals may run without one)", ErrNeedPassphrase)
		}
		return LoadOrCreateOrgKey(path, id)
	}
	var raw []byte
	switch {
	case !exists:
		raw = make([]byte, 32)
		if _, err := rand.Read(raw); err != nil {
			return nil, fmt.Errorf("keyring: %w", err)
		}
	case plain:
		if raw, err = hex.DecodeString(string(bytes.TrimSpace(b))); err != nil {
			return nil, fmt.Errorf("keyring: %s: not hex", path)
		}
	default:
		s, err := keystore.Unseal(b, keystore.Passphrase(passphrase), id, orgKeyVersion)
		if err != nil {
			return nil, fmt.Errorf("keyring: opening %s: %w (wrong passphrase?)", path, err)
		}
		defer s.Destroy()
		return keystore.NewOrgKey(id, s.Bytes())
	}
	defer clear(raw)
	if err := writeSealed(path, id, raw, passphrase, opts); err != nil {
		return nil, err
	}
	return keystore.NewOrgKey(id, raw)
}

// Reseal re-seals the organisation key at path under a new passphrase
// (rotation). The member keys it protects stay as they are.
func Reseal(path, id string, oldPass, newPass []byte, opts keystore.Options) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("keyring: %w", err)
	}
	var raw []byte
	if isPlainHex(b) {
		if raw, err = hex.DecodeString(string(bytes.TrimSpace(b))); err != nil {
			return fmt.Errorf("keyring: %s: not hex", path)
		}
	} else {
		s, err := keystore.Unseal(b, keystore.Passphrase(oldPass), id, orgKeyVersion)
		if err != nil {
			return fmt.Errorf("keyring: opening %s: %w (wrong passphrase?)", path, err)
		}
		defer s.Destroy()
		raw = bytes.Clone(s.Bytes())
	}
	defer clear(raw)
	return writeSealed(path, id, raw, newPass, opts)
}

func writeSealed(path, id string, raw, passphrase []byte, opts keystore.Options) error {
	entry, err := keystore.Seal(opts, keystore.Passphrase(passphrase), id, orgKeyVersion, raw)
	if err != nil {
		return fmt.Errorf("keyring: sealing the portal's key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("keyring: %w", err)
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("keyring: %w", err)
	}
	_, werr := f.Write(entry)
	if err := errors.Join(werr, f.Sync(), f.Close()); err != nil {
		return fmt.Errorf("keyring: writing %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("keyring: %w", err)
	}
	_ = fsync.Dir(filepath.Dir(path))
	return nil
}

// isPlainHex reports whether b is a development portal's plain key file.
func isPlainHex(b []byte) bool {
	t := bytes.TrimSpace(b)
	if len(t) != 64 {
		return false
	}
	_, err := hex.DecodeString(string(t))
	return err == nil
}
