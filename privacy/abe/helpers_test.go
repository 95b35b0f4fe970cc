package abe

import (
	"flag"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"

	"github.com/almoner/almoner/privacy/internal/testfmt"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// detRand is a deterministic randomness source for reproducible fixtures.
func detRand(seed byte) *rand.ChaCha8 {
	var s [32]byte
	s[0] = seed
	return rand.NewChaCha8(s)
}

// fixtures are built once: tkn20 setup and key generation take tens of
// milliseconds, many times that under -race.
type fixture struct {
	stmarys, other *Authority
}

var fixtures = sync.OnceValues(func() (*fixture, error) {
	a, err := Setup(detRand(1))
	if err != nil {
		return nil, err
	}
	b, err := Setup(detRand(2))
	if err != nil {
		return nil, err
	}
	return &fixture{stmarys: a, other: b}, nil
})

func mustFixture(t testing.TB) *fixture {
	t.Helper()
	f, err := fixtures()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func mustKey(t testing.TB, a *Authority, attrs map[string]string) *AttributeKey {
	t.Helper()
	k, err := a.IssueKey(nil, attrs)
	if err != nil {
		t.Fatalf("IssueKey(%v): %v", attrs, err)
	}
	return k
}

// physicianWrap is a St Mary's physician's key, and data key seq(0x40)
// wrapped by St Mary's under policy for rec at ver.
func physicianWrap(t testing.TB, policy string) (k *AttributeKey, dk, w []byte) {
	t.Helper()
	f := mustFixture(t)
	dk = seq(0x40, DataKeySize)
	return mustKey(t, f.stmarys, physician), dk, mustWrap(t, f.stmarys.Public(), policy, dk, rec, ver)
}

func mustWrap(t testing.TB, pub *PublicParams, policy string, dk []byte, rec string, ver uint64) []byte {
	t.Helper()
	w, err := WrapKey(nil, pub, policy, dk, rec, ver)
	if err != nil {
		t.Fatalf("WrapKey(%q): %v", policy, err)
	}
	return w
}

func goldenPath(name string) string { return filepath.Join("testdata", name) }

func writeHex(t *testing.T, name string, b []byte) { testfmt.WriteHex(t, goldenPath(name), b) }

func readHex(t *testing.T, name string) []byte { return testfmt.ReadHex(t, goldenPath(name)) }

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	testfmt.Golden(t, goldenPath(name), got, *update)
}

// seq returns the n bytes start, start+1, ... (mod 256).
func seq(start byte, n int) []byte { return testfmt.Seq(start, n) }
