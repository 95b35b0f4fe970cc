package session

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/opt"
	"github.com/syndtr/goleveldb/leveldb/util"

	"github.com/almoner/almoner/portal/defaults"
	"github.com/almoner/almoner/portal/internal/smalldb"
	"github.com/almoner/almoner/privacy/integrity"
)

// Errors of this package. Callers map them to user-facing codes; the
// messages never contain secrets.
var (
	ErrBadCredentials = errors.New("session: wrong account or password")
	ErrNoSession      = errors.New("session: no such session or token, or it expired or was revoked")
	ErrExists         = errors.New("session: account already exists")
	ErrNotFound       = errors.New("session: not found")
	ErrInvalid        = errors.New("session: invalid argument")
	// ErrCorrupt marks a stored record that does not decode (an integrity
	// failure of the disk, not a caller's mistake); it is
	// integrity.ErrFailed.
	ErrCorrupt = integrity.New("session: corrupt record")
	// ErrThrottled: too many wrong current passwords for an account's
	// password change lately; try again later.
	ErrThrottled = errors.New("session: too many wrong passwords; try again later")
)

// LockedError refuses a sign-in to an account that had too many wrong
// passwords lately, whatever the password given, until Until.
type LockedError struct{ Until time.Time }

func (e *LockedError) Error() string {
	return fmt.Sprintf("session: too many failed sign-ins for this account; try again after %s", e.Until.UTC().Format("15:04:05 UTC"))
}

// Is makes errors.Is(err, ErrThrottled) hold for a lock.
func (e *LockedError) Is(target error) bool { return target == ErrThrottled }

// Scopes of API tokens (sessions have both).
const (
	ScopeRead  = "read"
	ScopeWrite = "write"
)

// Scopes lists the known scopes.
var Scopes = []string{ScopeRead, ScopeWrite}

