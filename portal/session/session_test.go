package session

import (
	"errors"
	"testing"
	"time"
)

var testArgon = Argon2Params{Time: 1, MemoryKiB: 64, Threads: 1}

func TestAccountsSessionsTokens(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	s, err := Open(Config{Argon2: testArgon, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.CreateAccount("hope/donor-sam", "short"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("short password: %v", err)
	}
	if err := s.CreateAccount("hope/donor-sam", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateAccount("hope/donor-sam", "correct horse battery"); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate: %v", err)
	}
	for _, tc := range []struct{ id, pw string }{{"hope/donor-sam", "wrong horse battery"}, {"nobody", "correct horse battery"}} {
		if _, err := s.Authenticate(tc.id, tc.pw); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("%s: %v", tc.id, err)
		}
	}
	if _, err := s.Authenticate("hope/donor-sam", "correct horse battery"); err != nil {
		t.Fatal(err)
	}

	tok, sess, err := s.NewSession("hope/donor-sam")
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.Session(tok)
	if err != nil || p.Account != "hope/donor-sam" || p.CSRF != sess.CSRF || !p.Can(ScopeWrite) {
		t.Fatalf("session %+v %v", p, err)
	}
	now = now.Add(13 * time.Hour)
	if _, err := s.Session(tok); !errors.Is(err, ErrNoSession) {
		t.Fatalf("expired session: %v", err)
	}

	if _, _, err := s.NewToken("hope/donor-sam", "ci", []string{"admin"}, time.Hour); !errors.Is(err, ErrInvalid) {
		t.Fatalf("unknown scope: %v", err)
	}
	secret, tk, err := s.NewToken("hope/donor-sam", "ci", []string{ScopeRead}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	p, err = s.Token(secret)
	if err != nil || p.Can(ScopeWrite) || !p.Can(ScopeRead) || p.TokenID != tk.ID {
		t.Fatalf("token %+v %v", p, err)
	}
	if _, err := s.Token(secret + "x"); !errors.Is(err, ErrNoSession) {
		t.Fatalf("tampered token: %v", err)
	}
	if err := s.RevokeToken("acme/admin", tk.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("revoking another account's token: %v", err)
	}
	if err := s.RevokeToken("hope/donor-sam", tk.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Token(secret); !errors.Is(err, ErrNoSession) {
		t.Fatalf("revoked token: %v", err)
	}
	secret2, _, _ := s.NewToken("hope/donor-sam", "short-lived", []string{ScopeRead}, time.Minute)
	now = now.Add(2 * time.Minute)
	if _, err := s.Token(secret2); !errors.Is(err, ErrNoSession) {
		t.Fatalf("expired token: %v", err)
	}
	if ts, err := s.Tokens("hope/donor-sam"); err != nil || len(ts) != 2 {
		t.Fatalf("tokens %v %v", ts, err)
	}
}

func FuzzParseHash(f *testing.F) {
	h, _ := HashPassword(testArgon, "correct horse battery")
	f.Add(h)
	f.Add("$argon2id$v=19$m=4294967295,t=1,p=1$AAAA$AAAA")
	f.Add("$argon2id$v=19$m=64,t=1,p=255$c2FsdHNhbHQ$a2V5a2V5a2V5a2V5a2V5a2V5")
	f.Fuzz(func(t *testing.T, s string) {
		p, _, _, err := parseHash(s)
		if err == nil && p.check() != nil {
			t.Fatalf("accepted out-of-range parameters %+v", p)
		}
	})
}
