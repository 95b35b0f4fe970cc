package api_test

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"testing"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/privacy/integrity"
)

func sampleArchive(tb testing.TB, h api.BackupHeader, kvs [][2]string, files map[string]string) []byte {
	tb.Helper()
	var buf bytes.Buffer
	w, err := api.NewBackupWriter(&buf, h)
	if err != nil {
		tb.Fatal(err)
	}
	for _, kv := range kvs {
		if err := w.Put([]byte(kv[0]), []byte(kv[1])); err != nil {
			tb.Fatal(err)
		}
	}
	for name, data := range files {
		if err := w.File(name, 0o600, []byte(data)); err != nil {
			tb.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

var (
	nodeHeader = api.BackupHeader{Kind: api.BackupNode, ChainID: "almoner-dev", Node: "stmarys-node1", RaftID: 1, Org: "stmarys",
		Height: 7, Time: 1}
	portalHeader = api.BackupHeader{Kind: api.BackupPortal, ChainID: "almoner-dev", Org: "stmarys", Height: 3, Time: 2}
)

// readAll reads an archive to its end: the header, entries, and an error
// (nil when the checksum verified).
func readAll(b []byte) (api.BackupHeader, []*api.BackupEntry, error) {
	r, err := api.NewBackupReader(bytes.NewReader(b))
	if err != nil {
		return api.BackupHeader{}, nil, err
	}
	var out []*api.BackupEntry
	for {
		e, err := r.Next()
		if errors.Is(err, io.EOF) {
			return r.Header(), out, nil
		}
		if err != nil {
			return r.Header(), out, err
		}
		out = append(out, e)
	}
}

func TestBackupArchiveRoundTrip(t *testing.T) {
	big := string(bytes.Repeat([]byte{7}, 3<<20)) // larger than the codec's buffers
	b := sampleArchive(t, nodeHeader, [][2]string{{"b/1", "block"}, {"m/head", "h"}, {"p/ct/r/1", big}, {"raft/hs", ""}}, nil)
	h, es, err := readAll(b)
	if err != nil {
		t.Fatal(err)
	}
	if h != nodeHeader || len(es) != 4 || string(es[2].Value) != big || string(es[3].Key) != "raft/hs" || len(es[3].Value) != 0 {
		t.Fatalf("read back %+v, %d entries", h, len(es))
	}
	p := sampleArchive(t, portalHeader, [][2]string{{"a/x", "1"}},
		map[string]string{"keystore/stmarys_admin.key": "sealed", "portal.json": "{}"})
	h, es, err = readAll(p)
	if err != nil || h != portalHeader || len(es) != 3 {
		t.Fatalf("portal archive: %+v %d %v", h, len(es), err)
	}
	for _, e := range es[1:] {
		if !e.IsFile() || e.Mode != 0o600 {
			t.Fatalf("file entry %+v", e)
		}
	}
}

// TestBackupArchiveDamage: every truncation, every flipped byte and any
// trailing data are refused (ErrBackupCorrupt, which is the integrity
// marker integrity.ErrFailed, or ErrBackupVersion for the version byte)
// before the reader reports the end.
func TestBackupArchiveDamage(t *testing.T) {
	b := sampleArchive(t, nodeHeader, [][2]string{{"a", "1"}, {"b", "22"}}, nil)
	for n := range len(b) {
		if _, _, err := readAll(b[:n]); !errors.Is(err, api.ErrBackupCorrupt) || !errors.Is(err, integrity.ErrFailed) {
			t.Fatalf("cut at %d of %d: %v", n, len(b), err)
		}
	}
	for i := range len(b) {
		bad := bytes.Clone(b)
		bad[i] ^= 0x10
		_, _, err := readAll(bad)
		if !errors.Is(err, integrity.ErrFailed) && !errors.Is(err, api.ErrBackupVersion) {
			t.Fatalf("byte %d flipped: %v", i, err)
		}
	}
	if _, _, err := readAll(append(bytes.Clone(b), 0)); !errors.Is(err, api.ErrBackupCorrupt) {
		t.Fatalf("trailing data: %v", err)
	}
}

func TestBackupWriterRefuses(t *testing.T) {
	if _, err := api.NewBackupWriter(io.Discard, api.BackupHeader{Kind: "tape", ChainID: "c"}); err == nil {
		t.Fatal("unknown kind")
	}
	if _, err := api.NewBackupWriter(io.Discard, api.BackupHeader{Kind: api.BackupNode, ChainID: "c"}); err == nil {
		t.Fatal("a node archive without its node")
	}
	w, _ := api.NewBackupWriter(io.Discard, portalHeader)
	if err := w.Put([]byte("b"), nil); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"a", "b", ""} {
		if err := w.Put([]byte(k), nil); err == nil {
			t.Fatalf("key %q after b", k)
		}
	}
	for _, name := range []string{"", ".", "..", "../x", "/etc/passwd", "a/../b", "a//b", "a\\b", "a/", "x\x00"} {
		if err := w.File(name, 0o600, nil); err == nil {
			t.Fatalf("file name %q", name)
		}
	}
	if err := w.File("ok", fs.ModeDir|0o700, nil); err != nil {
		t.Fatal(err)
	}
	if err := w.File("ok", 0o600, nil); err == nil {
		t.Fatal("a file twice")
	}
}

// FuzzBackupReader feeds arbitrary bytes to the archive decoder: it never
// panics, never allocates beyond what arrives, and whatever it accepts
// re-encodes to the same bytes.
func FuzzBackupReader(f *testing.F) {
	f.Add(sampleArchive(f, nodeHeader, [][2]string{{"b/1", "x"}, {"m/head", "y"}}, nil))
	f.Add(sampleArchive(f, portalHeader, [][2]string{{"a/u", "1"}}, map[string]string{"keystore/k": "s", "portal.json": "{}"}))
	f.Add([]byte("\x89ALMBK\r\n\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, es, err := readAll(b)
		if err != nil {
			return
		}
		var buf bytes.Buffer
		w, err := api.NewBackupWriter(&buf, h)
		if err != nil {
			t.Fatalf("accepted header %+v does not encode: %v", h, err)
		}
		for _, e := range es {
			if e.IsFile() {
				err = w.File(e.Name, e.Mode, e.Data)
			} else {
				err = w.Put(e.Key, e.Value)
			}
			if err != nil {
				t.Fatalf("accepted entry does not encode: %v", err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf.Bytes(), b) {
			t.Fatal("an accepted archive re-encodes differently")
		}
	})
}
