package node

import (
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/almoner/almoner/consortium-node/api"
	"github.com/almoner/almoner/consortium-node/contracts"
	"github.com/almoner/almoner/consortium-node/contracts/identity"
	"github.com/almoner/almoner/consortium-node/ledger"
)

// StatusKeyWindow is how far ahead Status lists expiring signing keys.
const StatusKeyWindow = 30 * 24 * time.Hour

// keyExpiries indexes the active members whose signing key has an
// expiry, so that status answers without scanning every member. It is
// loaded from state at open and kept current from each block's writes.
type keyExpiries struct {
	mu sync.Mutex
	m  map[string]api.ExpiringKey
}

func (k *keyExpiries) set(m *identity.Member) {
	if m.Revoked || m.KeyExpiry == 0 {
		delete(k.m, m.ID)
		return
	}
	k.m[m.ID] = api.ExpiringKey{Member: m.ID, Org: m.Org, Expires: time.Unix(m.KeyExpiry, 0).UTC()}
}

func (n *Node) loadKeyExpiries() error {
	k := &n.expiries
	k.mu.Lock()
	defer k.mu.Unlock()
	k.m = map[string]api.ExpiringKey{}
	return contracts.ScanDecoded(n.store.ScanState, identity.MemberStateKey(""), identity.DecodeMember, k.set)
}

// apply updates the index from a committed block's writes.
func (k *keyExpiries) apply(writes []ledger.StateWrite) error {
	prefix := identity.MemberStateKey("")
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, w := range writes {
		if !strings.HasPrefix(w.Key, prefix) {
			continue
		}
		if w.Deleted {
			delete(k.m, strings.TrimPrefix(w.Key, prefix))
			continue
		}
		m, err := identity.DecodeMember(w.Value)
		if err != nil {
			return err
		}
		k.set(m)
	}
	return nil
}

// within lists keys expiring before now+d (or already expired), soonest
// first.
func (k *keyExpiries) within(now time.Time, d time.Duration) []api.ExpiringKey {
	limit := now.Add(d)
	k.mu.Lock()
	out := []api.ExpiringKey{}
	for _, e := range k.m {
		if !e.Expires.After(limit) {
			e.Expired = !e.Expires.After(now)
			out = append(out, e)
		}
	}
	k.mu.Unlock()
	slices.SortFunc(out, func(a, b api.ExpiringKey) int {
		if c := a.Expires.Compare(b.Expires); c != 0 {
			return c
		}
		return strings.Compare(a.Member, b.Member)
	})
	return out
}
