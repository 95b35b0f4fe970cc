package keystore

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/almoner/almoner/privacy/fsync"
)

// writeFile writes data to dir/name atomically: a temporary file in dir
// (mode 0600) is written and fsynced, then renamed over name (overwrite) or
// hard-linked to it (create; fails with ErrExists if name exists), and dir
// is fsynced so that the new name survives a crash.
func writeFile(dir, name string, data []byte, overwrite bool) (err error) {
	f, err := os.CreateTemp(dir, "."+name+".tmp-*")
	if err != nil {
		return fmt.Errorf("keystore: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if f != nil {
			f.Close()
		}
		if err != nil || !overwrite {
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(0o600); err != nil {
		return fmt.Errorf("keystore: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("keystore: writing %s: %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("keystore: syncing %s: %w", tmp, err)
	}
	err = f.Close()
	f = nil
	if err != nil {
		return fmt.Errorf("keystore: closing %s: %w", tmp, err)
	}
	final := filepath.Join(dir, name)
	if overwrite {
		err = os.Rename(tmp, final)
	} else {
		err = os.Link(tmp, final)
		if os.IsExist(err) {
			return fmt.Errorf("%w: %s (written concurrently)", ErrExists, name)
		}
	}
	if err != nil {
		return fmt.Errorf("keystore: %w", err)
	}
	if err := fsync.Dir(dir); err != nil {
		return fmt.Errorf("keystore: syncing directory: %w", err)
	}
	return nil
}
