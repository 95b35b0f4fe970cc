package integrity_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/almoner/almoner/privacy/integrity"
)

func TestNew(t *testing.T) {
	a := integrity.New("store: corrupt data")
	b := integrity.New("store: corrupt data")
	if a.Error() != "store: corrupt data" {
		t.Fatalf("text %q", a.Error())
	}
	if !errors.Is(a, integrity.ErrFailed) {
		t.Fatal("a package sentinel is not the marker")
	}
	if errors.Is(a, b) || errors.Is(b, a) {
		t.Fatal("two sentinels are the same error")
	}
	wrapped := fmt.Errorf("reading block 7: %w", fmt.Errorf("%w: bad checksum", a))
	if !errors.Is(wrapped, a) || !errors.Is(wrapped, integrity.ErrFailed) {
		t.Fatal("a wrapped sentinel lost its identity or the marker")
	}
	if errors.Is(errors.New("store: corrupt data"), integrity.ErrFailed) {
		t.Fatal("an unmarked error is the marker")
	}
}
