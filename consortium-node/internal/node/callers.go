package node

import (
	"fmt"
	"time"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/contracts/identity"
	"github.com/almoner/almoner/policies"
)

// Caller authenticates a node API caller: id must be a current consortium
// node or an active member whose current, unexpired signing key made sig
// over msg. Nodes may follow the whole chain; a member may when the policy
// allows it chain/follow (organisations' portals signing as their
// admins, auditors, consortium admins). An unknown id and a bad signature
// give the same error, so callers cannot probe which ids exist.
func (n *Node) Caller(id string, msg, sig []byte) (*api.Caller, error) {
	refused := fmt.Errorf("%w: the request is not signed by a current key of a node or an active member", ErrForbidden)
	for _, p := range n.Members() {
		if p.ID == id {
			if p.SignKey.Verify(msg, sig) != nil {
				return nil, refused
			}
			return &api.Caller{ID: id, Node: true, Follow: true}, nil
		}
	}
	m, err := identity.LoadMember(stateReader{n}, id)
	if err != nil || m.Revoked {
		return nil, refused
	}
	if m.KeyExpiry != 0 && time.Now().Unix() >= m.KeyExpiry {
		return nil, refused
	}
	if m.SignKey.Verify(msg, sig) != nil {
		return nil, refused
	}
	d, err := n.policy.Enforce(policies.Request{Sub: m.ID, Dom: m.Org, Obj: api.AuthObject, Act: api.AuthFollow})
	if err != nil {
		return nil, err
	}
	return &api.Caller{ID: m.ID, Follow: d.Allowed}, nil
}
