package session

import (
	"errors"
	"testing"
	"time"
)

var testArgon = Argon2Params{Time: 1, MemoryKiB: 64, Threads: 1}

// openTest opens a store in memory with cfg and the tests' cheap Argon2
// parameters; it closes when the test ends.
func openTest(t *testing.T, cfg Config) *Store {
	t.Helper()
	cfg.Argon2 = testArgon
	s, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestAccountsSessionsTokens(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	s := openTest(t, Config{Now: func() time.Time { return now }})
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

// TestChangePassword: the current password is required, the new one must
// be long enough and new; after the change only the new password signs
// in, every other session of the account has ended (the kept one and other
// accounts' sessions live on), API tokens stay valid, and repeated wrong
// current passwords are throttled.
func TestChangePassword(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	s := openTest(t, Config{Now: func() time.Time { return now }, MaxPasswordFailures: 3})
	const old, pw = "correct horse battery", "staple tractor lantern"
	for _, id := range []string{"stmarys/clerk", "stmarys/dr-lee"} {
		if err := s.CreateAccount(id, old); err != nil {
			t.Fatal(err)
		}
	}
	keep, _, _ := s.NewSession("stmarys/clerk")
	other1, _, _ := s.NewSession("stmarys/clerk")
	other2, _, _ := s.NewSession("stmarys/clerk")
	lee, _, _ := s.NewSession("stmarys/dr-lee")
	secret, _, _ := s.NewToken("stmarys/clerk", "ci", []string{ScopeRead}, time.Hour)
	kp, err := s.Session(keep)
	if err != nil || kp.SessionID == "" || kp.SessionID == keep {
		t.Fatalf("session id %q: %v", kp.SessionID, err)
	}

	for _, tc := range []struct {
		name, current, next string
		want                error
	}{
		{"too short", old, "short", ErrInvalid},
		{"unchanged", old, old, ErrInvalid},
		{"wrong current", "wrong horse battery", pw, ErrBadCredentials},
		{"unknown account", old, pw, ErrBadCredentials},
	} {
		account := "stmarys/clerk"
		if tc.name == "unknown account" {
			account = "stmarys/nobody"
		}
		if _, err := s.ChangePassword(account, tc.current, tc.next, kp.SessionID); !errors.Is(err, tc.want) {
			t.Fatalf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	if _, err := s.Session(other1); err != nil {
		t.Fatalf("a refused change ended a session: %v", err)
	}
	ended, err := s.ChangePassword("stmarys/clerk", old, pw, kp.SessionID)
	if err != nil || ended != 2 {
		t.Fatalf("change: ended %d, %v", ended, err)
	}
	if _, err := s.Authenticate("stmarys/clerk", old); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("old password after the change: %v", err)
	}
	if _, err := s.Authenticate("stmarys/clerk", pw); err != nil {
		t.Fatalf("new password: %v", err)
	}
	for _, tok := range []string{other1, other2} {
		if _, err := s.Session(tok); !errors.Is(err, ErrNoSession) {
			t.Fatalf("another session survived the change: %v", err)
		}
	}
	if _, err := s.Session(keep); err != nil {
		t.Fatalf("the session that changed the password: %v", err)
	}
	if _, err := s.Session(lee); err != nil {
		t.Fatalf("another account's session: %v", err)
	}
	if _, err := s.Token(secret); err != nil {
		t.Fatalf("API token after the change: %v", err)
	}

	// Throttle, per account: after 3 wrong current passwords within the
	// window even the right one waits.
	for i := 0; i < 3; i++ {
		if _, err := s.ChangePassword("stmarys/dr-lee", "wrong horse battery", pw, ""); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("wrong %d: %v", i, err)
		}
	}
	if _, err := s.ChangePassword("stmarys/dr-lee", old, pw, ""); !errors.Is(err, ErrThrottled) {
		t.Fatalf("after 3 wrong passwords: %v", err)
	}
	now = now.Add(16 * time.Minute)
	if ended, err := s.ChangePassword("stmarys/dr-lee", old, pw, ""); err != nil || ended != 1 {
		t.Fatalf("after the window: ended %d, %v", ended, err)
	}
	if _, err := s.Session(lee); !errors.Is(err, ErrNoSession) {
		t.Fatalf("a change with no kept session ends them all: %v", err)
	}
	p1, err1 := GeneratePassword()
	p2, _ := GeneratePassword()
	if err1 != nil || len(p1) < 20 || p1 == p2 {
		t.Fatalf("generated passwords %q %q: %v", p1, p2, err1)
	}
}

// TestLoginBackoff: after 5 wrong passwords an account takes no sign-in,
// right password or not, for a minute, then two, four, ... up to an hour;
// other accounts are unaffected; a success resets the count; an unknown
// account backs off the same way (a lock reveals nothing).
func TestLoginBackoff(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	s := openTest(t, Config{Now: func() time.Time { return now }})
	const pw = "correct horse battery"
	for _, id := range []string{"acme/adjuster", "acme/admin"} {
		if err := s.CreateAccount(id, pw); err != nil {
			t.Fatal(err)
		}
	}
	wrong := func(id string) error {
		_, err := s.Authenticate(id, "not the password")
		return err
	}
	for i := range 5 {
		if err := wrong("acme/adjuster"); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("failure %d: %v", i+1, err)
		}
	}
	var locked *LockedError
	if _, err := s.Authenticate("acme/adjuster", pw); !errors.As(err, &locked) || !locked.Until.Equal(now.Add(time.Minute)) {
		t.Fatalf("the right password during the lock: %v", err)
	}
	if _, err := s.Authenticate("acme/admin", pw); err != nil {
		t.Fatalf("another account is not locked: %v", err)
	}
	tries := 5
	for step := range 8 { // 1, 2, 4, ... 60 minutes
		wait := min(time.Minute<<step, time.Hour)
		now = now.Add(wait - time.Second)
		if err := wrong("acme/adjuster"); !errors.As(err, &locked) {
			t.Fatalf("step %d: still locked a second early: %v", step, err)
		}
		now = now.Add(time.Second)
		if err := wrong("acme/adjuster"); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("step %d: a try after %v: %v", step, wait, err)
		}
		tries++
	}
	t.Logf("%d guesses in the first %v", tries, now.Sub(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)))
	if tries > 15 {
		t.Fatalf("%d guesses", tries)
	}
	now = now.Add(time.Hour)
	if _, err := s.Authenticate("acme/adjuster", pw); err != nil {
		t.Fatalf("the owner after the lock: %v", err)
	}
	if err := wrong("acme/adjuster"); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("the count resets after a success: %v", err)
	}
	for range 5 {
		_ = wrong("nobody/at-all")
	}
	if err := wrong("nobody/at-all"); !errors.As(err, &locked) {
		t.Fatalf("an unknown account does not back off like a real one: %v", err)
	}
}
