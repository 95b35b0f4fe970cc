package keystore

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

func TestParseRef(t *testing.T) {
	tests := []struct {
		ref     string
		id      string
		version uint32
		ok      bool
	}{
		{"node-sign", "node-sign", 0, true},
		{"node-sign@v1", "node-sign", 1, true},
		{"abe.stmarys@v42", "abe.stmarys", 42, true},
		{"a@v4294967295", "a", 4294967295, true},
		{"a@v4294967296", "", 0, false},
		{"a@v0", "", 0, false},
		{"a@v01", "", 0, false},
		{"a@v", "", 0, false},
		{"a@v-1", "", 0, false},
		{"a@x1", "", 0, false},
		{"@v1", "", 0, false},
		{"", "", 0, false},
		{"../etc@v1", "", 0, false},
		{"A", "", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			id, v, err := ParseRef(tt.ref)
			if tt.ok != (err == nil) || id != tt.id || v != tt.version {
				t.Fatalf("ParseRef = %q, %d, %v; want %q, %d, ok=%v", id, v, err, tt.id, tt.version, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrInvalid) {
				t.Fatalf("ParseRef error %v is not ErrInvalid", err)
			}
			if tt.ok && tt.version != 0 && Ref(id, v) != tt.ref {
				t.Fatalf("Ref(%q, %d) = %q", id, v, Ref(id, v))
			}
		})
	}
}

func get(t *testing.T, s *Store, ref string, p Protector) []byte {
	t.Helper()
	sec, err := s.Get(ref, p)
	if err != nil {
		t.Fatalf("Get(%s): %v", ref, err)
	}
	return bytes.Clone(sec.Bytes())
}

func TestStoreLifecycle(t *testing.T) {
	s := mustStore(t)
	pw := Passphrase([]byte("old passphrase"))
	v1, v2, v3 := seq(0x01, 32), seq(0x21, 32), seq(0x41, 32)

	if err := s.Put("node-sign", v1, pw); err != nil {
		t.Fatal(err)
	}
	if err := s.Put("node-sign", v2, pw); !errors.Is(err, ErrExists) {
		t.Fatalf("second Put = %v, want ErrExists", err)
	}
	if got := get(t, s, "node-sign", pw); !bytes.Equal(got, v1) {
		t.Fatalf("Get = %x, want v1", got)
	}

	// Key rotation: v2 becomes current, v1 stays readable as node-sign@v1.
	e, err := s.Rotate("node-sign", v2, pw)
	if err != nil {
		t.Fatal(err)
	}
	if e.Version != 2 || !e.Current || e.Ref() != "node-sign@v2" {
		t.Fatalf("Rotate returned %+v", e)
	}
	if _, err := s.Rotate("node-sign", v3, Passphrase([]byte("wrong"))); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("Rotate with wrong passphrase = %v, want ErrWrongPassphrase", err)
	}
	for ref, want := range map[string][]byte{"node-sign": v2, "node-sign@v2": v2, "node-sign@v1": v1} {
		if got := get(t, s, ref, pw); !bytes.Equal(got, want) {
			t.Fatalf("Get(%s) = %x, want %x", ref, got, want)
		}
	}
	if _, err := s.Get("node-sign@v3", pw); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get(@v3) = %v, want ErrNotFound", err)
	}
	if _, err := s.Get("missing", pw); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get(missing) = %v, want ErrNotFound", err)
	}
	if _, err := s.Rotate("missing", v3, pw); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Rotate(missing) = %v, want ErrNotFound", err)
	}

	// Change the passphrase for all versions.
	newPw := Passphrase([]byte("new passphrase"))
	if err := s.Rewrap("node-sign", pw, newPw); err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"node-sign@v1", "node-sign@v2"} {
		if _, err := s.Get(ref, pw); !errors.Is(err, ErrWrongPassphrase) {
			t.Fatalf("Get(%s) with the old passphrase = %v, want ErrWrongPassphrase", ref, err)
		}
	}
	if got := get(t, s, "node-sign@v1", newPw); !bytes.Equal(got, v1) {
		t.Fatalf("v1 after Rewrap = %x", got)
	}
	if err := s.Rewrap("node-sign", Passphrase([]byte("neither")), newPw); err != nil {
		t.Fatalf("Rewrap to the protector already in place: %v", err)
	}
	if err := s.Rewrap("node-sign", Passphrase([]byte("neither")), Passphrase([]byte("nor"))); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("Rewrap with a wrong old passphrase = %v, want ErrWrongPassphrase", err)
	}

	// Move to an organisation key, then rotate under it.
	org := mustOrgKey(t, "stmarys-2026", 0x10)
	if err := s.Rewrap("node-sign", newPw, org); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get("node-sign", newPw); !errors.Is(err, ErrWrongProtector) {
		t.Fatalf("Get with passphrase after move to org key = %v, want ErrWrongProtector", err)
	}
	if _, err := s.Rotate("node-sign", v3, org); err != nil {
		t.Fatal(err)
	}
	if got := get(t, s, "node-sign", org); !bytes.Equal(got, v3) {
		t.Fatalf("current after second rotation = %x", got)
	}

	if err := s.Put("abe.stmarys", seq(0x61, 100), pw); err != nil {
		t.Fatal(err)
	}
	list, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range list {
		got = append(got, fmt.Sprintf("%s current=%v %s %s", e.Ref(), e.Current, e.Protection, e.OrgKeyID))
	}
	want := []string{
		"abe.stmarys@v1 current=true passphrase ",
		"node-sign@v1 current=false org-key stmarys-2026",
		"node-sign@v2 current=false org-key stmarys-2026",
		"node-sign@v3 current=true org-key stmarys-2026",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("List =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// Delete: an old version alone, not the current one alone, then the id.
	if err := s.Delete("node-sign@v3"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Delete(current) = %v, want ErrInvalid", err)
	}
	if err := s.Delete("node-sign@v1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get("node-sign@v1", org); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get(deleted) = %v, want ErrNotFound", err)
	}
	if err := s.Delete("node-sign"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete("node-sign"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Delete(deleted) = %v, want ErrNotFound", err)
	}
	if list, _ := s.List(); len(list) != 1 {
		t.Fatalf("List after delete = %+v", list)
	}

	// Files: 0600, no temporaries left behind.
	des, err := os.ReadDir(s.Dir())
	if err != nil {
		t.Fatal(err)
	}
	for _, de := range des {
		fi, err := de.Info()
		if err != nil {
			t.Fatal(err)
		}
		if checkPerms() && fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %04o", de.Name(), fi.Mode().Perm())
		}
		if strings.HasPrefix(de.Name(), ".") {
			t.Errorf("temporary file left behind: %s", de.Name())
		}
	}
}

