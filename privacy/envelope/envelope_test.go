package envelope

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// assertNoSecrets fails if s contains any secret, raw, in hex (either case)
// or as Go's decimal byte-slice formatting.
func assertNoSecrets(t *testing.T, s string, secrets ...[]byte) {
	t.Helper()
	for _, sec := range secrets {
		if len(sec) < 4 {
			continue
		}
		forms := []string{string(sec), hex.EncodeToString(sec), strings.ToUpper(hex.EncodeToString(sec)),
			strings.Trim(fmt.Sprint(sec[:8]), "[]"), fmt.Sprintf("%#v", sec[:4])[8:]}
		for _, f := range forms {
			if strings.Contains(s, f) {
				t.Fatalf("secret leaked (%q) in %q", f, s)
			}
		}
	}
}

// TestKeysRedacted: a data key and a reader key, however printed, logged
// or encoded, show no key material and say they are redacted.
func TestKeysRedacted(t *testing.T) {
	raw := bytes.Repeat([]byte{0xAB, 0xCD}, 16)
	dk, err := DataKeyFromBytes(raw)
	if err != nil {
		t.Fatal(err)
	}
	rk, err := NewReaderKey(raw)
	if err != nil {
		t.Fatal(err)
	}
	for name, outs := range map[string][]string{"DataKey": printed(dk), "ReaderKey": printed(rk)} {
		t.Run(name, func(t *testing.T) {
			for _, s := range outs {
				assertNoSecrets(t, s, raw)
				if strings.Contains(s, "171") || strings.Contains(strings.ToLower(s), "abcd") {
					t.Fatalf("key material leaked: %s", s)
				}
			}
			if !strings.Contains(outs[0], "redacted") {
				t.Fatalf("unexpected form %v", outs[0])
			}
		})
	}
}

// printed is every way a key k (and the key value *k) reaches a message,
// a log or JSON: fmt's verbs, inside slices and structs, slog's handlers.
func printed[K any](k *K) []string {
	var logBuf bytes.Buffer
	// No timestamps: their digits could match the key's bytes ("171").
	noTime := &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}
	slog.New(slog.NewJSONHandler(&logBuf, noTime)).Info("key", "k", k, "val", *k)
	slog.New(slog.NewTextHandler(&logBuf, noTime)).Info("key", "k", k)
	js, _ := json.Marshal(k)
	p, v := any(k), any(*k) // as a caller holds them: fmt sees the key's own type
	return []string{
		fmt.Sprint(p), fmt.Sprint(v),
		fmt.Sprintf("%v %+v %#v %s %x %X %d %q", p, p, p, p, p, p, p, p),
		fmt.Sprintf("%v %+v %#v %s %x %X %d %q", v, v, v, v, v, v, v, v),
		fmt.Sprintf("%v", []any{k, *k, struct{ K *K }{k}, struct{ K K }{*k}}),
		fmt.Sprintf("%+v %#v", struct{ K K }{*k}, struct{ K *K }{k}),
		logBuf.String(), string(js),
	}
}

func TestDataKeyLifecycle(t *testing.T) {
	if _, err := NewDataKey(bytes.NewReader(make([]byte, 31))); err == nil {
		t.Fatal("short randomness accepted")
	}
	dk, err := NewDataKey(newSeq(5))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(dk.Bytes(), seq(5, 32)) {
		t.Fatal("NewDataKey did not read its randomness")
	}
	back, err := DataKeyFromBytes(dk.Bytes())
	if err != nil || !back.Equal(dk) {
		t.Fatalf("Bytes round trip: %v", err)
	}
	if mustDataKey(t, 6).Equal(dk) {
		t.Fatal("different keys compare equal")
	}
	for _, n := range []int{0, 16, 33} {
		if _, err := DataKeyFromBytes(make([]byte, n)); !errors.Is(err, ErrBadKey) {
			t.Errorf("%d-byte key: %v", n, err)
		}
	}
	cp := *dk // a copied value shares the key and is destroyed with it
	inner := dk.k
	dk.Destroy()
	dk.Destroy()
	if !dk.Destroyed() || !cp.Destroyed() || dk.Bytes() != nil || dk.Equal(back) {
		t.Fatal("destroyed key still usable")
	}
	if *inner.b != [DataKeySize]byte{} {
		t.Fatal("Destroy did not zeroise the key")
	}
	var nilKey *DataKey
	nilKey.Destroy()
	if _, err := Seal(nil, nilKey, "r", 1, nil); !errors.Is(err, ErrInvalid) {
		t.Fatal(err)
	}
}

func TestReaderKeyLifecycle(t *testing.T) {
	if _, err := NewReaderKey(make([]byte, 31)); !errors.Is(err, ErrBadKey) {
		t.Fatalf("short seed: %v", err)
	}
	rk, err := GenerateReaderKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	back, err := NewReaderKey(rk.Seed())
	if err != nil || !bytes.Equal(back.PublicKey(), rk.PublicKey()) {
		t.Fatalf("seed round trip: %v", err)
	}
	inner := rk.k
	rk.Destroy()
	rk.Destroy()
	if *inner.seed != [ReaderSeedSize]byte{} || rk.Seed() != nil || rk.PublicKey() != nil {
		t.Fatal("Destroy did not wipe the reader key")
	}
	if _, err := Unwrap(rk, "r", nil, "rec", 1); !errors.Is(err, ErrDestroyed) {
		t.Fatalf("Unwrap with destroyed key: %v", err)
	}
}
