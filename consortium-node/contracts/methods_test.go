package contracts

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/privacy/sign"
)

// TestMethodsCall: a call runs its own method's function (RunMethod told
// the method's name), and an unknown method is ErrUnknownMethod naming the
// contract and method and listing the table in declaration order.
func TestMethodsCall(t *testing.T) {
	var ran []string
	run := func(name string) func(Context, tx.Args) error {
		return func(Context, tx.Args) error { ran = append(ran, name); return nil }
	}
	both := func(_ Context, method string, _ tx.Args) error { ran = append(ran, "both:"+method); return nil }
	ms := Methods{
		{Name: "zeta", Run: run("zeta")},
		{Name: "open", RunMethod: both},
		{Name: "alpha", Run: run("alpha")},
		{Name: "close", RunMethod: both},
	}
	if err := ms.Check(); err != nil {
		t.Fatal(err)
	}
	if got, want := ms.Names(), []string{"zeta", "open", "alpha", "close"}; !slices.Equal(got, want) {
		t.Fatalf("Names = %v, want %v", got, want)
	}
	for _, m := range []string{"alpha", "close", "zeta", "open"} {
		if err := ms.Call(nil, "demo", m, nil); err != nil {
			t.Fatalf("%s: %v", m, err)
		}
	}
	if want := []string{"alpha", "both:close", "zeta", "both:open"}; !slices.Equal(ran, want) {
		t.Fatalf("ran %v, want %v", ran, want)
	}

	err := ms.Call(nil, "demo", "Alpha", nil)
	if !errors.Is(err, ErrUnknownMethod) {
		t.Fatalf("unknown method: %v", err)
	}
	if want := "unknown method: demo.Alpha (methods: zeta, open, alpha, close)"; err.Error() != want {
		t.Fatalf("unknown method error %q, want %q", err, want)
	}
	if len(ran) != 4 {
		t.Fatalf("an unknown method ran something: %v", ran)
	}
}

// TestMethodsCheck: the registry refuses a contract whose table is empty,
// has a method with no name, a name twice, or a method with no function or
// two, and names the contract.
func TestMethodsCheck(t *testing.T) {
	run := func(Context, tx.Args) error { return nil }
	runMethod := func(Context, string, tx.Args) error { return nil }
	for _, c := range []struct {
		name string
		ms   Methods
		want string
	}{
		{"empty", Methods{}, "no methods"},
		{"nameless", Methods{{Name: "a", Run: run}, {Run: run}}, "method 1 has no name"},
		{"twice", Methods{{Name: "a", Run: run}, {Name: "b", Run: run}, {Name: "a", RunMethod: runMethod}},
			`method "a" declared twice`},
		{"no function", Methods{{Name: "a"}}, `method "a" must have exactly one of Run and RunMethod`},
		{"two functions", Methods{{Name: "a", Run: run, RunMethod: runMethod}},
			`method "a" must have exactly one of Run and RunMethod`},
	} {
		err := c.ms.Check()
		if err == nil || err.Error() != c.want {
			t.Errorf("%s: Check = %v, want %q", c.name, err, c.want)
		}
		_, err = NewRegistry(noAuth{}, tableContract{"demo", c.ms})
		if err == nil || !strings.Contains(err.Error(), `contract "demo": `+c.want) {
			t.Errorf("%s: NewRegistry = %v, want it to name the contract and %q", c.name, err, c.want)
		}
	}
	if _, err := NewRegistry(noAuth{}, tableContract{"demo", Methods{{Name: "a", Run: run}}}); err != nil {
		t.Fatalf("a good table: %v", err)
	}
}

// tableContract is a contract made of a name and a table.
type tableContract struct {
	name string
	ms   Methods
}

func (c tableContract) Name() string     { return c.name }
func (c tableContract) Methods() Methods { return c.ms }

// noAuth authenticates nobody; NewRegistry only needs one.
type noAuth struct{}

func (noAuth) Authenticate(StateReader, string, sign.PublicKey, time.Time) error {
	return ErrUnauthenticated
}