// TestRewrapResume simulates a Rewrap interrupted after its first file.
func TestRewrapResume(t *testing.T) {
	s := mustStore(t)
	oldPw, newPw := Passphrase([]byte("old")), Passphrase([]byte("new"))
	if err := s.Put("k", seq(1, 32), oldPw); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if _, err := s.Rotate("k", seq(byte(i+2), 32), oldPw); err != nil {
			t.Fatal(err)
		}
	}
	e, err := Seal(s.opts, newPw, "k", 1, seq(1, 32))
	if err != nil {
		t.Fatal(err)
	}
	if err := writeFile(s.Dir(), "k@v1.key", e, true); err != nil {
		t.Fatal(err)
	}
	if err := s.Rewrap("k", oldPw, newPw); err != nil {
		t.Fatalf("resumed Rewrap: %v", err)
	}
	for v := uint32(1); v <= 3; v++ {
		if got := get(t, s, Ref("k", v), newPw); !bytes.Equal(got, seq(byte(v), 32)) {
			t.Fatalf("k@v%d = %x", v, got)
		}
	}
}

func TestStoreIntegrity(t *testing.T) {
	s := mustStore(t)
	pw := Passphrase([]byte("pw"))
	if err := s.Put("alpha", seq(1, 32), pw); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(s.Dir(), "alpha@v1.key"))
	if err != nil {
		t.Fatal(err)
	}
	// A file copied under another id does not open.
	if err := os.WriteFile(filepath.Join(s.Dir(), "beta@v1.key"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get("beta", pw); !errors.Is(err, ErrIntegrity) {
		t.Fatalf("Get(copied file) = %v, want ErrIntegrity", err)
	}
	if _, err := s.List(); !errors.Is(err, ErrIntegrity) {
		t.Fatalf("List with a copied file = %v, want ErrIntegrity", err)
	}
	os.Remove(filepath.Join(s.Dir(), "beta@v1.key"))
	// A corrupt file is an integrity failure, not a wrong passphrase.
	b[len(b)-3] ^= 1
	if err := os.WriteFile(filepath.Join(s.Dir(), "alpha@v1.key"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get("alpha", pw); !errors.Is(err, ErrIntegrity) {
		t.Fatalf("Get(corrupt) = %v, want ErrIntegrity", err)
	}
	// Strays and temporaries are ignored.
	for _, name := range []string{".alpha@v2.key.tmp-123", "alpha@v02.key", "alpha.key", "notes.txt", "Alpha@v3.key"} {
		if err := os.WriteFile(filepath.Join(s.Dir(), name), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if list, err := s.List(); err != nil || len(list) != 1 || list[0].Ref() != "alpha@v1" {
		t.Fatalf("List = %+v, %v", list, err)
	}
}

func TestStorePermissions(t *testing.T) {
	if !checkPerms() {
		t.Skip("no Unix permissions")
	}
	s := mustStore(t)
	pw := Passphrase([]byte("pw"))
	if err := s.Put("k", seq(1, 32), pw); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(s.Dir(), "k@v1.key")
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get("k", pw); !errors.Is(err, ErrPermissions) {
		t.Fatalf("Get(0644 file) = %v, want ErrPermissions", err)
	}
	dir := filepath.Join(t.TempDir(), "open")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir, testOptions()); !errors.Is(err, ErrPermissions) {
		t.Fatalf("Open(0777 dir) = %v, want ErrPermissions", err)
	}
	if _, err := Open(t.TempDir(), Options{KDF: weakKDF}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Open with weak KDF = %v, want ErrInvalid", err)
	}
}

// TestConcurrent rotates and reads from several goroutines (run with -race)
// and checks that versions are dense and every read sees a whole entry.
func TestConcurrent(t *testing.T) {
	s := mustStore(t)
	pw := Passphrase([]byte("pw"))
	if err := s.Put("k", seq(0, 32), pw); err != nil {
		t.Fatal(err)
	}
	// A second Store on the same directory races with the first.
	s2, err := Open(s.Dir(), testOptions())
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 8 {
		st := s
		if i%2 == 1 {
			st = s2
		}
		wg.Go(func() {
			for j := range 3 {
				if _, err := st.Rotate("k", seq(byte(i*3+j), 32), pw); err != nil && !errors.Is(err, ErrExists) {
					errs <- err
				}
				if _, err := st.Get("k", pw); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	list, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range list {
		if e.Version != uint32(i+1) {
			t.Fatalf("versions are not dense: %+v", list)
		}
	}
}
