package identity

import (
	"bytes"
	"sync"
	"time"

	"github.com/almoner/almoner/consortium-node/contracts"
	"github.com/almoner/almoner/privacy/sign"
)

// DefaultDecodedMembers is how many senders' decoded member records an
// Authenticator keeps (each about the size of its record, ~1.4 KB).
const DefaultDecodedMembers = 4096

// Authenticator is Contract's Authenticate for block execution, which
// authenticates every transaction's sender: it keeps each sender's member
// record as last read with what Authenticate needs of it decoded, and
// decodes again only when the record read differs from the one kept, byte
// for byte. The record is still read through the executor's view each time
// (so a block that changes it, or the sender's organisation, before the
// transaction is seen as today, and Block-STM validates the read); only
// decoding the same bytes again is saved. Its answers are Contract's.
//
// It is safe for concurrent use (Block-STM runs transactions on every
// core). The zero value keeps nothing; use NewAuthenticator.
type Authenticator struct {
	max     int
	mu      sync.RWMutex
	members map[string]decodedMember // by member id
}

type decodedMember struct {
	record []byte // as read; never modified (exec.View's rule)
	signer *signer
}

// NewAuthenticator returns an Authenticator keeping up to max senders'
// decoded records (DefaultDecodedMembers when max is 0; one more sender
// then lets go of another one).
func NewAuthenticator(max int) *Authenticator {
	if max <= 0 {
		max = DefaultDecodedMembers
	}
	return &Authenticator{max: max, members: make(map[string]decodedMember)}
}

var _ contracts.Authenticator = (*Authenticator)(nil)

// Authenticate implements contracts.Authenticator as Contract does.
func (a *Authenticator) Authenticate(r contracts.StateReader, sender string, key sign.PublicKey, now time.Time) error {
	return authenticate(r, sender, key, now, a.decode)
}

// decode returns the signer of sender's record, decoded before if the
// record is the one kept.
func (a *Authenticator) decode(sender string, record []byte) (*signer, error) {
	a.mu.RLock()
	d, ok := a.members[sender]
	a.mu.RUnlock()
	if ok && bytes.Equal(d.record, record) {
		return d.signer, nil
	}
	s, err := signerOf(sender, record)
	if err != nil || a.max == 0 {
		return s, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, kept := a.members[sender]; !kept && len(a.members) >= a.max {
		for other := range a.members { // let go of one (any) sender
			delete(a.members, other)
			break
		}
	}
	a.members[sender] = decodedMember{record: record, signer: s}
	return s, nil
}
