package session

import (
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
	"github.com/syndtr/goleveldb/leveldb/storage"
	"github.com/syndtr/goleveldb/leveldb/util"
)

// Errors of this package. Callers map them to user-facing codes; the
// messages never contain secrets.
var (
	ErrBadCredentials = errors.New("session: wrong account or password")
	ErrNoSession      = errors.New("session: no such session or token, or it expired or was revoked")
	ErrExists         = errors.New("session: account already exists")
	ErrNotFound       = errors.New("session: not found")
	ErrInvalid        = errors.New("session: invalid argument")
)

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
	Logger         *slog.Logger
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
	if c.SessionTTL <= 0 {
		c.SessionTTL = 12 * time.Hour
	}
	if c.MaxTokenTTL <= 0 {
		c.MaxTokenTTL = 90 * 24 * time.Hour
	}
	if c.MinPasswordLen <= 0 {
		c.MinPasswordLen = 12
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
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
	// TokenID names the API token used (tokens only).
	TokenID string
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
}

// Open opens or creates the store.
func Open(cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	o := &opt.Options{Strict: opt.StrictAll &^ opt.StrictRecovery, NoSync: false}
	var (
		db  *leveldb.DB
		err error
	)
	if cfg.Dir == "" {
		db, err = leveldb.Open(storage.NewMemStorage(), o)
	} else {
		db, err = leveldb.OpenFile(cfg.Dir, o)
	}
	if err != nil {
		return nil, fmt.Errorf("session: opening %s: %w", cfg.Dir, err)
	}
	dummy, err := HashPassword(cfg.Argon2, "not a password of anyone")
	if err != nil {
		db.Close()
		return nil, err
	}
	return &Store{cfg: cfg, db: db, dummy: dummy}, nil
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
	return json.Unmarshal(b, v)
}

func accountKey(id string) string { return "a/" + id }
func sessionKey(h []byte) string  { return "s/" + hex.EncodeToString(h) }
func tokenKey(id string) string   { return "k/" + id }

func (s *Store) checkPassword(pw string) error {
	if len(pw) < s.cfg.MinPasswordLen || len(pw) > 1024 {
		return fmt.Errorf("%w: a password has %d to 1024 bytes", ErrInvalid, s.cfg.MinPasswordLen)
	}
	return nil
}

// CreateAccount adds an account for member id.
func (s *Store) CreateAccount(id, password string) error {
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
	return s.put(accountKey(id), Account{ID: id, PasswordHash: h, Created: s.cfg.Now().UTC()})
}

// HasAccount reports whether the account exists.
func (s *Store) HasAccount(id string) bool {
	ok, _ := s.db.Has([]byte(accountKey(id)), nil)
	return ok
}

// Authenticate checks an account's password. Unknown accounts cost the
// same time as wrong passwords.
func (s *Store) Authenticate(id, password string) (*Account, error) {
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
	return &Principal{Account: sess.Account, Via: "session", Scopes: Scopes, CSRF: sess.CSRF}, nil
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
			return nil, fmt.Errorf("session: token record: %w", err)
		}
		if t.Account == account {
			out = append(out, &t)
		}
	}
	slices.SortFunc(out, func(a, b *Token) int { return b.Created.Compare(a.Created) })
	return out, it.Error()
}
