package node

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/almoner/almoner/consortium-node/internal/privatestore"
)

// TestCodeTables: every error a relay or replication peer refuses with travels as its code and is the same error
// again on the other side; the first matching entry wins; anything else is the internal code there and
// ErrUnavailable here, with the peer's words kept.
func TestCodeTables(t *testing.T) {
	for name, tab := range map[string]codeTable{"relay": relayCodes, "replica": replicaCodes} {
		for _, e := range tab.entries {
			for _, sent := range e.errs {
				err := fmt.Errorf("serving: %w", sent)
				if got := tab.code(err); got != e.code {
					t.Errorf("%s: %v travels as %q, want %q", name, err, got, e.code)
				}
				back, want := tab.err(e.code, "peer said no"), e.back
				if want == nil {
					want = tab.otherErr
				}
				if !errors.Is(back, want) || !strings.HasSuffix(back.Error(), ": peer said no") {
					t.Errorf("%s: code %q comes back as %v, want %v with the peer's words", name, e.code, back, want)
				}
			}
		}
		if got := tab.code(errors.New("disk on fire")); got != tab.other {
			t.Errorf("%s: an unlisted error travels as %q, want %q", name, got, tab.other)
		}
		for _, code := range []string{tab.other, "", "no-such-code"} {
			if err := tab.err(code, "x"); !errors.Is(err, ErrUnavailable) {
				t.Errorf("%s: code %q comes back as %v, want ErrUnavailable", name, code, err)
			}
		}
	}
	// Both an invalid request and a missing record: the first entry (invalid) wins.
	if got := relayCodes.code(errors.Join(ErrNotFound, ErrInvalid)); got != relayInvalid {
		t.Errorf("an invalid request for a missing record travels as %q, want %q", got, relayInvalid)
	}
	if got := replicaCodes.code(fmt.Errorf("%w: %w", privatestore.ErrNotFound, ErrForbidden)); got != replicaForbidden {
		t.Errorf("a forbidden copy of a missing record travels as %q, want %q", got, replicaForbidden)
	}
}
