package claimdoc

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/almoner/almoner/consortium-node/codec"
	"github.com/almoner/almoner/consortium-node/ledger"
)

// KeySize is the size of a claims fingerprint key in bytes.
const KeySize = 32

// KeyDir is the folder of claims fingerprint keys in a dev consortium
// folder: one file per hospital, named KeyFile(org).
const KeyDir = "claims-keys"

// KeyFile is the file name of org's key in a keys folder.
func KeyFile(org string) string { return org + ".key" }

// LoadKeys reads every key file (KeyFile(org)) in dir, by organisation.
func LoadKeys(dir string) (map[string]*Key, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.key"))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKey, err)
	}
	out := map[string]*Key{}
	for _, p := range paths {
		k, err := LoadKey(p)
		if err != nil {
			return nil, err
		}
		out[strings.TrimSuffix(filepath.Base(p), ".key")] = k
	}
	return out, nil
}

// ErrKey wraps every failure to read or parse a key.
var ErrKey = errors.New("claimdoc: claims fingerprint key")

// Domain separators; part of the fingerprints' definition (changing one
// would let a claim filed before through again).
const (
	keyIDLabel        = "almoner/claim/key-id/v1"
	fingerprintDomain = "almoner/claim/fingerprint/v2\x00"
	itemDomain        = "almoner/claim/item/v2\x00"
	claimIDDomain     = "almoner/claim/id/v1\x00"
	keyFileHeader     = "almoner claims fingerprint key v1\n"
)

// Key is a hospital's claims fingerprint key. Its String, GoString
// and LogValue show only its id.
type Key struct{ b [KeySize]byte }

// NewKey makes a key from r (crypto/rand when nil).
func NewKey(r io.Reader) (*Key, error) {
	if r == nil {
		r = rand.Reader
	}
	var k Key
	if _, err := io.ReadFull(r, k.b[:]); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKey, err)
	}
	return &k, nil
}

// KeyFromBytes makes a key from its 32 bytes (a copy is kept).
func KeyFromBytes(b []byte) (*Key, error) {
	if len(b) != KeySize {
		return nil, fmt.Errorf("%w: must be %d bytes, got %d", ErrKey, KeySize, len(b))
	}
	var k Key
	copy(k.b[:], b)
	return &k, nil
}

// ParseKey parses a key file: the header line, then the key as 64
// lower-case hex digits and a newline.
func ParseKey(b []byte) (*Key, error) {
	rest, ok := bytes.CutPrefix(b, []byte(keyFileHeader))
	line := strings.TrimSuffix(string(rest), "\n")
	if !ok || len(line) != 2*KeySize || strings.Trim(line, "0123456789abcdef") != "" {
		return nil, fmt.Errorf("%w: not a key file (want %q and 64 lower-case hex digits)", ErrKey, strings.TrimSpace(keyFileHeader))
	}
	raw, _ := hex.DecodeString(line)
	defer clear(raw)
	return KeyFromBytes(raw)
}

// LoadKey reads a key file. It refuses a link, and a file that others
// may read; it checks the file it opened, not the path.
func LoadKey(path string) (*Key, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil, fmt.Errorf("%w: %w (a key file must be a regular file, not a link)", ErrKey, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKey, err)
	}
	if !fi.Mode().IsRegular() || fi.Size() > 1024 {
		return nil, fmt.Errorf("%w: %s is not a key file", ErrKey, path)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s is readable by others (mode %v); run chmod 600 %s", ErrKey, path, fi.Mode().Perm(), path)
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKey, err)
	}
	defer clear(b)
	k, err := ParseKey(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// Save writes the key to a new file, mode 0600; it never overwrites.
func (k *Key) Save(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrKey, err)
	}
	buf := make([]byte, 0, len(keyFileHeader)+2*KeySize+1)
	buf = append(buf, keyFileHeader...)
	buf = hex.AppendEncode(buf, k.b[:])
	buf = append(buf, '\n')
	defer clear(buf)
	if _, err := f.Write(buf); err != nil {
		f.Close()
		return fmt.Errorf("%w: %w", ErrKey, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("%w: %w", ErrKey, err)
	}
	return f.Close()
}

