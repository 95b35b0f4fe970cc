package codec

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

type pair struct {
	_ struct{} `cbor:",toarray"`
	A string
	B uint64
}

type named struct {
	Name string `cbor:"name"`
	N    int64  `cbor:"n"`
}

// TestGolden pins the encoding of a few values of each shape Almoner
// encodes. Every signed or hashed value depends on these bytes: a change
// here changes tx ids, state hashes and header hashes on every node.
func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    any
		want string
	}{
		{"uint", uint64(500), "1901f4"},
		{"negative int", int64(-3), "22"},
		{"string", "stmarys/dr-lee", "6e73746d617279732f64722d6c6565"},
		{"bytes", []byte{1, 2}, "420102"},
		{"empty bytes", []byte{}, "40"},
		{"bool", true, "f5"},
		{"strings", []string{"b", "a"}, "8261626161"},
		{"array struct", pair{A: "x", B: 1 << 40}, "8261781b0000010000000000"},
		{"map struct, keys sorted by length then bytes", named{Name: "a", N: 2}, "a2616e02646e616d656161"},
		{"map, sorted keys", map[string]uint64{"bb": 1, "a": 2, "c": 3}, "a361610261630362626201"},
		{"fixed array as bytes", [4]byte{9, 8, 7, 6}, "4409080706"},
		{"nil slice", []string(nil), "f6"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := Marshal(tc.v)
			if err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(b); got != tc.want {
				t.Fatalf("encoding changed:\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	in := named{Name: "hope", N: -7}
	b, err := Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []Use{State, Ledger, Peer, API} {
		var out named
		if err := u.Unmarshal(b, &out); err != nil || out != in {
			t.Fatalf("%s: %+v, %v", u, out, err)
		}
	}
}

// TestStrict checks that every decoder refuses what is not the one
// canonical encoding of the value, whatever its limits.
func TestStrict(t *testing.T) {
	for _, tc := range []struct {
		name string
		hex  string
		want error
	}{
		{"non-minimal integer", "a2616e1802646e616d656161", ErrNonCanonical},
		{"keys out of order", "a2646e616d656161616e02", ErrNonCanonical},
		{"duplicate key", "a2616e02616e03", ErrMalformed},
		{"unknown field", "a2616e02617a01", ErrMalformed},
		{"indefinite length map", "bf616e02ff", ErrMalformed},
		{"tag", "c1a1616e02", ErrMalformed},
		{"trailing bytes", "a1616e0200", ErrMalformed},
		{"truncated", "a2616e02646e616d", ErrMalformed},
		{"empty", "", ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, err := hex.DecodeString(tc.hex)
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range []Use{State, Ledger, Peer, API} {
				var v named
				if err := u.Unmarshal(data, &v); !errors.Is(err, tc.want) {
					t.Fatalf("%s: got %v, want %v", u, err, tc.want)
				}
				// Without the canonical check: the non-canonical forms
				// decode to their value, everything else is refused alike.
				v = named{}
				err := u.UnmarshalNoncanonical(data, &v)
				if tc.want == ErrNonCanonical {
					if err != nil || v != (named{Name: "a", N: 2}) {
						t.Fatalf("%s: UnmarshalNoncanonical gave %+v, %v; want {a 2}", u, v, err)
					}
				} else if !errors.Is(err, tc.want) {
					t.Fatalf("%s: UnmarshalNoncanonical: got %v, want %v", u, err, tc.want)
				}
			}
		})
	}
}

// TestLimitsPerUse checks that each use applies its own limits: an array
// over a transaction-sized limit decodes as a ledger value but not as a
// state value, and every use refuses input over its byte limit.
func TestLimitsPerUse(t *testing.T) {
	big := make([]uint16, State.Limits().MaxArrayElements+1)
	b, err := Marshal(big)
	if err != nil {
		t.Fatal(err)
	}
	var out []uint16
	if err := State.Unmarshal(b, &out); !errors.Is(err, ErrLimit) || !errors.Is(err, ErrMalformed) {
		t.Fatalf("state: %d elements accepted or wrong error: %v", len(big), err)
	}
	if err := State.UnmarshalNoncanonical(b, &out); !errors.Is(err, ErrLimit) {
		t.Fatalf("state, without the canonical check: %d elements accepted or wrong error: %v", len(big), err)
	}
	for _, u := range []Use{Ledger, Peer, API} {
		if err := u.Unmarshal(b, &out); err != nil || len(out) != len(big) {
			t.Fatalf("%s: %v", u, err)
		}
	}

	d, err := NewDecoder(Limits{MaxBytes: 8, MaxNestedLevels: 4, MaxArrayElements: 16, MaxMapPairs: 16})
	if err != nil {
		t.Fatal(err)
	}
	var s string
	long, _ := Marshal("123456789")
	if err := d.Unmarshal(long, &s); !errors.Is(err, ErrLimit) {
		t.Fatalf("over MaxBytes: %v", err)
	}
	deep, _ := Marshal([][][][][]uint16{{{{{1}}}}})
	var dv [][][][][]uint16
	if err := d.Unmarshal(deep, &dv); !errors.Is(err, ErrLimit) {
		t.Fatalf("over MaxNestedLevels: %v", err)
	}
	pairs := map[string]uint8{}
	for i := range 17 {
		pairs[string(rune('a'+i))] = 1
	}
	pb, _ := Marshal(pairs)
	wide, err := NewDecoder(Limits{MaxBytes: 1 << 10, MaxNestedLevels: 4, MaxArrayElements: 16, MaxMapPairs: 16})
	if err != nil {
		t.Fatal(err)
	}
	var pm map[string]uint8
	if err := wide.Unmarshal(pb, &pm); !errors.Is(err, ErrLimit) {
		t.Fatalf("over MaxMapPairs: %v", err)
	}
}

func TestLimitsValidate(t *testing.T) {
	ok := Limits{MaxBytes: 1, MaxNestedLevels: 4, MaxArrayElements: 16, MaxMapPairs: 16}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, l := range map[string]Limits{
		"zero":      {},
		"bytes":     {MaxNestedLevels: 4, MaxArrayElements: 16, MaxMapPairs: 16},
		"shallow":   {MaxBytes: 1, MaxNestedLevels: 3, MaxArrayElements: 16, MaxMapPairs: 16},
		"too deep":  {MaxBytes: 1, MaxNestedLevels: 65536, MaxArrayElements: 16, MaxMapPairs: 16},
		"arrays":    {MaxBytes: 1, MaxNestedLevels: 4, MaxArrayElements: 15, MaxMapPairs: 16},
		"map pairs": {MaxBytes: 1, MaxNestedLevels: 4, MaxArrayElements: 16, MaxMapPairs: 15},
	} {
		if err := l.Validate(); err == nil {
			t.Errorf("%s: %+v accepted", name, l)
		}
		if _, err := NewDecoder(l); err == nil {
			t.Errorf("%s: NewDecoder accepted %+v", name, l)
		}
	}
}

func TestUseString(t *testing.T) {
	if State.String() != "state" || API.String() != "api" || !strings.HasPrefix(Use(0).String(), "use(") {
		t.Fatal(State.String(), API.String(), Use(0).String())
	}
}

// FuzzUnmarshal checks that no input panics a decoder and that whatever
// one accepts re-encodes to exactly the input.
func FuzzUnmarshal(f *testing.F) {
	good, _ := Marshal(named{Name: "a", N: 2})
	f.Add(good)
	f.Add(good[:3])
	f.Add([]byte{0xbf, 0xff})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, u := range []Use{State, Peer} {
			var v named
			if err := u.Unmarshal(data, &v); err != nil {
				continue
			}
			again, err := Marshal(v)
			if err != nil || !bytes.Equal(again, data) {
				t.Fatalf("%s accepted non-canonical %x (re-encodes to %x, %v)", u, data, again, err)
			}
		}
	})
}

// TestMustMarshal: a value that encodes is Marshal's bytes; one that
// cannot (a channel) panics naming the owner and the type.
func TestMustMarshal(t *testing.T) {
	v := struct{ A, B uint64 }{1, 2}
	want, err := Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if got := MustMarshal("test", v); !bytes.Equal(got, want) {
		t.Fatalf("MustMarshal = %x, Marshal = %x", got, want)
	}
	defer func() {
		msg, _ := recover().(string)
		if !strings.HasPrefix(msg, "owner: encoding chan int: ") {
			t.Fatalf("panic %q, want it to name the owner and the type", msg)
		}
	}()
	MustMarshal("owner", make(chan int))
	t.Fatal("MustMarshal of a channel did not panic")
}
