package contracts

import (
	"errors"
	"strings"
	"testing"

	"github.com/almoner/almoner/consortium-node/tx"
)

func TestArgReader(t *testing.T) {
	args := tx.Args{tx.String("id", "c-1"), tx.Uint("amount", 7), tx.Strings("roles", []string{"a", "b"})}
	in := ArgReader{Args: args}
	if id, amount, roles := in.String("id"), in.Uint("amount"), in.Strings("roles"); in.Err != nil || id != "c-1" || amount != 7 || len(roles) != 2 {
		t.Fatalf("read %q %d %v, %v", id, amount, roles, in.Err)
	}

	// The first failure is kept; later reads, good or bad, give zero values.
	in = ArgReader{Args: args}
	got := in.String("id")
	missing := in.String("reason")
	wrongType := in.Bytes("amount")
	after := in.Uint("amount")
	if got != "c-1" || missing != "" || wrongType != nil || after != 0 {
		t.Fatalf("after a failure: %q %q %v %d", got, missing, wrongType, after)
	}
	if !errors.Is(in.Err, ErrInvalid) || !strings.Contains(in.Err.Error(), "reason") {
		t.Fatalf("Err = %v, want ErrInvalid naming the missing argument", in.Err)
	}
	_, direct := args.String("reason")
	if in.Err.Error() != InvalidArg(direct).Error() {
		t.Fatalf("Err = %q, want what InvalidArg makes: %q", in.Err, InvalidArg(direct))
	}
}

type mapState map[string][]byte

func (m mapState) Get(k string) ([]byte, bool) { b, ok := m[k]; return b, ok }

func TestLoadAs(t *testing.T) {
	r := mapState{"bad": {0xff}}
	if _, err := LoadAs[struct{ A int }](r, "none", `proposal "p-1"`, "governance"); !errors.Is(err, ErrNotFound) ||
		err.Error() != ErrNotFound.Error()+`: proposal "p-1"` {
		t.Errorf("missing: %v", err)
	}
	if _, err := LoadAs[struct{ A int }](r, "bad", `proposal "p-1"`, "governance"); err == nil ||
		!strings.HasPrefix(err.Error(), `governance: corrupt proposal "p-1": `) {
		t.Errorf("corrupt: %v", err)
	}
}
