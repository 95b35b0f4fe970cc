package keystore

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoSecretsInErrorsOrLogs drives every failure path it can with a known
// secret, passphrase and organisation key, and scans the formatted errors
// and the log for them in several encodings.
func TestNoSecretsInErrorsOrLogs(t *testing.T) {
	secret := []byte("SECRET-SEED-0123456789abcdefghij")
	passBytes := []byte("hunter2-correct-horse")
	wrongBytes := []byte("hunter3-wrong-horse")
	orgBytes := seq(0xc0, OrgKeySize)
	var logBuf bytes.Buffer
	opts := testOptions()
	opts.Logger = slog.New(slog.NewJSONHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, err := Open(filepath.Join(t.TempDir(), "keys"), opts)
	if err != nil {
		t.Fatal(err)
	}
	pw, wrong := Passphrase(passBytes), Passphrase(wrongBytes)
	org, err := NewOrgKey("org-1", orgBytes)
	if err != nil {
		t.Fatal(err)
	}
	otherOrg := mustOrgKey(t, "org-1", 0x01)

	var errs []error
	try := func(err error) {
		if err == nil {
			t.Fatalf("expected an error")
		}
		errs = append(errs, err)
	}
	if err := s.Put("k", secret, pw); err != nil {
		t.Fatal(err)
	}
	if err := s.Put("o", secret, org); err != nil {
		t.Fatal(err)
	}
	try(s.Put("k", secret, pw))
	_, err = s.Get("k", wrong)
	try(err)
	_, err = s.Get("k", org)
	try(err)
	_, err = s.Get("o", otherOrg)
	try(err)
	_, err = s.Get("o", pw)
	try(err)
	_, err = s.Rotate("k", secret, wrong)
	try(err)
	try(s.Rewrap("k", wrong, Passphrase([]byte("x"))))
	_, err = Seal(Options{KDF: weakKDF}, pw, "k", 1, secret)
	try(err)
	_, err = Seal(opts, pw, "BAD", 1, secret)
	try(err)
	// Corrupt the file and read it.
	path := filepath.Join(s.Dir(), "k@v1.key")
	b, _ := os.ReadFile(path)
	b[len(b)-1] ^= 1
	_ = os.WriteFile(path, b, 0o600)
	_, err = s.Get("k", pw)
	try(err)
	_, err = s.Rotate("k", secret, pw)
	try(err)

	sec, err := s.Get("o", org)
	if err != nil {
		t.Fatal(err)
	}
	type holder struct {
		S  *Secret
		s  Secret
		P  Protector
		p  Protector
		O  *OrgKey
		o  OrgKey
		sv Secret
	}
	h := holder{S: sec, s: *sec, P: pw, p: pw, O: org, o: *org, sv: *sec}

	var outs []string
	for _, err := range errs {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
			outs = append(outs, fmt.Sprintf(verb, err))
		}
	}
	for _, v := range []any{sec, *sec, pw, org, *org, h, &h} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
			outs = append(outs, fmt.Sprintf(verb, v))
		}
	}
	opts.Logger.Info("values", "secret", sec, "pw", pw, "org", org, "holder", h)
	outs = append(outs, logBuf.String())

	var needles []string
	for _, raw := range [][]byte{secret, passBytes, wrongBytes, orgBytes} {
		needles = append(needles,
			string(raw[:12]),
			hex.EncodeToString(raw[:12]),
			base64.StdEncoding.EncodeToString(raw[:12]),
			strings.Trim(fmt.Sprint(raw[:12]), "[]"), // "83 69 67 ..."
		)
	}
	for _, out := range outs {
		for _, n := range needles {
			if strings.Contains(out, n) {
				t.Fatalf("output leaks %q:\n%s", n, out)
			}
		}
	}
	if !strings.Contains(logBuf.String(), `"keystore.id":"k"`) {
		t.Fatalf("log lacks the entry id:\n%s", logBuf.String())
	}
}