// Config configures a Store.
type Config struct {
	// Dir is the database folder ("" keeps it in memory, for tests).
	Dir    string
	Argon2 Argon2Params
	// SessionTTL is a browser session's lifetime (default 12h).
	SessionTTL time.Duration
	// MaxTokenTTL bounds an API token's lifetime (default 90 days).
	MaxTokenTTL time.Duration
	// MinPasswordLen (default 12).
	MinPasswordLen int
	// MaxPasswordFailures bounds wrong current passwords given to
	// ChangePassword per account within PasswordFailureWindow (defaults
	// 5 and 15 minutes): a stolen session cannot guess the password at
	// the request rate.
	MaxPasswordFailures   int
	PasswordFailureWindow time.Duration
	// Sign-in backoff per account: after MaxLoginFailures wrong passwords
	// within LoginFailureWindow (defaults 5 and 15 minutes) the account
	// takes no sign-in, right password or not, for LoginBackoff (default
	// 1 minute), doubling with every further failure up to MaxLoginBackoff
	// (default 1 hour). A guesser gets a few dozen tries a day, from any
	// number of addresses; the owner waits at most an hour.
	MaxLoginFailures              int
	LoginFailureWindow            time.Duration
	LoginBackoff, MaxLoginBackoff time.Duration
	Logger                        *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Validate checks the config and fills defaults.
func (c *Config) Validate() error {
	if c.Argon2 == (Argon2Params{}) {
		c.Argon2 = DefaultArgon2
	}
	if err := c.Argon2.check(); err != nil {
		return err
	}
	defaults.Set(&c.SessionTTL, 12*time.Hour)
	defaults.Set(&c.MaxTokenTTL, 90*24*time.Hour)
	defaults.Set(&c.MinPasswordLen, 12)
	defaults.Set(&c.MaxPasswordFailures, 5)
	defaults.Set(&c.PasswordFailureWindow, 15*time.Minute)
	defaults.Set(&c.MaxLoginFailures, 5)
	defaults.Set(&c.LoginFailureWindow, 15*time.Minute)
	defaults.Set(&c.LoginBackoff, time.Minute)
	if c.MaxLoginBackoff < c.LoginBackoff {
		c.MaxLoginBackoff = max(time.Hour, c.LoginBackoff)
	}
	defaults.Logger(&c.Logger)
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

// Account is a portal login acting as a ledger member.
type Account struct {
	ID           string    `json:"id"` // the member id
	PasswordHash string    `json:"password_hash"`
	Created      time.Time `json:"created"`
	// MustChange is set on accounts created by someone else (an admin,
	// portal init): until its owner changes the password, the account
	// may do nothing but that.
	MustChange bool `json:"must_change,omitempty"`
}

// Preferences are an account's portal settings: the notification kinds
// it switched off and the last inbox notice it read. They live in the
// portal (backed up with the accounts), never on the ledger.
type Preferences struct {
	Muted    []string `json:"muted,omitempty"`
	ReadUpTo string   `json:"read_up_to,omitempty"`
}

// Preferences returns an account's settings (the zero value until set).
func (s *Store) Preferences(account string) (*Preferences, error) {
	var p Preferences
	if err := s.get(prefKey(account), &p); err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	return &p, nil
}

// SetPreferences stores an account's settings.
func (s *Store) SetPreferences(account string, p *Preferences) error {
	if !s.HasAccount(account) {
		return fmt.Errorf("%w: account %q", ErrNotFound, account)
	}
	return s.put(prefKey(account), p)
}

// Session is a browser session.
type Session struct {
	Account string    `json:"account"`
	CSRF    string    `json:"csrf"`
	Expires time.Time `json:"expires"`
}

// Token is an API token's record (its secret is never stored).
type Token struct {
	ID      string    `json:"id"`
	Account string    `json:"account"`
	Name    string    `json:"name"`
	Scopes  []string  `json:"scopes"`
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
	Revoked bool      `json:"revoked"`
	Hash    []byte    `json:"hash"`
}

// Principal is who a request acts for.
type Principal struct {
	Account string
	// Via is "session" or "token".
	Via    string
	Scopes []string
	// CSRF is the session's CSRF token (sessions only).
	CSRF string
	// SessionID names the session (sessions only): the hex SHA-256 of its
	// token, never the token itself.
	SessionID string
	// TokenID names the API token used (tokens only).
	TokenID string
	// MustChangePassword: the account's password was set by someone
	// else and must be changed before it may do anything else.
	MustChangePassword bool
}

// Can reports whether the principal holds scope.
func (p *Principal) Can(scope string) bool { return p != nil && slices.Contains(p.Scopes, scope) }

// Store keeps accounts, sessions and tokens. It is safe for concurrent
// use.
type Store struct {
	cfg   Config
	db    *leveldb.DB
	mu    sync.Mutex // serialises read-modify-write of records
	dummy string     // a hash verified for unknown accounts (timing)
	// failures are recent wrong current passwords per account (guarded
	// by mu), for ChangePassword's throttle.
	failures map[string][]time.Time
	// logins are recent failed sign-ins per account (guarded by mu).
	logins map[string]*loginFailures
}

// loginFailures is an account's recent failed sign-ins.
type loginFailures struct {
	n    int       // failures since the window began
	last time.Time // the latest failure
}

// Open opens or creates the store.
func Open(cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	db, err := smalldb.OpenOrMemory(cfg.Dir, smalldb.Options(false))
	if err != nil {
		return nil, fmt.Errorf("session: opening %s: %w", cfg.Dir, err)
	}
	dummy, err := HashPassword(cfg.Argon2, "not a password of anyone")
	if err != nil {
		db.Close()
		return nil, err
	}
	return &Store{cfg: cfg, db: db, dummy: dummy, failures: map[string][]time.Time{}}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

var syncWrite = &opt.WriteOptions{Sync: true}

func (s *Store) put(key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.db.Put([]byte(key), b, syncWrite)
}

func (s *Store) get(key string, v any) error {
	b, err := s.db.Get([]byte(key), nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("session: read: %w", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%w: %s record: %v", ErrCorrupt, key[:1], err) // the key's kind: no ids in errors
	}
	return nil
}

func accountKey(id string) string { return "a/" + id }
func sessionKey(h []byte) string  { return "s/" + hex.EncodeToString(h) }
func tokenKey(id string) string   { return "k/" + id }
func prefKey(id string) string    { return "p/" + id }

func (s *Store) checkPassword(pw string) error {
	if len(pw) < s.cfg.MinPasswordLen || len(pw) > 1024 {
		return fmt.Errorf("%w: a password has %d to 1024 bytes", ErrInvalid, s.cfg.MinPasswordLen)
	}
	return nil
}

// CreateAccount adds an account for member id.
func (s *Store) CreateAccount(id, password string) error { return s.createAccount(id, password, false) }

// CreateInitialAccount adds an account whose password someone else chose
// (an admin enrolling a member, portal init): its owner must change it at
// first sign-in before doing anything else.
func (s *Store) CreateInitialAccount(id, password string) error {
	return s.createAccount(id, password, true)
}

func (s *Store) createAccount(id, password string, mustChange bool) error {
	if id == "" || len(id) > 128 {
		return fmt.Errorf("%w: account id", ErrInvalid)
	}
	if err := s.checkPassword(password); err != nil {
		return err
	}
	h, err := HashPassword(s.cfg.Argon2, password)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if ok, _ := s.db.Has([]byte(accountKey(id)), nil); ok {
		return fmt.Errorf("%w: %s", ErrExists, id)
	}
	return s.put(accountKey(id), Account{ID: id, PasswordHash: h, Created: s.cfg.Now().UTC(), MustChange: mustChange})
}

// HasAccount reports whether the account exists.
func (s *Store) HasAccount(id string) bool {
	ok, _ := s.db.Has([]byte(accountKey(id)), nil)
	return ok
}

// Authenticate checks an account's password. Unknown accounts cost the
// same time as wrong passwords. An account with too many wrong passwords
// lately answers *LockedError (matching ErrThrottled) without checking
// the password (Config.MaxLoginFailures).
func (s *Store) Authenticate(id, password string) (*Account, error) {
	now := s.cfg.Now()
	if until, locked := s.lockedUntil(id, now); locked {
		return nil, &LockedError{Until: until}
	}
	a, err := s.authenticate(id, password)
	if errors.Is(err, ErrBadCredentials) {
		s.loginFailed(id, now)
	} else if err == nil {
		s.mu.Lock()
		delete(s.logins, id)
		s.mu.Unlock()
	}
	return a, err
}

// lockedUntil reports whether id takes no sign-in now, and until when.
func (s *Store) lockedUntil(id string, now time.Time) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.logins[id]
	if f == nil || f.n < s.cfg.MaxLoginFailures {
		return time.Time{}, false
	}
	backoff := s.cfg.LoginBackoff << min(f.n-s.cfg.MaxLoginFailures, 20)
	until := f.last.Add(min(backoff, s.cfg.MaxLoginBackoff))
	return until, now.Before(until)
}

// loginFailed counts a failed sign-in of id (unknown ids too, so that a
// lock says nothing about whether the account exists).
func (s *Store) loginFailed(id string, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.logins == nil {
		s.logins = map[string]*loginFailures{}
	}
	f := s.logins[id]
	quiet := now.Sub(f0(f).last)
	if f == nil || (f.n < s.cfg.MaxLoginFailures && quiet > s.cfg.LoginFailureWindow) ||
		quiet > s.cfg.LoginFailureWindow+s.cfg.MaxLoginBackoff {
		if len(s.logins) >= maxTrackedLogins {
			for k, v := range s.logins { // forget the stale ones
				if now.Sub(v.last) > s.cfg.MaxLoginBackoff+s.cfg.LoginFailureWindow {
					delete(s.logins, k)
				}
			}
		}
		f = &loginFailures{}
		s.logins[id] = f
	}
	f.n++
	f.last = now
	if f.n == s.cfg.MaxLoginFailures {
		s.cfg.Logger.Warn("sign-ins to an account are backing off after repeated wrong passwords", "account", id, "failures", f.n)
	}
}

func f0(f *loginFailures) loginFailures {
	if f == nil {
		return loginFailures{}
	}
	return *f
}

// maxTrackedLogins bounds the failed-sign-in table (memory under a spray
// of random account names); stale entries are dropped first.
const maxTrackedLogins = 100_000

func (s *Store) authenticate(id, password string) (*Account, error) {
	var a Account
	err := s.get(accountKey(id), &a)
	if errors.Is(err, ErrNotFound) {
		_, _ = VerifyPassword(s.dummy, password)
		return nil, ErrBadCredentials
	}
	if err != nil {
		return nil, err
	}
	ok, err := VerifyPassword(a.PasswordHash, password)
	if err != nil {
		return nil, fmt.Errorf("session: account %s: %w", id, err)
	}
	if !ok {
		return nil, ErrBadCredentials
	}
	return &a, nil
}

func randomSecret() ([]byte, string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, "", err
	}
	return b, base64.RawURLEncoding.EncodeToString(b), nil
}

func hashSecret(s string) []byte {
	h := sha256.Sum256([]byte("almoner/portal/secret/v1\x00" + s))
	return h[:]
}

// NewSession starts a session for account; token goes into the session
// cookie, the session's CSRF token to the page.
func (s *Store) NewSession(account string) (token string, sess *Session, err error) {
	_, token, err = randomSecret()
	if err != nil {
		return "", nil, err
	}
	_, csrf, err := randomSecret()
	if err != nil {
		return "", nil, err
	}
	sess = &Session{Account: account, CSRF: csrf, Expires: s.cfg.Now().Add(s.cfg.SessionTTL).UTC()}
	if err := s.put(sessionKey(hashSecret(token)), sess); err != nil {
		return "", nil, err
	}
	return token, sess, nil
}

// Session returns the principal of a session token.
func (s *Store) Session(token string) (*Principal, error) {
	if token == "" || len(token) > 128 {
		return nil, ErrNoSession
	}
	var sess Session
	if err := s.get(sessionKey(hashSecret(token)), &sess); err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, ErrNoSession
		}
		return nil, err
	}
	if !s.cfg.Now().Before(sess.Expires) {
		_ = s.db.Delete([]byte(sessionKey(hashSecret(token))), nil)
		return nil, ErrNoSession
	}
	var a Account
	if err := s.get(accountKey(sess.Account), &a); err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, ErrNoSession
		}
		return nil, err
	}
	return &Principal{Account: sess.Account, Via: "session", Scopes: Scopes, CSRF: sess.CSRF,
		SessionID: hex.EncodeToString(hashSecret(token)), MustChangePassword: a.MustChange}, nil
}

