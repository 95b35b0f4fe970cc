package api_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/almoner/almoner/consortium-node/api"
)

// TestWriteBackupFile: a verified archive lands under its name, nothing
// else beside it; a failing write leaves nothing; an existing file is
// never overwritten.
func TestWriteBackupFile(t *testing.T) {
	dir := t.TempDir()
	archive := sampleArchive(t, portalHeader, [][2]string{{"a", "1"}}, map[string]string{"portal.json": "{}"})
	verify := func(f *os.File) (*api.BackupHeader, error) {
		r, err := api.NewBackupReader(io.TeeReader(bytes.NewReader(archive), f))
		if err != nil {
			return nil, err
		}
		for {
			if _, err := r.Next(); errors.Is(err, io.EOF) {
				h := r.Header()
				return &h, nil
			} else if err != nil {
				return nil, err
			}
		}
	}
	path := filepath.Join(dir, "portal.almbk")
	h, size, err := api.WriteBackupFile(path, verify)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, archive) || size != int64(len(archive)) || h.Kind != api.BackupPortal {
		t.Errorf("wrote %d bytes (size %d, header %+v), want the %d of the archive", len(got), size, h, len(archive))
	}
	if _, _, err := api.WriteBackupFile(path, verify); err == nil {
		t.Error("an existing file was overwritten")
	}
	failed := filepath.Join(dir, "failed.almbk")
	boom := errors.New("the stream broke")
	if _, _, err := api.WriteBackupFile(failed, func(f *os.File) (*api.BackupHeader, error) {
		_, _ = f.Write(archive[:10])
		return nil, boom
	}); !errors.Is(err, boom) {
		t.Errorf("failing write: %v, want %v", err, boom)
	}
	if es, _ := os.ReadDir(dir); len(es) != 1 || es[0].Name() != "portal.almbk" {
		t.Errorf("left in the folder: %v, want only portal.almbk", es)
	}
}
