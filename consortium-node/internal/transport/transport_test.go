package transport

import (
	"bytes"
	"sync"
	"testing"
	"time"

	"github.com/almoner/almoner/privacy/sign"
)

type inbox struct {
	mu   sync.Mutex
	msgs []string
	from []string
	cond chan struct{}
}

func newInbox() *inbox { return &inbox{cond: make(chan struct{}, 1024)} }

func (b *inbox) HandleMessage(from Peer, kind byte, payload []byte) {
	b.mu.Lock()
	b.msgs = append(b.msgs, string(rune(kind))+string(payload))
	b.from = append(b.from, from.NodeID)
	b.mu.Unlock()
	b.cond <- struct{}{}
}

func (b *inbox) wait(t *testing.T, n int) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		b.mu.Lock()
		got := len(b.msgs)
		b.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-b.cond:
		case <-deadline:
			t.Fatalf("got %d messages, want %d", got, n)
		}
	}
}

func key(t *testing.T, b byte) *sign.PrivateKey {
	k, err := sign.NewKeyFromSeed(sign.Ed25519, bytes.Repeat([]byte{b}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

type cluster struct {
	mu      sync.Mutex
	members []Peer
}

func (c *cluster) Members() []Peer {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Peer(nil), c.members...)
}

// start makes a transport for raft id id listening on a free port; member
// says whether it is added to the cluster's membership.
func start(t *testing.T, c *cluster, id uint64, seed byte, member bool, h Handler) *Transport {
	t.Helper()
	k := key(t, seed)
	self := Peer{RaftID: id, NodeID: string(rune('a' + id - 1)), Addr: "127.0.0.1:0", Key: k.Public()}
	tr, err := New(Config{Self: self, PrivateKey: k, Members: c.Members, Handler: h, DialTimeout: time.Second, MaxMessageBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Listen(""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	self.Addr = tr.Addr()
	if member {
		c.mu.Lock()
		c.members = append(c.members, self)
		c.mu.Unlock()
	}
	return tr
}

func TestMembersExchangeMessages(t *testing.T) {
	c := &cluster{}
	ia, ib := newInbox(), newInbox()
	a := start(t, c, 1, 1, true, ia)
	b := start(t, c, 2, 2, true, ib)
	for i := 0; i < 100; i++ {
		if !a.Send(2, 7, []byte{byte(i)}) {
			t.Fatal("send dropped")
		}
	}
	b.Send(1, 9, []byte("hi"))
	ib.wait(t, 100)
	ia.wait(t, 1)
	ib.mu.Lock()
	defer ib.mu.Unlock()
	for i, m := range ib.msgs {
		if m != string(rune(7))+string([]byte{byte(i)}) || ib.from[i] != "a" {
			t.Fatalf("message %d = %q from %s (order or sender wrong)", i, m, ib.from[i])
		}
	}
}

func TestNonMemberRefusedAtHandshake(t *testing.T) {
	c := &cluster{}
	ia := newInbox()
	start(t, c, 1, 1, true, ia)
	// A node whose key is not in the membership dials a member.
	intruder := start(t, c, 3, 3, false, newInbox())
	intruder.cfg.Members = func() []Peer { return c.Members() } // it knows where the member is
	intruder.Send(1, 1, []byte("let me in"))
	time.Sleep(500 * time.Millisecond)
	ia.mu.Lock()
	n := len(ia.msgs)
	ia.mu.Unlock()
	if n != 0 {
		t.Fatalf("member accepted %d messages from a non-member", n)
	}
}

func TestImpostorAtMemberAddressRefused(t *testing.T) {
	// Node 2's address is served by a node with another key: the dialler
	// refuses it, so nothing reaches the impostor.
	c := &cluster{}
	a := start(t, c, 1, 1, true, newInbox())
	imp := newInbox()
	impostor := start(t, c, 2, 9, false, imp)
	c.mu.Lock()
	c.members = append(c.members, Peer{RaftID: 2, NodeID: "b", Addr: impostor.Addr(), Key: key(t, 2).Public()})
	c.mu.Unlock()
	var unreachable sync.WaitGroup
	unreachable.Add(1)
	var once sync.Once
	a.cfg.Unreachable = func(uint64) { once.Do(unreachable.Done) }
	a.Send(2, 1, []byte("secret"))
	unreachable.Wait()
	time.Sleep(100 * time.Millisecond)
	imp.mu.Lock()
	defer imp.mu.Unlock()
	if len(imp.msgs) != 0 {
		t.Fatal("impostor received a message")
	}
}

func TestDeadPeerDoesNotBlockOthers(t *testing.T) {
	c := &cluster{}
	a := start(t, c, 1, 1, true, newInbox())
	ib := newInbox()
	start(t, c, 2, 2, true, ib)
	// Node 3 is a member whose address accepts nothing.
	c.mu.Lock()
	c.members = append(c.members, Peer{RaftID: 3, NodeID: "c", Addr: "127.0.0.1:1", Key: key(t, 3).Public()})
	c.mu.Unlock()
	dropped := 0
	for i := 0; i < 10000; i++ {
		if !a.Send(3, 1, []byte("x")) {
			dropped++
		}
	}
	if dropped == 0 {
		t.Fatal("sends to a dead peer never dropped: its queue is unbounded")
	}
	start := time.Now()
	for i := 0; i < 10; i++ {
		a.Send(2, 1, []byte("y"))
	}
	ib.wait(t, 10)
	t.Logf("10 messages to a live peer delivered in %v while another peer is dead", time.Since(start))
}

func TestOversizedFrameClosesConnection(t *testing.T) {
	c := &cluster{}
	a := start(t, c, 1, 1, true, newInbox())
	ib := newInbox()
	start(t, c, 2, 2, true, ib)
	if a.Send(2, 1, make([]byte, 2<<20)) {
		t.Fatal("oversized message accepted for sending")
	}
	a.Send(2, 1, []byte("ok"))
	ib.wait(t, 1)
}
