package api

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/almoner/almoner/privacy/sign"
)

// Signed node API requests (docs/api.md, "Authentication"). A caller
// signs each request with its member or node key; the node checks the
// key against the ledger and what the policy lets that caller read.
//
//	Authorization: Almoner-Ed25519 id=<member or node id>,t=<unix seconds>,sig=<base64url>
//
// The signature covers AuthDomain, the method, the path with its query,
// the time and the SHA-256 of the body, one per line.
const (
	AuthHeader = "Authorization"
	AuthScheme = "Almoner-Ed25519"
	AuthDomain = "almoner-node-api-v1"
	// AuthSkew is how far a request's time may be from the node's clock.
	AuthSkew = 5 * time.Minute
)

// Who may read what, in the policy's vocabulary: the whole chain through
// the node API (blocks, the stream, any transaction's proof) is the
// object "chain" with the action "follow".
const (
	AuthObject = "chain"
	AuthFollow = "follow"
)

// ErrAuth is a malformed Authorization header.
var ErrAuth = errors.New("api: malformed Authorization header")

// RequestSignBytes returns what a caller signs for a request.
func RequestSignBytes(method, pathQuery string, unix int64, body []byte) []byte {
	h := sha256.Sum256(body)
	return []byte(AuthDomain + "\n" + method + "\n" + pathQuery + "\n" + strconv.FormatInt(unix, 10) + "\n" + hex.EncodeToString(h[:]))
}

// AuthValue returns the Authorization header value for a request signed
// by id with key at time now.
func AuthValue(id string, key *sign.PrivateKey, method, pathQuery string, now time.Time, body []byte) string {
	t := now.Unix()
	sig := key.Sign(RequestSignBytes(method, pathQuery, t, body))
	return fmt.Sprintf("%s id=%s,t=%d,sig=%s", AuthScheme, id, t, base64.RawURLEncoding.EncodeToString(sig))
}

// ParseAuth parses an Authorization header value.
func ParseAuth(v string) (id string, unix int64, sig []byte, err error) {
	rest, ok := strings.CutPrefix(v, AuthScheme+" ")
	if !ok {
		return "", 0, nil, fmt.Errorf("%w: want %q", ErrAuth, AuthScheme+" id=...,t=...,sig=...")
	}
	var haveT bool
	for _, kv := range strings.Split(rest, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok {
			return "", 0, nil, fmt.Errorf("%w: %q is not key=value", ErrAuth, kv)
		}
		switch k {
		case "id":
			id = val
		case "t":
			if unix, err = strconv.ParseInt(val, 10, 64); err != nil {
				return "", 0, nil, fmt.Errorf("%w: t must be Unix seconds", ErrAuth)
			}
			haveT = true
		case "sig":
			if sig, err = base64.RawURLEncoding.DecodeString(val); err != nil {
				return "", 0, nil, fmt.Errorf("%w: sig must be unpadded base64url", ErrAuth)
			}
		default:
			return "", 0, nil, fmt.Errorf("%w: unknown parameter %q", ErrAuth, k)
		}
	}
	if id == "" || !haveT || len(sig) == 0 || len(id) > 256 {
		return "", 0, nil, fmt.Errorf("%w: id, t and sig are required", ErrAuth)
	}
	return id, unix, sig, nil
}

// Caller is an authenticated caller of the node API.
type Caller struct {
	ID string
	// Node is true for a consortium node (its key is a node key on the
	// ledger); nodes may read everything.
	Node bool
	// Follow is true when the caller may read the whole chain (nodes, and
	// members the policy allows chain/follow).
	Follow bool
}
