package node

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/almoner/almoner/consortium-node/codec"
	"github.com/almoner/almoner/consortium-node/contracts/identity"
	identityvocab "github.com/almoner/almoner/consortium-node/contracts/identity/vocab"
	"github.com/almoner/almoner/consortium-node/internal/devtest"
	"github.com/almoner/almoner/consortium-node/internal/mempool"
	"github.com/almoner/almoner/consortium-node/internal/mempool/mempooltest"
	"github.com/almoner/almoner/consortium-node/internal/store"
	"github.com/almoner/almoner/consortium-node/internal/testkeys"
	"github.com/almoner/almoner/consortium-node/ledger"
	"github.com/almoner/almoner/consortium-node/tx"
	"github.com/almoner/almoner/privacy/sign"
)

func TestNextBlockTime(t *testing.T) {
	now := time.Date(2030, 5, 6, 7, 8, 9, 10, time.UTC)
	for _, tc := range []struct {
		name string
		head int64
		want time.Time
	}{
		{"genesis head long ago", 0, now},
		{"head a second ago", now.Add(-time.Second).UnixNano(), now},
		{"head at now", now.UnixNano(), now.Add(time.Nanosecond)},
		{"head ahead of this clock", now.Add(time.Minute).UnixNano(), now.Add(time.Minute + time.Nanosecond)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := nextBlockTime(now, tc.head); !got.Equal(tc.want) {
				t.Fatalf("nextBlockTime = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestAdmissionRefusesNonMembers runs the member rule on a real node: an
// outsider's transaction is refused at submission with the same message
// whether it names an unknown id or a member's id, and never reaches a
// block; a key revoked, rotated away or expired is refused from the moment
// the block that changed it (or the expiry) has passed; the refusals are
// counted as not_member.
func TestAdmissionRefusesNonMembers(t *testing.T) {
	h := newHarness(t, nil)
	outsider := testkeys.Seeded(t, 0)
	h.keys["stmarys/nobody"] = outsider
	signAs := func(sender string, key *sign.PrivateKey) []byte {
		h.seq++
		call := tx.Call{Contract: "identity", Method: "revoke_member", Args: tx.Args{tx.String("id", "stmarys/dr-lee")}}
		raw, err := tx.SignEncoded(tx.Body{ChainID: h.g.ChainID, Sender: sender, Nonce: h.seq,
			Expiry: h.n.NextHeight() + 50, Call: call}, key)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	refused := func(what string, raw []byte) string {
		t.Helper()
		before := h.n.Head().Height
		r := h.submit(raw)[0]
		if !errors.Is(r.Err, mempool.ErrNotMember) || r.Committed {
			t.Fatalf("%s: %+v (err %v), want refused at admission with %v", what, r, r.Err, mempool.ErrNotMember)
		}
		if _, ok := h.n.pool.Lookup(tx.HashID(raw)); ok || h.n.Head().Height != before {
			t.Fatalf("%s: the refused transaction is pending or made a block", what)
		}
		return r.Err.Error()
	}
	unknown := refused("unknown sender", signAs("stmarys/nobody", outsider))
	wrongKey := refused("a member's id with another key", signAs("stmarys/admin", outsider))
	if unknown != wrongKey || unknown != mempool.ErrNotMember.Error() {
		t.Fatalf("unknown sender: %q; member id, wrong key: %q; want both exactly %q", unknown, wrongKey, mempool.ErrNotMember)
	}

	commit := func(what string, raw []byte) {
		t.Helper()
		if r := h.submit(raw)[0]; r.Err != nil || !r.Committed || !r.Receipt.OK() {
			t.Fatalf("%s: %+v (err %v)", what, r, r.Err)
		}
	}
	// A key rotated away, then a revoked member.
	commit("add p1", h.addMember("stmarys/admin", "stmarys/p1"))
	h.keys["stmarys/p1"] = h.keys["stmarys/dr-lee"]
	commit("p1 rotates its own key", h.sign("stmarys/p1", 0, "rotate_keys", tx.String("id", "stmarys/p1"),
		tx.String("sign_key", outsider.Public().String())))
	refused("p1's old key after rotation", h.sign("stmarys/p1", 0, "rotate_keys", tx.String("id", "stmarys/p1"),
		tx.String("sign_key", h.keys["stmarys/admin"].Public().String())))
	commit("revoke p1", h.sign("stmarys/admin", 0, "revoke_member", tx.String("id", "stmarys/p1")))
	refused("revoked p1 with its current key", signAs("stmarys/p1", outsider))

	// A key that expires while the chain is idle: refused by this node's
	// clock, although the head's time is before the expiry.
	expiry := time.Now().Add(time.Second).Unix() + 1
	commit("add p2", h.sign("stmarys/admin", 0, "add_member", tx.String("id", "stmarys/p2"),
		tx.Strings("roles", []string{identityvocab.RolePatient}),
		tx.String("sign_key", h.keys["stmarys/dr-lee"].Public().String()),
		tx.String("enc_key", h.enc), tx.Int("key_expiry", expiry)))
	h.keys["stmarys/p2"] = h.keys["stmarys/dr-lee"]
	time.Sleep(time.Until(time.Unix(expiry, 0)))
	if head := h.n.Head(); head.Time >= expiry*int64(time.Second) {
		t.Fatalf("head time %d is not before the expiry %d", head.Time, expiry)
	}
	refused("p2 after its key expired", h.sign("stmarys/p2", 0, "rotate_keys", tx.String("id", "stmarys/p2"),
		tx.String("enc_key", h.enc)))

	if got := metric(t, scrape(t, h.n), refusedSeries(mempool.ReasonNotMember)); got != 5 {
		t.Errorf("refused not_member = %v, want 5", got)
	}
}

// TestAdmissionCache: a value is served only under the head it was read
// at; a newer head empties the cache, an older one never fills it.
func TestAdmissionCache(t *testing.T) {
	c := admissionCache{max: admissionCacheMax}
	h1 := store.Head{Height: 1, Hash: ledger.Hash{1}}
	h2 := store.Head{Height: 2, Hash: ledger.Hash{2}}
	forked := store.Head{Height: 1, Hash: ledger.Hash{9}}
	if _, ok := c.get(h1, "k"); ok {
		t.Fatal("an empty cache served a value")
	}
	c.put(h1, "k", []byte("v1"))
	if v, ok := c.get(h1, "k"); !ok || string(v) != "v1" {
		t.Fatalf("get at the same head = %q, %v", v, ok)
	}
	for _, h := range []store.Head{h2, forked} {
		if _, ok := c.get(h, "k"); ok {
			t.Fatalf("a value read at head 1 was served at %+v", h)
		}
	}
	c.put(h2, "k", []byte("v2"))
	c.put(h1, "k", []byte("stale")) // a slow reader of the older head
	c.put(h1, "other", []byte("stale"))
	if v, ok := c.get(h2, "k"); !ok || string(v) != "v2" {
		t.Fatalf("after the head moved: %q, %v", v, ok)
	}
	if _, ok := c.get(h1, "other"); ok {
		t.Fatal("an older head refilled the cache")
	}
	for i := range admissionCacheMax + 10 {
		c.put(h2, fmt.Sprint(i), nil)
		c.admit(h2, fmt.Sprint(i), &admittedKey{})
	}
	if len(c.vals) != admissionCacheMax || len(c.signers) != admissionCacheMax {
		t.Fatalf("%d values and %d signers cached, want at most %d", len(c.vals), len(c.signers), admissionCacheMax)
	}
}

// TestAdmissionCacheSigners: a key admitted at a head is admitted again
// from the cache only at that head, for that sender and key, before the
// key's expiry.
func TestAdmissionCacheSigners(t *testing.T) {
	c := admissionCache{max: admissionCacheMax}
	h1 := store.Head{Height: 1, Hash: ledger.Hash{1}}
	h2 := store.Head{Height: 2, Hash: ledger.Hash{2}}
	key := sign.PublicKey{Alg: sign.Ed25519, Key: []byte("key one")}
	other := sign.PublicKey{Alg: sign.Ed25519, Key: []byte("key two")}
	expiry := time.Unix(1_900_000_000, 0)
	record := func(exp int64) []byte {
		b, err := codec.Marshal(identity.Member{ID: "org/x", Org: "org", Roles: []string{identityvocab.RolePatient}, SignKey: key,
			KeyExpiry: exp})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	c.admit(h1, "org/a", &admittedKey{key: key, record: record(expiry.Unix())})
	c.admit(h1, "org/b", &admittedKey{key: key, record: record(0)})
	c.admit(h1, "org/bad", &admittedKey{key: key, record: []byte{0xff}})
	for _, tc := range []struct {
		name   string
		head   store.Head
		sender string
		key    sign.PublicKey
		at     time.Time
		want   bool
	}{
		{"same head, key, before expiry", h1, "org/a", key, expiry.Add(-time.Nanosecond), true},
		{"at expiry", h1, "org/a", key, expiry, false},
		{"after expiry", h1, "org/a", key, expiry.Add(time.Hour), false},
		{"before expiry again", h1, "org/a", key, expiry.Add(-time.Hour), true},
		{"no expiry", h1, "org/b", key, expiry.Add(time.Hour), true},
		{"undecodable record", h1, "org/bad", key, expiry.Add(-time.Hour), false},
		{"another key", h1, "org/a", other, expiry.Add(-time.Hour), false},
		{"another sender", h1, "org/c", key, expiry.Add(-time.Hour), false},
		{"a newer head", h2, "org/a", key, expiry.Add(-time.Hour), false},
	} {
		k := c.signer(tc.head, tc.sender)
		if got := k != nil && k.admits(tc.key, tc.at); got != tc.want {
			t.Errorf("%s: admitted = %v, want %v", tc.name, got, tc.want)
		}
	}
	c.put(h2, "k", nil) // the head moves on
	if c.signer(h1, "org/b") != nil || c.signer(h2, "org/b") != nil {
		t.Error("a key admitted at an older head is still cached")
	}
}

// TestAdmissionCacheAdvance: committing a block carries the cache to the
// new head, less what the block wrote and the keys admitted on reading
// it; a cache at another head is not carried.
func TestAdmissionCacheAdvance(t *testing.T) {
	h1 := store.Head{Height: 1, Hash: ledger.Hash{1}}
	h2 := store.Head{Height: 2, Hash: ledger.Hash{2}}
	h3 := store.Head{Height: 3, Hash: ledger.Hash{3}}
	fill := func() *admissionCache {
		c := &admissionCache{max: admissionCacheMax}
		for _, k := range []string{"m/a", "m/b", "o/x", "o/y"} {
			c.put(h1, k, []byte(k))
		}
		c.admit(h1, "a", &admittedKey{reads: []string{"m/a", "o/x"}})
		c.admit(h1, "b", &admittedKey{reads: []string{"m/b", "o/y"}})
		return c
	}
	c := fill()
	c.advance(h1, h2, []ledger.StateWrite{{Key: "o/y", Deleted: true}, {Key: "unrelated", Value: []byte("v")}})
	for k, want := range map[string]bool{"m/a": true, "m/b": true, "o/x": true, "o/y": false, "unrelated": false} {
		if _, ok := c.get(h2, k); ok != want {
			t.Errorf("value %s at the new head: cached %v, want %v", k, ok, want)
		}
		if _, ok := c.get(h1, k); ok {
			t.Errorf("value %s still served at the parent", k)
		}
	}
	if c.signer(h2, "a") == nil {
		t.Error("a sender whose records the block did not write was dropped")
	}
	if c.signer(h2, "b") != nil {
		t.Error("a sender whose organisation the block removed is still admitted")
	}
	c.advance(h1, h2, nil) // not the cache's head: nothing happens
	c.advance(h2, h3, []ledger.StateWrite{{Key: "m/a", Value: []byte("rotated")}})
	if c.signer(h3, "a") != nil {
		t.Error("a sender whose member record the block wrote is still admitted")
	}
	for _, tc := range []struct {
		name     string
		from, to store.Head
	}{
		{"from another head", h2, h3},
		{"skipping a height", h1, h3},
	} {
		c := fill()
		c.advance(tc.from, tc.to, nil)
		if c.signer(tc.to, "a") != nil {
			t.Errorf("%s: the cache was carried", tc.name)
		}
	}
}

// TestAdmissionCarriedAcrossBlocks: the node's own admission cache keeps a
// sender admitted across a block that did not touch it, and a revocation
// is still refused at the next block.
func TestAdmissionCarriedAcrossBlocks(t *testing.T) {
	h := newHarness(t, nil)
	commit := func(raw []byte) {
		t.Helper()
		if r := h.submit(raw)[0]; r.Err != nil || !r.Committed || !r.Receipt.OK() {
			t.Fatalf("%+v (err %v)", r, r.Err)
		}
	}
	commit(h.sign("stmarys/admin", 0, "add_member", tx.String("id", "stmarys/p2"),
		tx.Strings("roles", []string{identityvocab.RolePatient}),
		tx.String("sign_key", h.keys["stmarys/dr-lee"].Public().String()),
		tx.String("enc_key", h.enc)))
	h.keys["stmarys/p2"] = h.keys["stmarys/dr-lee"]
	commit(h.sign("stmarys/p2", 0, "rotate_keys", tx.String("id", "stmarys/p2"), tx.String("enc_key", h.enc)))
	commit(h.sign("stmarys/admin", 0, "add_member", tx.String("id", "stmarys/p3"),
		tx.Strings("roles", []string{identityvocab.RolePatient}),
		tx.String("sign_key", h.keys["stmarys/dr-lee"].Public().String()),
		tx.String("enc_key", h.enc)))
	head, _ := h.n.store.Head()
	if h.n.adm.cache.signer(head, "stmarys/admin") == nil {
		t.Error("the admin, admitted in earlier blocks, is not admitted at the head without reading")
	}
	commit(h.sign("stmarys/admin", 0, "revoke_member", tx.String("id", "stmarys/p2")))
	head, _ = h.n.store.Head()
	if h.n.adm.cache.signer(head, "stmarys/p2") != nil {
		t.Fatal("a revoked member is still admitted from the cache")
	}
	r := h.submit(h.sign("stmarys/p2", 0, "rotate_keys", tx.String("id", "stmarys/p2"), tx.String("enc_key", h.enc)))[0]
	if !errors.Is(r.Err, mempool.ErrNotMember) {
		t.Fatalf("after the revocation: %+v (err %v), want %v", r, r.Err, mempool.ErrNotMember)
	}
}

// TestAdmissionAgainstCommittedState calls the node's admission directly,
// its clock set by the test: a revocation is seen as soon as its block is
// committed (though the member was cached at the head before), and a key
// is refused from its expiry second on.
func TestAdmissionAgainstCommittedState(t *testing.T) {
	h := newHarness(t, nil)
	a := newAdmission(h.n.store)
	now := time.Now()
	a.now = func() time.Time { return now }
	decode := func(raw []byte) *tx.Signed {
		s, err := tx.Decode(raw)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	commit := func(raw []byte) {
		t.Helper()
		if r := h.submit(raw)[0]; r.Err != nil || !r.Committed || !r.Receipt.OK() {
			t.Fatalf("%+v (err %v)", r, r.Err)
		}
	}
	expiry := now.Add(time.Hour).Unix()
	commit(h.sign("stmarys/admin", 0, "add_member", tx.String("id", "stmarys/p1"),
		tx.Strings("roles", []string{identityvocab.RolePatient}),
		tx.String("sign_key", h.keys["stmarys/dr-lee"].Public().String()),
		tx.String("enc_key", h.enc), tx.Int("key_expiry", expiry)))
	h.keys["stmarys/p1"] = h.keys["stmarys/dr-lee"]
	p1 := decode(h.sign("stmarys/p1", 0, "rotate_keys", tx.String("id", "stmarys/p1"), tx.String("enc_key", h.enc)))
	for _, tc := range []struct {
		name string
		at   time.Time
		ok   bool
	}{
		{"well before expiry", now, true},
		{"the second before expiry", time.Unix(expiry-1, 999_999_999), true},
		{"at expiry", time.Unix(expiry, 0), false},
		{"after expiry", time.Unix(expiry+3600, 0), false},
		{"before expiry again", now, true},
	} {
		now = tc.at
		if err := a.authenticate(p1); (err == nil) != tc.ok || (err != nil && !errors.Is(err, mempool.ErrNotMember)) {
			t.Errorf("%s: authenticate = %v, want ok %v", tc.name, err, tc.ok)
		}
	}
	now = time.Now()
	commit(h.sign("stmarys/admin", 0, "revoke_member", tx.String("id", "stmarys/p1")))
	if err := a.authenticate(p1); !errors.Is(err, mempool.ErrNotMember) {
		t.Fatalf("after the revocation block: authenticate = %v, want %v", err, mempool.ErrNotMember)
	}
	if err := a.authenticate(decode(h.sign("stmarys/admin", 0, "noop"))); err != nil {
		t.Fatalf("the admin: %v", err)
	}
}

// BenchmarkAdmission admits 1,000 signed transactions of the dev members
// through a real node's pool and store: without the member check, with it,
// and with it but without its cache (every sender read from the store, as
// when senders do not repeat between two blocks).
func BenchmarkAdmission(b *testing.B) {
	dir, g, _ := devtest.OneNode(b)
	keys := devtest.SignKeys(b, dir, append([]string{g.Nodes[0].ID}, devtest.MemberIDs()...)...)
	n, err := Open(Config{DataDir: filepath.Join(dir, "data"), Genesis: g, NodeID: g.Nodes[0].ID, Key: keys[g.Nodes[0].ID]})
	if err != nil {
		b.Fatal(err)
	}
	defer n.Close()
	ids := devtest.MemberIDs()
	raws := make([][]byte, 1000)
	for i := range raws {
		raw, err := tx.SignEncoded(tx.Body{ChainID: g.ChainID, Sender: ids[i%len(ids)], Nonce: uint64(i), Expiry: 10,
			Call: tx.Call{Contract: "identity", Method: "noop", Args: tx.Args{tx.Uint("n", uint64(i))}}}, keys[ids[i%len(ids)]])
		if err != nil {
			b.Fatal(err)
		}
		raws[i] = raw
	}
	for _, bc := range []struct {
		name string
		auth func(*tx.Signed) error
	}{
		{"no member check", func(*tx.Signed) error { return nil }},
		{"member check", newAdmission(n.store).authenticate},
		{"member check uncached", func() func(*tx.Signed) error {
			a := newAdmission(n.store)
			a.cache.max = 0
			return a.authenticate
		}()},
	} {
		b.Run(bc.name, func(b *testing.B) {
			cfg := mempool.Config{ChainID: g.ChainID, ReplayWindow: g.Params.ReplayWindow, Authenticate: bc.auth}
			p, err := mempool.New(cfg, n)
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close()
			mempooltest.BenchAdd(b, p, raws)
		})
	}
}

// TestBlockBuildingRefusesNonMembers: a proposal that carries an
// outsider's transaction (a node that skipped admission, or proposed raw
// bytes through raft) builds a block without it; the member's transaction
// beside it commits.
func TestBlockBuildingRefusesNonMembers(t *testing.T) {
	h := newHarness(t, nil)
	outsider, err := sign.NewKeyFromSeed(sign.Ed25519, bytes.Repeat([]byte{7}, sign.Ed25519SeedSize))
	if err != nil {
		t.Fatal(err)
	}
	h.keys["stmarys/nobody"] = outsider
	bad := h.sign("stmarys/nobody", 0, "revoke_member", tx.String("id", "stmarys/dr-lee"))
	h.keys["stmarys/mallory"] = outsider // a member's id, signed with another key
	forged := h.sign("stmarys/mallory", 0, "revoke_member", tx.String("id", "stmarys/dr-lee"))
	good := h.addMember("stmarys/admin", "stmarys/p9")
	before := h.n.Head().Height
	data, err := codec.Marshal(&proposal{Proposer: h.n.cfg.NodeID, Time: time.Now().UnixNano(), Txs: [][]byte{bad, forged, good}})
	if err != nil {
		t.Fatal(err)
	}
	h.n.proposeC <- data
	waitFor(t, 10*time.Second, "the proposal to build a block", func() bool { return h.n.Head().Height != before })
	b, err := h.n.store.Block(before + 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Txs) != 1 || !bytes.Equal(b.Txs[0], good) {
		t.Fatalf("block %d holds %d transactions, want only the member's", before+1, len(b.Txs))
	}
	for _, raw := range [][]byte{bad, forged} {
		if _, _, done, err := h.n.store.TxLocation(tx.HashID(raw)); err != nil || done {
			t.Fatalf("an outsider's transaction is on the ledger (%v)", err)
		}
	}
}
