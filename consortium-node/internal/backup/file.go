package backup

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/almoner/almoner/consortium-node/api"
)

// WriteFile writes an archive to path through a temporary file beside it
// that write fills (client.Client.Backup); the file is synced and renamed
// to path only when write returns without error, having verified the
// archive. An existing path is refused, not overwritten.
func WriteFile(path string, write func(f *os.File) (*api.BackupHeader, error)) (*api.BackupHeader, int64, error) {
	if _, err := os.Lstat(path); err == nil {
		return nil, 0, fmt.Errorf("backup: %s exists; choose another file", path)
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".part-*")
	if err != nil {
		return nil, 0, fmt.Errorf("backup: %w", err)
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	h, err := write(f)
	if err != nil {
		return nil, 0, err
	}
	if err := f.Sync(); err != nil {
		return nil, 0, fmt.Errorf("backup: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		return nil, 0, fmt.Errorf("backup: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, 0, fmt.Errorf("backup: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return nil, 0, fmt.Errorf("backup: %w", err)
	}
	ok = true
	syncDir(filepath.Dir(path))
	return h, st.Size(), nil
}

// syncDir makes a rename or link in dir durable (best effort).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}
