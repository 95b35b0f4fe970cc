package privatestore

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/syndtr/goleveldb/leveldb/util"

	"github.com/almoner/almoner/privacy/envelope"
)

// keys lists the store's keys that name record id.
func keys(t *testing.T, s *Store, id string) []string {
	t.Helper()
	it := s.db.NewIterator(util.BytesPrefix([]byte(prefix)), nil)
	defer it.Release()
	var out []string
	for it.Next() {
		if k := string(it.Key()); strings.Contains(k, "/"+id+"/") || strings.HasSuffix(k, "/"+id) {
			out = append(out, k)
		}
	}
	return out
}

func staged(t *testing.T, s *Store) []Staged {
	t.Helper()
	var out []Staged
	if err := s.ListStaged(func(x Staged) bool { out = append(out, x); return true }); err != nil {
		t.Fatal(err)
	}
	return out
}

func opens(t *testing.T, s *Store, id string, v uint64, h [32]byte, want []byte) {
	t.Helper()
	reader, _ := envelope.GenerateReaderKey(nil)
	sealed, wrapped, err := s.Release(id, v, h, "r", reader.PublicKey())
	if err != nil {
		t.Fatalf("releasing %s version %d: %v", id, v, err)
	}
	dk, err := envelope.Unwrap(reader, "r", wrapped, id, v)
	if err != nil {
		t.Fatal(err)
	}
	got, err := envelope.Open(dk, sealed, id, v)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("%s version %d opens to %q, %v; want %q", id, v, got, err, want)
	}
}

