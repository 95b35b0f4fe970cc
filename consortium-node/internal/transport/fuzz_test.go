package transport

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"errors"
	"io"
	"testing"

	"github.com/almoner/almoner/consortium-node/internal/testkeys"
	"github.com/almoner/almoner/privacy/sign"
)

// FuzzReadFrame fuzzes the frame reader of a connection's byte stream:
// no panic, no frame over the limit, only the known errors, and the
// frames read re-encode to exactly the bytes they were read from.
func FuzzReadFrame(f *testing.F) {
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	for _, fr := range []frame{{1, []byte("raft")}, {2, nil}, {9, bytes.Repeat([]byte{7}, 300)}} {
		if err := writeFrame(w, fr); err != nil {
			f.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		f.Fatal(err)
	}
	f.Add(uint32(1<<10), buf.Bytes())
	f.Add(uint32(100), buf.Bytes())                         // the last frame is over the limit
	f.Add(uint32(1<<20), []byte{0xff, 0xff, 0xff, 0xff, 1}) // a header claiming 4 GiB
	f.Add(uint32(1<<10), []byte{0, 0, 0, 9, 1, 'a'})        // cut short
	f.Fuzz(func(t *testing.T, max uint32, data []byte) {
		max %= 1 << 20 // the reader allocates what a header claims, up to max
		r := bufio.NewReader(bytes.NewReader(data))
		var out bytes.Buffer
		ow := bufio.NewWriter(&out)
		for {
			kind, payload, err := readFrame(r, int(max))
			if err != nil {
				if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, ErrTooLarge) {
					t.Fatalf("unexpected error %v", err)
				}
				break
			}
			if len(payload) > int(max) {
				t.Fatalf("read a frame of %d bytes, limit %d", len(payload), max)
			}
			if err := writeFrame(ow, frame{kind, payload}); err != nil {
				t.Fatal(err)
			}
		}
		if err := ow.Flush(); err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(data, out.Bytes()) {
			t.Fatalf("frames re-encode to %x, not a prefix of %x", out.Bytes(), data)
		}
	})
}

// FuzzIdentify fuzzes the check of the certificate a connecting or
// dialled peer presents (DER from the network, before any message): no
// panic, and a peer is identified only as a member node other than this
// one whose key is the certificate's, with the raft id the dialler meant.
func FuzzIdentify(f *testing.F) {
	self, member := testkeys.Seeded(f, 1), testkeys.Seeded(f, 2)
	members := []Peer{
		{RaftID: 1, NodeID: "a", Addr: "127.0.0.1:1", Key: self.Public()},
		{RaftID: 2, NodeID: "b", Addr: "127.0.0.1:2", Key: member.Public()},
	}
	tr, err := New(Config{Self: members[0], PrivateKey: self, Members: func() []Peer { return members },
		Handler: HandlerFunc(func(Peer, byte, []byte) {})})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { tr.Close() })
	for i, k := range []*sign.PrivateKey{member, self, testkeys.Seeded(f, 3)} {
		c, err := Certificate(string(rune('a'+i)), k)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(0), false, c.Certificate[0])
		f.Add(uint8(2), true, c.Certificate[0])
	}
	f.Add(uint8(0), false, []byte{0x30, 0x03, 0x02, 0x01, 0x00})
	f.Fuzz(func(t *testing.T, want uint8, twice bool, der []byte) {
		raw := [][]byte{der}
		if twice {
			raw = append(raw, der)
		}
		p, err := tr.identify(raw, uint64(want))
		if err != nil {
			if !errors.Is(err, ErrNotMember) {
				t.Fatalf("error %v is not ErrNotMember", err)
			}
			return
		}
		c, err := x509.ParseCertificate(der)
		if err != nil || twice {
			t.Fatalf("identified %s from a certificate that does not parse (%v) or from %d", p.NodeID, err, len(raw))
		}
		pub, _ := c.PublicKey.(ed25519.PublicKey)
		if p.RaftID != 2 || p.NodeID != "b" || !bytes.Equal(pub, member.Public().Key) ||
			want != 0 && uint64(want) != p.RaftID {
			t.Fatalf("identified %+v (wanted raft id %d) from a certificate of key %x", p, want, pub)
		}
	})
}
