package api_test

import (
	"strings"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/internal/testkeys"
)

// TestAuthValueRoundTrip: what AuthValue writes, ParseAuth reads back,
// and the signature verifies over exactly the request it names.
func TestAuthValueRoundTrip(t *testing.T) {
	k := testkeys.Seeded(t, 7)
	at := time.Unix(1_800_000_000, 0)
	v := api.AuthValue("stmarys/admin", k, "GET", "/v1/blocks/3?x=1", at, nil)
	id, unix, sig, err := api.ParseAuth(v)
	if err != nil || id != "stmarys/admin" || unix != at.Unix() {
		t.Fatalf("parse %q: %s %d %v", v, id, unix, err)
	}
	if err := k.Public().Verify(api.RequestSignBytes("GET", "/v1/blocks/3?x=1", unix, nil), sig); err != nil {
		t.Fatalf("the signature: %v", err)
	}
	for _, other := range [][2]string{{"GET", "/v1/blocks/4?x=1"}, {"POST", "/v1/blocks/3?x=1"}, {"GET", "/v1/blocks/3"}} {
		if k.Public().Verify(api.RequestSignBytes(other[0], other[1], unix, nil), sig) == nil {
			t.Fatalf("the signature also covers %v", other)
		}
	}
}

// FuzzParseAuth: no header value crashes the parser; what it accepts has
// an id, a time and a signature, and a malformed value is ErrAuth.
func FuzzParseAuth(f *testing.F) {
	k := testkeys.Seeded(f, 3)
	for _, s := range []string{
		api.AuthValue("stmarys/admin", k, "GET", "/v1/stream", time.Unix(1, 0), nil),
		"Almoner-Ed25519 id=x,t=1,sig=AA", "Almoner-Ed25519 ", "Bearer abc", "Almoner-Ed25519 id=,t=,sig=",
		"Almoner-Ed25519 id=a,t=99999999999999999999,sig=AA", "Almoner-Ed25519 id=a,t=1,sig=!!,x=1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		id, _, sig, err := api.ParseAuth(v)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "api: malformed Authorization header") {
				t.Fatalf("error %v is not ErrAuth", err)
			}
			return
		}
		if id == "" || len(id) > 256 || len(sig) == 0 {
			t.Fatalf("accepted %q: id %q sig %x", v, id, sig)
		}
	})
}