// TestStagedUploads: uploads the ledger does not register are staged,
// several per version; the one a registration names becomes the version
// and the others go; a staged upload no registration names is discarded
// without a trace and the id stays free; an erasure destroys staged
// uploads too.
func TestStagedUploads(t *testing.T) {
	s, nk := newStore(t)
	t0 := time.Unix(1_700_000_000, 0)
	seal := func(id string, v uint64, plain string) ([]byte, []byte) { return sealNew(t, nk, id, v, []byte(plain)) }
	// A refused registration's upload, then another upload of version 1.
	sa, wa := seal("rec", 1, "first try")
	ha, err := s.Stage("rec", 1, sa, wa, "stmarys/clerk", t0)
	if err != nil || ha != sha256.Sum256(sa) {
		t.Fatalf("staging: %x %v", ha, err)
	}
	sb, wb := seal("rec", 1, "second try")
	hb, err := s.Stage("rec", 1, sb, wb, "stmarys/dr-lee", t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if got := staged(t, s); len(got) != 2 || !slices.ContainsFunc(got, func(x Staged) bool {
		return x.Hash == hb && x.Uploader == "stmarys/dr-lee" && x.At.Equal(t0.Add(time.Minute)) && x.RecordID == "rec" && x.Version == 1
	}) {
		t.Fatalf("staged: %+v", got)
	}
	if ok, _ := s.Has("rec", 1); ok {
		t.Fatal("a staged upload counts as the stored version")
	}
	// A staged upload is released under its hash (a registration applied
	// but not yet promoted); a tampered or misnamed one is refused.
	opens(t, s, "rec", 1, ha, []byte("first try"))
	if _, err := s.Stage("rec", 2, sb, wb, "stmarys/clerk", t0); !errors.Is(err, ErrMismatch) {
		t.Fatalf("staging under another version: %v", err)
	}

	// The ledger registers the second: it becomes version 1, the first goes.
	if held, err := s.Promote("rec", 1, hb); err != nil || !held {
		t.Fatalf("promote: %v %v", held, err)
	}
	if got := staged(t, s); len(got) != 0 {
		t.Fatalf("staged after the promotion: %+v", got)
	}
	if got := keys(t, s, "rec"); strings.Join(got, ",") != "p/ct/rec/1,p/dk/rec/1" {
		t.Fatalf("keys after the promotion: %v", got)
	}
	opens(t, s, "rec", 1, hb, []byte("second try"))
	reader, _ := envelope.GenerateReaderKey(nil)
	if _, _, err := s.Release("rec", 1, ha, "r", reader.PublicKey()); !errors.Is(err, ErrMismatch) {
		t.Fatalf("releasing the dropped upload: %v", err)
	}
	if held, err := s.Promote("rec", 1, hb); err != nil || !held {
		t.Fatalf("promoting again: %v %v", held, err)
	}

	// A staged upload no registration names is discarded, and nothing of
	// it stays.
	sc, wc := seal("rec-2", 1, "never registered")
	hc, _ := s.Stage("rec-2", 1, sc, wc, "stmarys/clerk", t0)
	if err := s.Discard("rec-2", 1, hc); err != nil {
		t.Fatal(err)
	}
	if got := keys(t, s, "rec-2"); len(got) != 0 {
		t.Fatalf("a discarded upload left %v", got)
	}
	if held, err := s.Promote("rec-2", 1, hc); err != nil || held {
		t.Fatalf("promoting a discarded upload: %v %v", held, err)
	}

	// A version stored unregistered before uploads were staged is
	// replaced by the upload the ledger registers; without one it is
	// removed, so that a copy can take its place.
	sd, wd := seal("old", 1, "left behind")
	if err := s.Put("old", 1, sd, wd); err != nil {
		t.Fatal(err)
	}
	se, we := seal("old", 1, "registered")
	he, _ := s.Stage("old", 1, se, we, "stmarys/clerk", t0)
	if held, err := s.Promote("old", 1, he); err != nil || !held {
		t.Fatalf("promote over a leftover: %v %v", held, err)
	}
	opens(t, s, "old", 1, he, []byte("registered"))
	sf, wf := seal("old-2", 1, "left behind")
	if err := s.Put("old-2", 1, sf, wf); err != nil {
		t.Fatal(err)
	}
	if held, err := s.Promote("old-2", 1, he); err != nil || held {
		t.Fatalf("promote with no staged upload over a leftover: %v %v", held, err)
	}
	if ok, _ := s.Has("old-2", 1); ok {
		t.Fatal("the leftover stayed beside a registration of other content")
	}
	var versions []string
	_ = s.ListVersions(func(id string, v uint64) bool { versions = append(versions, id); return true })
	if strings.Join(versions, ",") != "old,rec" {
		t.Fatalf("stored versions: %v", versions)
	}
	if err := s.Drop("old", 1); err != nil {
		t.Fatal(err)
	}
	if got := keys(t, s, "old"); len(got) != 0 {
		t.Fatalf("a dropped version left %v", got)
	}

	// Erasure destroys staged uploads with the rest.
	sg, wg := seal("rec", 2, "version 2, staged")
	if _, err := s.Stage("rec", 2, sg, wg, "stmarys/clerk", t0); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Erase("rec"); err != nil || n != 2 {
		t.Fatalf("erase: %d %v", n, err)
	}
	if got := keys(t, s, "rec"); strings.Join(got, ",") != "p/erased/rec" {
		t.Fatalf("after the erasure: %v", got)
	}
	if _, err := s.Stage("rec", 2, sg, wg, "stmarys/clerk", t0); !errors.Is(err, ErrErased) {
		t.Fatalf("staging after the erasure: %v", err)
	}
}

// TestPutOverStaged: a registered version that arrives (a copy, a
// catch-up) while another upload of it is staged in its entries takes
// them; the same upload put as registered just stops being staged.
func TestPutOverStaged(t *testing.T) {
	s, nk := newStore(t)
	dk1, _ := envelope.NewDataKey(nil)
	s1, w1 := upload(t, nk, dk1, "rec", 1, []byte("staged"))
	if _, err := s.Stage("rec", 1, s1, w1, "stmarys/clerk", time.Now()); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.Has("rec", 1); ok {
		t.Fatal("a staged upload in the version's entries counts as stored")
	}
	s2, w2 := sealNew(t, nk, "rec", 1, []byte("registered"))
	if err := s.Put("rec", 1, s2, w2); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.Has("rec", 1); !ok || len(staged(t, s)) != 0 {
		t.Fatalf("after the put: stored %v, staged %v", ok, staged(t, s))
	}
	opens(t, s, "rec", 1, sha256.Sum256(s2), []byte("registered"))

	s3, w3 := upload(t, nk, dk1, "rec-2", 1, []byte("staged, then registered"))
	if _, err := s.Stage("rec-2", 1, s3, w3, "stmarys/clerk", time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := s.Put("rec-2", 1, s3, w3); err != nil {
		t.Fatal(err)
	}
	if got := keys(t, s, "rec-2"); strings.Join(got, ",") != "p/ct/rec-2/1,p/dk/rec-2/1" {
		t.Fatalf("keys: %v", got)
	}
}

// TestPromoteWithoutCiphertext: a staged upload whose ciphertext is gone
// (a restore that dropped the private data keeps the metadata) is not
// held after its registration, so that a copy is fetched.
func TestPromoteWithoutCiphertext(t *testing.T) {
	s, nk := newStore(t)
	h := stageNew(t, s, nk, "rec", 1, []byte("staged"))
	for _, k := range [][]byte{ctKey("rec", 1), keyKey("rec", 1)} {
		if err := s.db.Delete(k, nil); err != nil {
			t.Fatal(err)
		}
	}
	if held, err := s.Promote("rec", 1, h); err != nil || held {
		t.Fatalf("promoting an upload whose ciphertext is gone: %v %v", held, err)
	}
	if got := keys(t, s, "rec"); len(got) != 0 {
		t.Fatalf("left %v", got)
	}
}

// TestRekeyStaged: a restore's Rekey rewraps staged uploads too.
func TestRekeyStaged(t *testing.T) {
	s, oldKey := newStore(t)
	h := stageNew(t, s, oldKey, "rec", 1, []byte("staged"))
	h2 := stageNew(t, s, oldKey, "rec", 1, []byte("staged beside"))
	newKey, _ := envelope.GenerateReaderKey(nil)
	if n, err := Rekey(s.db, "node1", oldKey, "node9", newKey.PublicKey()); err != nil || n != 2 {
		t.Fatalf("Rekey: %d %v", n, err)
	}
	restored := New(s.db, "node9", newKey)
	opens(t, restored, "rec", 1, h, []byte("staged"))
	opens(t, restored, "rec", 1, h2, []byte("staged beside"))
}

// FuzzStagedEntry: the decoders of staged upload entries never panic, and
// what they accept re-encodes to the same bytes.
func FuzzStagedEntry(f *testing.F) {
	h := sha256.Sum256([]byte("x"))
	f.Add(stagedMetaKey("rec-1", 1, h), encodeMeta("stmarys/clerk", time.Unix(1, 2), true))
	f.Add([]byte("p/up/rec/1/zz"), []byte{1, 2, 3})
	f.Add([]byte("p/up//1/"), []byte{})
	f.Fuzz(func(t *testing.T, key, meta []byte) {
		if id, v, h, err := parseStagedKey(key, prefix+"up/"); err == nil {
			id2, v2, h2, err := parseStagedKey(stagedMetaKey(id, v, h), prefix+"up/")
			if err != nil || id2 != id || v2 != v || h2 != h {
				t.Fatalf("%q parses to %q %d %x, whose key parses to %q %d %x (%v)", key, id, v, h, id2, v2, h2, err)
			}
		}
		if who, at, inMain, err := decodeMeta(meta); err == nil {
			if got := encodeMeta(who, at, inMain); !bytes.Equal(got, meta) {
				t.Fatalf("metadata %x re-encodes to %x", meta, got)
			}
		}
		_ = isStaged(string(key))
	})
}
