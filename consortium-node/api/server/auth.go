package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/internal/node"
)

// Access classes of the node API's routes.
type access int

const (
	// public: status, genesis, metrics, and what carries its own
	// signature (transactions, private record requests).
	public access = iota
	// member: any authenticated node or active member (the node
	// directory, the policy, proposals, custodian reachability, and the
	// proof of the caller's own transaction).
	member
	// follow: whoever may follow the whole chain (nodes; members the
	// policy allows chain/follow): blocks, the stream, key expiries.
	follow
)

// routeAccess classifies a request. Unknown routes are public: they answer
// 404 without revealing anything.
func routeAccess(method, path string) access {
	switch {
	case method == http.MethodGet && (strings.HasPrefix(path, "/v1/blocks/") || path == "/v1/stream" ||
		path == "/v1/keys/expiring"):
		return follow
	case method == http.MethodGet && (path == "/v1/nodes" || path == "/v1/policy" || strings.HasPrefix(path, "/v1/proposals/") ||
		strings.HasPrefix(path, "/v1/txs/") || strings.HasPrefix(path, "/v1/private/custodians/")):
		return member
	case method == http.MethodGet && path == "/v1/backup": // then only the node itself and its organisation's admins
		return member
	}
	return public
}

type callerKey struct{}

// callerOf returns the authenticated caller of a request (nil: anonymous).
func callerOf(ctx context.Context) *api.Caller {
	c, _ := ctx.Value(callerKey{}).(*api.Caller)
	return c
}

// authenticate checks the Authorization header of every request that
// needs it (docs/api.md, "Authentication") and refuses what the caller
// may not read. Anonymous callers get status, genesis and metrics, and
// may submit signed transactions and private record requests.
func (s *server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		need := routeAccess(r.Method, r.URL.Path)
		if need == public {
			next.ServeHTTP(w, r)
			return
		}
		h := r.Header.Get(api.AuthHeader)
		if h == "" {
			w.Header().Set("WWW-Authenticate", api.AuthScheme)
			writeErr(w, http.StatusUnauthorized, "unauthenticated", fmt.Sprintf("%s %s is for consortium members: sign the request "+
				"(Authorization: %s id=<member or node>,t=<unix seconds>,sig=<base64url>; see docs/api.md)", r.Method, r.URL.Path, api.AuthScheme))
			return
		}
		id, t, sig, err := api.ParseAuth(h)
		if err != nil {
			writeErr(w, http.StatusUnauthorized, "unauthenticated", err.Error())
			return
		}
		if d := time.Since(time.Unix(t, 0)); d > api.AuthSkew || d < -api.AuthSkew {
			writeErr(w, http.StatusUnauthorized, "stale", fmt.Sprintf("the request's time is more than %v from the node's clock %s; check the clock",
				api.AuthSkew, time.Now().UTC().Format(time.RFC3339)))
			return
		}
		// Authenticated routes are reads: the body signed is empty.
		c, err := s.auth.Caller(id, api.RequestSignBytes(r.Method, r.URL.RequestURI(), t, nil), sig)
		if errors.Is(err, node.ErrForbidden) {
			s.cfg.Logger.Info("node API caller refused", "path", r.URL.Path, "caller", id)
			writeErr(w, http.StatusUnauthorized, "unauthenticated", "the request is not signed by a current key of a consortium node or an active member")
			return
		}
		if err != nil {
			s.internal(w, r, err)
			return
		}
		if need == follow && !c.Follow {
			writeErr(w, http.StatusForbidden, "forbidden", fmt.Sprintf("%s may not read the whole chain: the policy gives %s/%s to organisation "+
				"admins (portals), auditors and consortium admins", c.ID, api.AuthObject, api.AuthFollow))
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), callerKey{}, c)))
	})
}
