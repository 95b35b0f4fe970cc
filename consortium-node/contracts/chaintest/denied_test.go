package chaintest

import (
	"errors"
	"runtime"
	"testing"

	"github.com/almoner/almoner/consortium-node/contracts"
	"github.com/almoner/almoner/policies"
)

// TestWantDenied: WantDenied accepts the denial it describes and fails on
// another subject, action, object or organisation, on an error that is not
// a denial, and on a denial whose message does not name what it denies.
func TestWantDenied(t *testing.T) {
	denial := &contracts.DeniedError{Request: policies.Request{Sub: "acme/clerk", Dom: "acme", Obj: "record",
		Act: "read", Org: "stmarys"}}
	for _, tc := range []struct {
		name               string
		err                error
		sub, act, obj, org string
		failed             bool
	}{
		{"the denial", denial, "acme/clerk", "read", "record", "stmarys", false},
		{"another subject", denial, "acme/admin", "read", "record", "stmarys", true},
		{"another action", denial, "acme/clerk", "erase", "record", "stmarys", true},
		{"another object", denial, "acme/clerk", "read", "consent", "stmarys", true},
		{"another organisation", denial, "acme/clerk", "read", "record", "acme", true},
		{"not a denial", errors.New("policy denies acme/clerk"), "acme/clerk", "read", "record", "stmarys", true},
		{"a bare ErrDenied", contracts.ErrDenied, "acme/clerk", "read", "record", "stmarys", true},
	} {
		if got := fails(t, func(r testing.TB) { WantDenied(r, tc.err, tc.sub, tc.act, tc.obj, tc.org) }); got != tc.failed {
			t.Errorf("%s: failed %v, want %v", tc.name, got, tc.failed)
		}
	}
	if !fails(t, func(r testing.TB) {
		WantRefusal(r, denial.Error(), "acme/clerk", "read", "record", "stmarys", "consent")
	}) {
		t.Error("WantRefusal accepted a message that does not say what more names")
	}
}

// fails runs check with a TB that records a failure (and stops check, as
// t.Fatal does), and reports whether check failed.
func fails(t *testing.T, check func(testing.TB)) bool {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		check(r)
	}()
	<-done
	return r.failed
}

type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(string, ...any) {
	r.failed = true
	runtime.Goexit()
}
