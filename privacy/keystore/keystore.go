package keystore

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/almoner/almoner/privacy/integrity"
)

// Errors returned by this package. Test with errors.Is. No error of this
// package contains a secret, a passphrase or key material.
var (
	// ErrWrongPassphrase means the passphrase does not open the entry.
	ErrWrongPassphrase = errors.New("keystore: wrong passphrase")
	// ErrWrongOrgKey means the organisation key does not open the entry
	// (another key id, or the right id with other key bytes).
	ErrWrongOrgKey = errors.New("keystore: wrong organisation key")
	// ErrWrongProtector means the entry is protected the other way: by an
	// organisation key when a passphrase was given, or the reverse.
	ErrWrongProtector = errors.New("keystore: entry is protected by another kind of key")
	// ErrIntegrity marks corrupt, truncated or tampered entries, and entries
	// presented under another id or version than they were written for. It
	// is integrity.ErrFailed.
	ErrIntegrity = integrity.New("keystore: integrity check failed")
	// ErrUnsupported is wrapped, together with ErrIntegrity, when an entry
	// names a format version or protection this build does not know.
	ErrUnsupported = errors.New("keystore: unsupported format or protection")
	// ErrNotFound means no entry has the id or version asked for.
	ErrNotFound = errors.New("keystore: no such entry")
	// ErrExists means Put was asked to create an id that already exists, or
	// another writer created the same version first.
	ErrExists = errors.New("keystore: entry already exists")
	// ErrInvalid marks bad arguments and options.
	ErrInvalid = errors.New("keystore: invalid argument")
	// ErrPermissions means a key file or the store directory is accessible
	// to other users.
	ErrPermissions = errors.New("keystore: unsafe file permissions")
)

// KDFParams are argon2id parameters (RFC 9106).
type KDFParams struct {
	// Time is the number of passes over memory.
	Time uint32
	// MemoryKiB is the memory cost in KiB.
	MemoryKiB uint32
	// Threads is the degree of parallelism (lanes).
	Threads uint8
}

// Default and limiting KDF parameters.
var (
	// DefaultKDF is RFC 9106's second recommended option: t=3, m=64 MiB,
	// p=4. About 0.1-0.2 s on a server core set.
	DefaultKDF = KDFParams{Time: 3, MemoryKiB: 64 << 10, Threads: 4}
	// MinKDF is the weakest setting Options.Validate accepts without
	// InsecureWeakKDF: OWASP's minimum for argon2id, m=19 MiB, t=2, p=1.
	MinKDF = KDFParams{Time: 2, MemoryKiB: 19 << 10, Threads: 1}
)

// Hard limits on KDF parameters, for writing and reading alike: an entry
// that names more is rejected before any memory is allocated.
const (
	MaxKDFTime      = 16
	MaxKDFMemoryKiB = 1 << 20 // 1 GiB
	MaxKDFThreads   = 64
)

func (k KDFParams) check() error {
	switch {
	case k.Time < 1 || k.Time > MaxKDFTime:
		return fmt.Errorf("argon2id time %d out of range 1..%d", k.Time, MaxKDFTime)
	case k.Threads < 1 || k.Threads > MaxKDFThreads:
		return fmt.Errorf("argon2id threads %d out of range 1..%d", k.Threads, MaxKDFThreads)
	case k.MemoryKiB < 8*uint32(k.Threads) || k.MemoryKiB > MaxKDFMemoryKiB:
		return fmt.Errorf("argon2id memory %d KiB out of range %d..%d", k.MemoryKiB, 8*uint32(k.Threads), MaxKDFMemoryKiB)
	}
	return nil
}

// Options configure sealing and a Store.
type Options struct {
	// KDF are the argon2id parameters for entries sealed under a
	// passphrase. Entries keep the parameters they were written with, so
	// changing them affects only later writes; Rewrap upgrades old entries.
	KDF KDFParams
	// InsecureWeakKDF lets KDF go below MinKDF. Only tests should set it:
	// entries written so are cheap to brute-force.
	InsecureWeakKDF bool
	// Rand is the randomness source for salts and nonces; nil means
	// crypto/rand.
	Rand io.Reader
	// Logger receives one record per change to a Store (ids and versions,
	// never secrets); nil discards.
	Logger *slog.Logger
}

// DefaultOptions returns Options with DefaultKDF.
func DefaultOptions() Options { return Options{KDF: DefaultKDF} }

// Validate checks the options.
func (o Options) Validate() error {
	if err := o.KDF.check(); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if !o.InsecureWeakKDF && (o.KDF.Time < MinKDF.Time || o.KDF.MemoryKiB < MinKDF.MemoryKiB) {
		return fmt.Errorf("%w: argon2id t=%d m=%d KiB is below the minimum t=%d m=%d KiB (InsecureWeakKDF is for tests)",
			ErrInvalid, o.KDF.Time, o.KDF.MemoryKiB, MinKDF.Time, MinKDF.MemoryKiB)
	}
	return nil
}

func (o Options) rand() io.Reader {
	if o.Rand == nil {
		return rand.Reader
	}
	return o.Rand
}

func (o Options) logger() *slog.Logger {
	if o.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return o.Logger
}
