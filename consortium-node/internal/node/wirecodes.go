package node

import (
	"errors"
	"fmt"
)

// codeTable is one peer protocol's error codes (the record relay's, replication's): a refusal travels as the code
// of the first entry whose errors it wraps, and the receiver turns the code back into that entry's error, so that
// the caller sees the error the peer would have returned had it been local. Entries are tried in order.
type codeTable struct {
	entries []codeEntry
	// other is the code of any other error (internal detail stays in the sender's log); otherErr is what an
	// unknown code, or an entry without an error of its own, means to the receiver.
	other    string
	otherErr error
}

type codeEntry struct {
	code string
	// errs are the errors sent as code; back is what code means to its receiver (nil: the table's otherErr).
	errs []error
	back error
}

// code returns the code that err travels as.
func (t codeTable) code(err error) string {
	for _, e := range t.entries {
		for _, target := range e.errs {
			if errors.Is(err, target) {
				return e.code
			}
		}
	}
	return t.other
}

// err turns a peer's coded refusal back into the node's error, with msg (what the peer said) as its detail.
func (t codeTable) err(code, msg string) error {
	back := t.otherErr
	for _, e := range t.entries {
		if e.code == code && e.back != nil {
			back = e.back
			break
		}
	}
	return fmt.Errorf("%w: %s", back, msg)
}