// Alive reports whether p still holds: its session exists and has not
// expired (a sign-out or a password change ends it), or its API token is
// neither revoked nor expired. Long-lived connections (WebSockets) ask it
// from time to time.
func (s *Store) Alive(p *Principal) bool {
	switch p.Via {
	case "session":
		h, err := hex.DecodeString(p.SessionID)
		if err != nil {
			return false
		}
		var sess Session
		return s.get(sessionKey(h), &sess) == nil && sess.Account == p.Account && s.cfg.Now().Before(sess.Expires)
	case "token":
		var t Token
		return s.get(tokenKey(p.TokenID), &t) == nil && t.Account == p.Account && !t.Revoked && s.cfg.Now().Before(t.Expires)
	}
	return false
}

// EndSession deletes a session.
func (s *Store) EndSession(token string) error {
	return s.db.Delete([]byte(sessionKey(hashSecret(token))), syncWrite)
}

// tokenPrefix starts every API token: "alm_<id>_<secret>".
const tokenPrefix = "alm_"

// NewToken creates an API token; the returned secret is shown once.
func (s *Store) NewToken(account, name string, scopes []string, ttl time.Duration) (secret string, t *Token, err error) {
	if name == "" || len(name) > 64 {
		return "", nil, fmt.Errorf("%w: a token name has 1 to 64 characters", ErrInvalid)
	}
	if len(scopes) == 0 {
		return "", nil, fmt.Errorf("%w: give at least one scope (%s)", ErrInvalid, strings.Join(Scopes, ", "))
	}
	for _, sc := range scopes {
		if !slices.Contains(Scopes, sc) {
			return "", nil, fmt.Errorf("%w: unknown scope %q (%s)", ErrInvalid, sc, strings.Join(Scopes, ", "))
		}
	}
	if ttl <= 0 || ttl > s.cfg.MaxTokenTTL {
		return "", nil, fmt.Errorf("%w: a token lives at most %s", ErrInvalid, s.cfg.MaxTokenTTL)
	}
	idb := make([]byte, 8)
	if _, err := rand.Read(idb); err != nil {
		return "", nil, err
	}
	id := hex.EncodeToString(idb)
	_, sec, err := randomSecret()
	if err != nil {
		return "", nil, err
	}
	secret = tokenPrefix + id + "_" + sec
	now := s.cfg.Now().UTC()
	t = &Token{ID: id, Account: account, Name: name, Scopes: slices.Clone(scopes), Created: now, Expires: now.Add(ttl), Hash: hashSecret(secret)}
	if err := s.put(tokenKey(id), t); err != nil {
		return "", nil, err
	}
	return secret, t, nil
}

