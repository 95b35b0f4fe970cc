package patientgql

import (
	"errors"
	"strings"
	"testing"

	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/graphql/schema"
)

// TestWithNote: a break-glass read whose record was not delivered tells
// the physician what became of the note: delivered, or not with why and
// how to send it again; the code stays the read's, and other errors and
// reads without a note pass unchanged.
func TestWithNote(t *testing.T) {
	read := schema.Errorf(schema.CodeUnavailable, "the custodian's node is unavailable; try again")
	access := tx.ID{0xab}
	got := withNote(read, &noteDelivery{}, access)
	var e *schema.Error
	if !errors.As(got, &e) || e.Code != schema.CodeUnavailable || !strings.HasSuffix(e.Message, "Your note reached the custodian's privacy officer") {
		t.Fatalf("delivered: %v", got)
	}
	got = withNote(read, &noteDelivery{err: schema.Errorf(schema.CodeUnavailable, "unreachable")}, access)
	if !errors.As(got, &e) || !strings.Contains(e.Message, "did not reach the custodian either (unreachable)") ||
		!strings.Contains(e.Message, access.String()) {
		t.Fatalf("not delivered: %v", got)
	}
	if read.Message != "the custodian's node is unavailable; try again" {
		t.Fatalf("the read's error was changed in place: %q", read.Message)
	}
	if got := withNote(read, nil, access); got != error(read) {
		t.Fatalf("no note: %v", got)
	}
	plain := errors.New("x")
	if got := withNote(plain, &noteDelivery{}, access); got != plain {
		t.Fatalf("an uncoded error: %v", got)
	}
}
