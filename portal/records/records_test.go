package records

import (
	"errors"
	"testing"

	"github.com/almoner/almoner/consortium-node/ledger"
)

// TestCheck: a released record is trusted only when it is the record,
// version and ciphertext the ledger registered.
func TestCheck(t *testing.T) {
	h := ledger.Hash{1, 2, 3}
	o := &Opened{RecordID: "rec-1", Version: 2, CiphertextHash: h, Plaintext: []byte("{}")}
	if err := o.Check("rec-1", 2, h.String()); err != nil {
		t.Fatalf("the ledger's record: %v", err)
	}
	for name, c := range map[string]struct {
		id   string
		v    uint64
		hash string
	}{
		"another record":     {"rec-2", 2, h.String()},
		"another version":    {"rec-1", 1, h.String()},
		"another ciphertext": {"rec-1", 2, ledger.Hash{9}.String()},
		"no hash":            {"rec-1", 2, ""},
	} {
		if err := o.Check(c.id, c.v, c.hash); !errors.Is(err, ErrNotLedgers) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