// Token returns the principal of an API token secret.
func (s *Store) Token(secret string) (*Principal, error) {
	rest, ok := strings.CutPrefix(secret, tokenPrefix)
	id, _, ok2 := strings.Cut(rest, "_")
	if !ok || !ok2 || len(id) != 16 || len(secret) > 128 {
		return nil, ErrNoSession
	}
	var t Token
	if err := s.get(tokenKey(id), &t); err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, ErrNoSession
		}
		return nil, err
	}
	if subtle.ConstantTimeCompare(t.Hash, hashSecret(secret)) != 1 || t.Revoked || !s.cfg.Now().Before(t.Expires) {
		return nil, ErrNoSession
	}
	return &Principal{Account: t.Account, Via: "token", Scopes: t.Scopes, TokenID: t.ID}, nil
}

// RevokeToken revokes one of account's tokens.
func (s *Store) RevokeToken(account, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var t Token
	if err := s.get(tokenKey(id), &t); err != nil || t.Account != account {
		return ErrNotFound
	}
	t.Revoked = true
	return s.put(tokenKey(id), t)
}

// Tokens lists account's tokens, newest first.
func (s *Store) Tokens(account string) ([]*Token, error) {
	it := s.db.NewIterator(util.BytesPrefix([]byte("k/")), nil)
	defer it.Release()
	var out []*Token
	for it.Next() {
		var t Token
		if err := json.Unmarshal(it.Value(), &t); err != nil {
			return nil, fmt.Errorf("%w: token record: %v", ErrCorrupt, err)
		}
		if t.Account == account {
			out = append(out, &t)
		}
	}
	slices.SortFunc(out, func(a, b *Token) int { return b.Created.Compare(a.Created) })
	return out, it.Error()
}