// ID is the key's public id: the first 16 bytes of HMAC-SHA256(key,
// "almoner/claim/key-id/v1"), in lower-case hex. It is on the ledger
// (claim.Genesis) and says nothing about the key.
func (k Key) ID() string {
	m := hmac.New(sha256.New, k.b[:])
	m.Write([]byte(keyIDLabel))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// String, GoString and LogValue never show the key; they are on the
// value too, so that a copied Key prints no bytes either.
func (k Key) String() string { return "claimdoc.Key(" + k.ID() + ")" }

// GoString implements fmt.GoStringer.
func (k Key) GoString() string { return k.String() }

// LogValue implements slog.LogValuer.
func (k *Key) LogValue() slog.Value { return slog.StringValue(k.String()) }

// ClaimID derives a claim id for a FHIR Claim that provider files
// without naming one: "<provider>-" and 20 hex digits of HMAC-SHA256
// under k of the Claim's own key (its resource id, or its first business
// identifier, as "id:<id>" or "identifier:<system>|<value>"). The same
// Claim filed twice gets the same id (so the second is refused as
// existing), and the id on the ledger says nothing of the hospital's own
// ids, which may say what the claim is for.
func (k *Key) ClaimID(provider, claimKey string) string {
	m := hmac.New(sha256.New, k.b[:])
	m.Write([]byte(claimIDDomain))
	m.Write([]byte(provider))
	m.Write([]byte{0})
	m.Write([]byte(claimKey))
	return provider + "-" + hex.EncodeToString(m.Sum(nil)[:10])
}

// Destroy zeroes the key.
func (k *Key) Destroy() { clear(k.b[:]) }

// Service is one service line: its canonical service code and its date.
type Service struct {
	_    struct{} `cbor:",toarray"`
	Code string   // canonical (ServiceCode.String): "99213", "99213-25", "http://hl7.org/fhir/ex-serviceproduct|EXAM"
	Date string   // YYYY-MM-DD, or YYYY-MM-DD/YYYY-MM-DD for a period (ValidateDate)
}

type fingerprintInput struct {
	_        struct{} `cbor:",toarray"`
	Provider string
	Patient  string
	Services []Service
}

type itemInput struct {
	_          struct{} `cbor:",toarray"`
	Provider   string
	Patient    string
	Code       string
	Date       string
	Occurrence uint64
}

func sorted(s []Service) []Service {
	out := slices.Clone(s)
	slices.SortFunc(out, func(a, b Service) int {
		if c := strings.Compare(a.Code, b.Code); c != 0 {
			return c
		}
		return strings.Compare(a.Date, b.Date)
	})
	return out
}

func (k *Key) mac(domain string, v any) ledger.Hash {
	b := codec.MustMarshal("claimdoc", v) // fixed-shape structs of strings
	m := hmac.New(sha256.New, k.b[:])
	m.Write([]byte(domain))
	m.Write(b)
	var h ledger.Hash
	m.Sum(h[:0])
	return h
}

// Fingerprint is the claim fingerprint: HMAC-SHA256 under k of the
// domain separator and the core deterministic CBOR of [provider, patient,
// [[code, date], ...]] with the pairs sorted, each code the full
// canonical service code (every modifier and site included). Amounts, the insurer and the
// claim id are not in it: the same services are the same services at any
// insurer.
func (k *Key) Fingerprint(provider, patient string, services []Service) ledger.Hash {
	return k.mac(fingerprintDomain, fingerprintInput{Provider: provider, Patient: patient, Services: sorted(services)})
}

// ItemFingerprints are the per-service keys a claim reserves: one per
// service, over [provider, patient, code, date, n] where code is the
// canonical string of the service's identity (ServiceCode.Identity: its
// code system, code and site, without the modifiers that name no site)
// and n counts the occurrences of that (code, date) in the claim from 1,
// so that any overlap with another claim's services collides — with any
// modifiers (decision 0019). Returned sorted by value (the order reveals
// nothing about the items). For a code without modifiers (every claim
// filed before decision 0019 but those with modifiers) the identity is the
// code itself, so those fingerprints are unchanged.
func (k *Key) ItemFingerprints(provider, patient string, services []Service) []ledger.Hash {
	ids := make([]Service, len(services))
	for i, sv := range services {
		ids[i] = Service{Code: itemCode(sv.Code), Date: sv.Date}
	}
	s := sorted(ids)
	out := make([]ledger.Hash, len(s))
	var n uint64
	for i, sv := range s {
		if i > 0 && sv == s[i-1] {
			n++
		} else {
			n = 1
		}
		out[i] = k.mac(itemDomain, itemInput{Provider: provider, Patient: patient, Code: sv.Code, Date: sv.Date, Occurrence: n})
	}
	slices.SortFunc(out, func(a, b ledger.Hash) int { return bytes.Compare(a[:], b[:]) })
	return out
}
