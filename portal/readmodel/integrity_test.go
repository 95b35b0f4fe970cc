package readmodel

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/almoner/almoner/privacy/integrity"
)

// TestCorruptRecordIsIntegrityFailure: a stored record with a flipped byte
// that no longer decodes reads as ErrCorrupt, which is the integrity marker
// (integrity.ErrFailed) the follower stops on.
func TestCorruptRecordIsIntegrityFailure(t *testing.T) {
	s := memStore(t)
	b, err := json.Marshal(Member{ID: "stmarys/dr-lee", Org: "stmarys"})
	if err != nil {
		t.Fatal(err)
	}
	key := []byte(memberKey("stmarys/dr-lee"))
	if err := s.db.Put(key, b, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Member("stmarys/dr-lee"); err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, len(b) - 1} { // the braces: every flip there breaks the JSON
		bad := append([]byte(nil), b...)
		bad[i] ^= 0x01
		if err := s.db.Put(key, bad, nil); err != nil {
			t.Fatal(err)
		}
		_, err := s.Member("stmarys/dr-lee")
		if !errors.Is(err, ErrCorrupt) || !errors.Is(err, integrity.ErrFailed) {
			t.Fatalf("byte %d flipped: got %v, want ErrCorrupt, the integrity marker", i, err)
		}
	}
}
