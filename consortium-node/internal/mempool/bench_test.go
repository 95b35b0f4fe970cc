package mempool_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/storage"
	"github.com/syndtr/goleveldb/leveldb/util"

	"github.com/almoner/almoner/consortium-node/codec"
	"github.com/almoner/almoner/consortium-node/contracts/identity"
	identityvocab "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	"github.com/almoner/almoner/consortium-node/internal/mempool"
	"github.com/almoner/almoner/consortium-node/internal/mempool/mempooltest"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/privacy/sign"
)

// BenchmarkAdd admits a batch of 1,000 valid signed transactions from 100
// senders on all cores, then forgets them (not timed). The member check
// reads goleveldb as the node's does (its tables, not its memtable).
func BenchmarkAdd(b *testing.B) {
	const batch, senders = 1000, 100
	keys := make([]*sign.PrivateKey, senders)
	db, err := leveldb.Open(storage.NewMemStorage(), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	put := func(k string, v any) {
		enc, err := codec.Marshal(v)
		if err == nil {
			err = db.Put([]byte(k), enc, nil)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	put(identity.OrgStateKey("org"), identity.Org{ID: "org", Kind: identityvocab.KindHospital, Name: "Org"})
	for i := range keys {
		keys[i] = seededKey(b, byte(i))
		id := fmt.Sprintf("org/m%03d", i)
		put(identity.MemberStateKey(id), identity.Member{ID: id, Org: "org", Roles: []string{identityvocab.RolePatient},
			SignKey: keys[i].Public(), EncKey: identity.EncryptionKey{Alg: identityvocab.EncAlgXWing, Key: []byte(id)},
			KeyExpiry: testNow.Add(time.Hour).Unix()})
	}
	if err := db.CompactRange(util.Range{}); err != nil {
		b.Fatal(err)
	}
	raws := make([][]byte, batch)
	for i := range raws {
		raws[i] = signAs(b, fmt.Sprintf("org/m%03d", i%senders), keys[i%senders], uint64(i))
	}
	authenticate := func(s *tx.Signed) error {
		r := &dbReader{db: db}
		err := identity.Contract{}.Authenticate(r, s.Body.Sender, s.Signature.PublicKey(), testNow)
		if r.err != nil {
			return r.err
		}
		if err != nil {
			return fmt.Errorf("%w: %w", mempool.ErrNotMember, err)
		}
		return nil
	}
	p, err := mempool.New(mempool.Config{ChainID: chainID, ReplayWindow: window, Authenticate: authenticate}, newLedger(1))
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	b.ReportAllocs()
	mempooltest.BenchAdd(b, p, raws)
}

// dbReader is the node's admission reader in small: point reads of
// goleveldb, keeping the first error.
type dbReader struct {
	db  *leveldb.DB
	err error
}

func (r *dbReader) Get(k string) ([]byte, bool) {
	v, err := r.db.Get([]byte(k), nil)
	if err != nil {
		if !errors.Is(err, leveldb.ErrNotFound) && r.err == nil {
			r.err = err
		}
		return nil, false
	}
	return v, true
}

func seededKey(t testing.TB, seed byte) *sign.PrivateKey {
	t.Helper()
	s := make([]byte, sign.Ed25519SeedSize)
	for i := range s {
		s[i] = seed + byte(i)
	}
	k, err := sign.NewKeyFromSeed(sign.Ed25519, s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
