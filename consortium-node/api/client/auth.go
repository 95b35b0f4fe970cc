package client

import (
	"net/http"
	"time"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/privacy/sign"
)

// credentials sign the client's reads (api.AuthValue).
type credentials struct {
	id  string
	key *sign.PrivateKey
}

// Authenticate makes the client sign its reads as id (a member or a node)
// with key, as the node API requires for blocks, the stream, proofs, the
// node directory and the policy (docs/api.md, "Authentication"). Call it
// before the client is shared.
func (c *Client) Authenticate(id string, key *sign.PrivateKey) {
	c.auth = &credentials{id: id, key: key}
}

// sign adds the Authorization header to a read. Writes carry their own
// signatures (transactions, private record requests) and are sent as
// they are.
func (c *Client) sign(req *http.Request) {
	if c.auth == nil || req.Method != http.MethodGet {
		return
	}
	req.Header.Set(api.AuthHeader, api.AuthValue(c.auth.id, c.auth.key, req.Method, req.URL.RequestURI(), time.Now(), nil))
}