// ChangePassword replaces account's password after checking the current
// one, and ends every session of the account except keepSession (a
// Principal's SessionID; "" ends them all). API tokens stay valid: they
// are separate credentials, listed and revoked on their own. It returns
// how many sessions it ended. Errors: ErrBadCredentials (wrong current
// password), ErrThrottled (too many of those lately), ErrInvalid (the new
// password is too short or too long, or equals the current one).
func (s *Store) ChangePassword(account, current, next, keepSession string) (int, error) {
	if err := s.checkPassword(next); err != nil {
		return 0, err
	}
	if next == current {
		return 0, fmt.Errorf("%w: the new password must differ from the current one", ErrInvalid)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.cfg.Now()
	recent := s.failures[account][:0]
	for _, t := range s.failures[account] {
		if now.Sub(t) < s.cfg.PasswordFailureWindow {
			recent = append(recent, t)
		}
	}
	s.failures[account] = recent
	if len(recent) >= s.cfg.MaxPasswordFailures {
		return 0, ErrThrottled
	}
	var a Account
	if err := s.get(accountKey(account), &a); err != nil {
		if errors.Is(err, ErrNotFound) {
			return 0, ErrBadCredentials
		}
		return 0, err
	}
	ok, err := VerifyPassword(a.PasswordHash, current)
	if err != nil {
		return 0, fmt.Errorf("session: account %s: %w", account, err)
	}
	if !ok {
		s.failures[account] = append(recent, now)
		return 0, ErrBadCredentials
	}
	delete(s.failures, account)
	h, err := HashPassword(s.cfg.Argon2, next)
	if err != nil {
		return 0, err
	}
	a.PasswordHash, a.MustChange = h, false
	b, err := json.Marshal(a)
	if err != nil {
		return 0, err
	}
	batch := new(leveldb.Batch)
	batch.Put([]byte(accountKey(account)), b)
	ended := 0
	it := s.db.NewIterator(util.BytesPrefix([]byte("s/")), nil)
	for it.Next() {
		var sess Session
		if err := json.Unmarshal(it.Value(), &sess); err != nil {
			it.Release()
			return 0, fmt.Errorf("%w: session record: %v", ErrCorrupt, err)
		}
		if sess.Account != account || string(it.Key()) == "s/"+keepSession {
			continue
		}
		batch.Delete(bytes.Clone(it.Key()))
		ended++
	}
	it.Release()
	if err := it.Error(); err != nil {
		return 0, fmt.Errorf("session: scanning sessions: %w", err)
	}
	// One synced batch: the new password and the ended sessions together.
	if err := s.db.Write(batch, syncWrite); err != nil {
		return 0, fmt.Errorf("session: write: %w", err)
	}
	return ended, nil
}

// GeneratePassword returns a random password (128 bits, URL-safe base64)
// for an account created on someone's behalf, to be shown once.
func GeneratePassword() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
