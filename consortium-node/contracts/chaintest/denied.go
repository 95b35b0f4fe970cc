package chaintest

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/almoner/almoner/consortium-node/contracts"
)

// WantDenied fails t unless err is a policy denial (a contracts.DeniedError)
// of sub doing act on obj held by org ("" for none), whose message names
// all of them.
func WantDenied(t testing.TB, err error, sub, act, obj, org string) {
	t.Helper()
	var d *contracts.DeniedError
	if !errors.Is(err, contracts.ErrDenied) || !errors.As(err, &d) {
		t.Fatalf("got %v, want a policy denial", err)
	}
	if d.Request.Sub != sub || d.Request.Act != act || d.Request.Obj != obj || d.Request.Org != org {
		t.Fatalf("denial of %+v, want %s %q on %s held by %s", d.Request, sub, act, obj, org)
	}
	WantRefusal(t, err.Error(), sub, act, obj, org)
}

// WantRefusal fails t unless msg, a denial's message however it was
// recorded (an error, an access's refusal), names sub, act on obj, the
// holding org (unless it is "") and each of more.
func WantRefusal(t testing.TB, msg, sub, act, obj, org string, more ...string) {
	t.Helper()
	want := append([]string{"policy denies " + sub, fmt.Sprintf("%q on %s", act, obj)}, more...)
	if org != "" {
		want = append(want, "held by "+org)
	}
	for _, s := range want {
		if !strings.Contains(msg, s) {
			t.Fatalf("%q does not say %q", msg, s)
		}
	}
}
