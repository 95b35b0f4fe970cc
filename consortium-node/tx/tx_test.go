package tx

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/almoner/almoner/consortium-node/codec"
	"github.com/almoner/almoner/privacy/sign"
)

func testKey(t testing.TB) *sign.PrivateKey {
	k, err := sign.NewKeyFromSeed(sign.Ed25519, bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func sampleBody() Body {
	return Body{
		ChainID: "almoner-dev", Sender: "stmarys/admin", Nonce: 7, Expiry: 100,
		Call: Call{Contract: "identity", Method: "add_member", Args: Args{
			String("id", "stmarys/dr-lee"), Strings("roles", []string{"physician"}),
			Uint("n", 5), Int("d", -3), Bytes("b", []byte{1, 2}), Bool("ok", true),
		}},
	}
}

// goldenSigned pins the signed encoding of sampleBody (Ed25519 is
// deterministic, so the whole encoding is fixed). If it changes, every node
// computes different tx ids: change it only with an envelope version bump.
const goldenSigned = "8286016b616c6d6f6e65722d6465766d73746d617279732f61646d696e07186483686964656e7469" +
	"74796a6164645f6d656d6265728683626964016e73746d617279732f64722d6c65658365726f6c65" +
	"7306816970687973696369616e83616e020583616403228361620442010283626f6b05f583015820" +
	"8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c5840614e0856ff97" +
	"10417faa9204910d3726cd20a72cb38331a30342f2fd717ad0fe21f16382c4365eeeb6fd00d3b0de" +
	"e24b6993138594db0a6cde6c89fc6bff2d08"

const goldenID = "359961a50779c8007d577f1890c132ea32218e17c42035e9e3b53b91b3b832e4"

func TestGoldenEncoding(t *testing.T) {
	s, err := Sign(sampleBody(), testKey(t))
	if err != nil {
		t.Fatal(err)
	}
	enc, err := s.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(enc); got != goldenSigned {
		t.Fatalf("signed encoding changed:\n got %s\nwant %s", got, goldenSigned)
	}
	if got := HashID(enc).String(); got != goldenID {
		t.Fatalf("tx id changed: %s", got)
	}
}

// TestSignEncoded: the bytes are Sign's transaction encoded (the golden encoding); a body that does not validate,
// or whose signed encoding is over MaxTxBytes, gives no bytes and the error Sign gives.
func TestSignEncoded(t *testing.T) {
	enc, err := SignEncoded(sampleBody(), testKey(t))
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(enc); got != goldenSigned {
		t.Fatalf("SignEncoded:\n got %s\nwant %s", got, goldenSigned)
	}
	noChain := sampleBody()
	noChain.ChainID = ""
	big := sampleBody()
	big.Call.Args = Args{Bytes("a", make([]byte, MaxArgBytes-16)), Bytes("b", make([]byte, MaxArgBytes-16)),
		Bytes("c", make([]byte, MaxArgBytes-16))}
	for name, c := range map[string]struct {
		body Body
		want error
	}{"no chain id": {noChain, ErrMalformed}, "over MaxTxBytes": {big, ErrLimit}} {
		enc, err := SignEncoded(c.body, testKey(t))
		if !errors.Is(err, c.want) || enc != nil {
			t.Errorf("%s: %d bytes, %v; want none, %v", name, len(enc), err, c.want)
		}
		if _, serr := Sign(c.body, testKey(t)); serr == nil || serr.Error() != err.Error() {
			t.Errorf("%s: Sign says %v, SignEncoded %v", name, serr, err)
		}
	}
}

func TestRoundTripAndVerify(t *testing.T) {
	s, err := Sign(sampleBody(), testKey(t))
	if err != nil {
		t.Fatal(err)
	}
	enc, _ := s.Encode()
	back, err := Decode(enc)
	if err != nil {
		t.Fatal(err)
	}
	if err := back.Verify(); err != nil {
		t.Fatal(err)
	}
	again, _ := back.Encode()
	if !bytes.Equal(enc, again) {
		t.Fatal("re-encoding differs")
	}
	roles, err := back.Body.Call.Args.Strings("roles")
	if err != nil || len(roles) != 1 || roles[0] != "physician" {
		t.Fatalf("roles: %v %v", roles, err)
	}
	if _, err := back.Body.Call.Args.Uint("id"); !errors.Is(err, ErrArg) {
		t.Fatalf("wrong type accepted: %v", err)
	}
	if _, err := back.Body.Call.Args.String("missing"); !errors.Is(err, ErrArg) {
		t.Fatalf("missing arg: %v", err)
	}
	// Tampering with the body breaks the signature.
	back.Body.Nonce++
	if err := back.Verify(); !errors.Is(err, ErrSignature) {
		t.Fatalf("tampered tx verified: %v", err)
	}
}

func TestDecodeRejects(t *testing.T) {
	s, _ := Sign(sampleBody(), testKey(t))
	enc, _ := s.Encode()

	// Non-canonical: the uint 7 (nonce) written in two bytes (0x18 0x07).
	i := bytes.Index(enc, []byte{0x07, 0x18, 0x64})
	if i < 0 {
		t.Fatal("nonce not found in encoding")
	}
	nc := append(append(append([]byte(nil), enc[:i]...), 0x18, 0x07), enc[i+1:]...)
	if _, err := Decode(nc); !errors.Is(err, ErrNonCanonical) && !errors.Is(err, ErrMalformed) {
		t.Fatalf("non-canonical accepted: %v", err)
	}

	cases := map[string][]byte{
		"empty":      nil,
		"truncated":  enc[:len(enc)-1],
		"trailing":   append(append([]byte(nil), enc...), 0),
		"not array":  {0xa0},
		"too big":    make([]byte, MaxTxBytes+1),
		"indefinite": {0x9f, 0xff},
	}
	for name, b := range cases {
		if _, err := Decode(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestValidate(t *testing.T) {
	k := testKey(t)
	long := strings.Repeat("x", MaxNameLen+1)
	mut := map[string]func(*Body){
		"no chain":       func(b *Body) { b.ChainID = "" },
		"no sender":      func(b *Body) { b.Sender = "" },
		"space sender":   func(b *Body) { b.Sender = "a b" },
		"no expiry":      func(b *Body) { b.Expiry = 0 },
		"long contract":  func(b *Body) { b.Call.Contract = long },
		"no method":      func(b *Body) { b.Call.Method = "" },
		"dup arg":        func(b *Body) { b.Call.Args = Args{String("a", "1"), String("a", "2")} },
		"bad type":       func(b *Body) { b.Call.Args = Args{{Name: "a", Type: 99, Value: []byte{0}}} },
		"type mismatch":  func(b *Body) { b.Call.Args = Args{{Name: "a", Type: TypeUint, Value: []byte{0x60}}} },
		"bad utf8":       func(b *Body) { b.Call.Args = Args{String("a", "\xff")} },
		"too many args":  func(b *Body) { b.Call.Args = make(Args, MaxArgs+1) },
		"huge arg value": func(b *Body) { b.Call.Args = Args{Bytes("a", make([]byte, MaxArgBytes))} },
		"bad version":    func(b *Body) { b.Version = 9 },
	}
	for name, m := range mut {
		b := sampleBody()
		m(&b)
		if _, err := Sign(b, k); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestArgJSON(t *testing.T) {
	in := Args{String("s", "x"), Uint("u", 1<<63), Int("i", -5), Bytes("b", []byte("hi")), Bool("t", true), Strings("l", []string{"a"})}
	j, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out Args
	if err := json.Unmarshal(j, &out); err != nil {
		t.Fatal(err)
	}
	a, _ := codec.Marshal(in)
	b, _ := codec.Marshal(out)
	if !bytes.Equal(a, b) {
		t.Fatalf("JSON round trip changed args: %s", j)
	}
	if err := json.Unmarshal([]byte(`[{"name":"x","type":"float","value":1}]`), &out); err == nil {
		t.Fatal("unknown type accepted")
	}
}

func TestIDText(t *testing.T) {
	id := HashID([]byte("x"))
	back, err := ParseID(id.String())
	if err != nil || back != id {
		t.Fatal(err)
	}
	if _, err := ParseID("abc"); err == nil {
		t.Fatal("short id accepted")
	}
}
