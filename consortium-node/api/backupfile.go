package api

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/almoner/almoner/privacy/fsync"
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
	_ = fsync.Dir(filepath.Dir(path)) // the new name survives a crash (best effort: the archive is whole either way)
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

// RestoreStage is the folder a restore (consortium-node restore, portal restore) fills beside its target, moved into
// place by Commit only once everything in it has been checked: on any error the target is left as it was. Its
// owner defers Abandon, which removes the folder unless Commit moved it.
type RestoreStage struct {
	target, dir string
	committed   bool
}

// StageRestore creates the staging folder beside target ("<target>.restoring-*", mode 0700), creating target's
// parent folders if need be. The caller has checked that target does not exist or is an empty folder.
func StageRestore(target string) (*RestoreStage, error) {
	target = filepath.Clean(target)
	if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	dir, err := os.MkdirTemp(filepath.Dir(target), filepath.Base(target)+".restoring-*")
	if err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	return &RestoreStage{target: target, dir: dir}, nil
}

// Dir is the staging folder to fill.
func (s *RestoreStage) Dir() string { return s.dir }

// Commit moves the staging folder to the target, replacing an empty folder there. The staging folder's entries are
// synced before the rename and the new name after it, both best effort (a folder fsync some file systems refuse must
// not fail a restore whose files are written and checked; their own writes were synced).
func (s *RestoreStage) Commit() error {
	_ = fsync.Dir(s.dir)
	if err := os.Remove(s.target); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("restore: %w", err)
	}
	if err := os.Rename(s.dir, s.target); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	s.committed = true
	_ = fsync.Dir(filepath.Dir(s.target))
	return nil
}

// Abandon removes the staging folder unless Commit moved it into place.
func (s *RestoreStage) Abandon() {
	if !s.committed {
		os.RemoveAll(s.dir)
	}
}
