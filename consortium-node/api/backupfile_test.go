package api_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/api"
)

// copyVerified returns a write for WriteBackupFile that copies archive into the file through a BackupReader, as the
// backup commands' writes do, and returns its header.
func copyVerified(archive []byte) func(f *os.File) (*api.BackupHeader, error) {
	return func(f *os.File) (*api.BackupHeader, error) {
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
}

// TestWriteBackupFile: a verified archive lands under its name, nothing
// else beside it; a failing write leaves nothing; an existing file is
// never overwritten.
func TestWriteBackupFile(t *testing.T) {
	dir := t.TempDir()
	archive := sampleArchive(t, portalHeader, [][2]string{{"a", "1"}}, map[string]string{"portal.json": "{}"})
	verify := copyVerified(archive)
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

// TestWriteBackupFileReport: the archive lands as with WriteBackupFile and the report names its path, header and
// size, the time it took and that its checksum was verified; a refused write reports nothing.
func TestWriteBackupFileReport(t *testing.T) {
	dir := t.TempDir()
	archive := sampleArchive(t, portalHeader, [][2]string{{"a", "1"}}, map[string]string{"portal.json": "{}"})
	path := filepath.Join(dir, "portal.almbk")
	h, report, err := api.WriteBackupFileReport(path, copyVerified(archive))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, archive) || h.Kind != api.BackupPortal {
		t.Errorf("wrote %d bytes (header %+v), want the %d of the archive", len(got), h, len(archive))
	}
	prefix := fmt.Sprintf("wrote %s: %s, %d bytes in ", path, h, len(archive))
	took, ok := strings.CutPrefix(report, prefix)
	if took, ok = strings.CutSuffix(took, " (checksum verified)"); !ok {
		t.Fatalf("report %q, want %q DURATION (checksum verified)", report, prefix)
	}
	if d, err := time.ParseDuration(took); err != nil || d < 0 || d != d.Round(time.Millisecond) {
		t.Errorf("report %q: the time %q is not a duration in milliseconds (%v)", report, took, err)
	}
	if h, report, err := api.WriteBackupFileReport(path, copyVerified(archive)); err == nil || h != nil || report != "" {
		t.Errorf("an existing file: %v, %q, %v; want an error and no report", h, report, err)
	}
}

// TestRestoreStage: a stage is filled beside its target and moved into place by Commit (replacing an empty folder,
// creating missing parents); Abandon removes an uncommitted stage and leaves a committed one; a target that is not
// empty is refused at Commit and left as it was.
func TestRestoreStage(t *testing.T) {
	fill := func(t *testing.T, s *api.RestoreStage) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(s.Dir(), "f"), []byte("restored"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	beside := func(t *testing.T, parent string) []string {
		t.Helper()
		ents, err := os.ReadDir(parent)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		return names
	}
	for _, tc := range []struct {
		name   string
		before func(target string) error // what is at the target first
		commit bool
		want   string // the file's content at the target afterwards ("" none)
		err    bool
	}{
		{name: "missing target, parents created", before: func(string) error { return nil }, commit: true,
			want: "restored"},
		{name: "empty folder replaced", before: func(p string) error { return os.Mkdir(p, 0o700) }, commit: true,
			want: "restored"},
		{name: "not committed", before: func(string) error { return nil }},
		{name: "target not empty", before: func(p string) error {
			if err := os.Mkdir(p, 0o700); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(p, "f"), []byte("kept"), 0o600)
		}, commit: true, want: "kept", err: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parent := filepath.Join(t.TempDir(), "a", "b")
			target := filepath.Join(parent, "home")
			if err := os.MkdirAll(parent, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := tc.before(target); err != nil {
				t.Fatal(err)
			}
			s, err := api.StageRestore(target)
			if err != nil {
				t.Fatal(err)
			}
			if st, err := os.Stat(s.Dir()); err != nil || st.Mode().Perm() != 0o700 ||
				filepath.Dir(s.Dir()) != parent || !strings.HasPrefix(filepath.Base(s.Dir()), "home.restoring-") {
				t.Fatalf("stage %s: %v, %v; want a 0700 folder home.restoring-* beside the target", s.Dir(), st, err)
			}
			fill(t, s)
			if tc.commit {
				if err := s.Commit(); (err != nil) != tc.err {
					t.Fatalf("Commit: %v, want error %v", err, tc.err)
				}
			}
			s.Abandon()
			got, err := os.ReadFile(filepath.Join(target, "f"))
			if tc.want == "" && !errors.Is(err, os.ErrNotExist) || tc.want != "" && string(got) != tc.want {
				t.Fatalf("target holds %q (%v), want %q", got, err, tc.want)
			}
			if names := beside(t, parent); len(names) > 1 || len(names) == 1 && names[0] != "home" {
				t.Fatalf("left beside the target: %v", names)
			}
		})
	}
}
