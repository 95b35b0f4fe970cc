package api

import (
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// WriteBackupFile writes an archive to path (consortium-node backup,
// portal backup) through a temporary file beside it that write fills
// (client.Client.Backup, the portal's backup request), verifying the
// archive as it goes; the file is synced and renamed to path only when
// write returns without error, and removed otherwise. An existing path is
// refused, not overwritten. It returns the archive's header and size.
func WriteBackupFile(path string, write func(f *os.File) (*BackupHeader, error)) (*BackupHeader, int64, error) {
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
	if d, err := os.Open(filepath.Dir(path)); err == nil { // the new name survives a crash (best effort)
		_ = d.Sync()
		d.Close()
	}
	return h, st.Size(), nil
}

// WriteBackupFileReport is WriteBackupFile timed, for the backup commands: it returns the archive's header and the
// line they print once the archive is in place, "wrote PATH: HEADER, SIZE bytes in DURATION (checksum verified)".
func WriteBackupFileReport(path string, write func(f *os.File) (*BackupHeader, error)) (*BackupHeader, string, error) {
	start := time.Now()
	h, size, err := WriteBackupFile(path, write)
	if err != nil {
		return nil, "", err
	}
	took := time.Since(start).Round(time.Millisecond)
	return h, fmt.Sprintf("wrote %s: %s, %d bytes in %v (checksum verified)", path, h, size, took), nil
}
