package transport

import (
	"bufio"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"sync"
	"time"

	"github.com/almoner/almoner/privacy/sign"
)

// Errors returned by the transport.
var (
	ErrNotMember = errors.New("transport: peer is not a member node")
	ErrTooLarge  = errors.New("transport: message too large")
	ErrClosed    = errors.New("transport: closed")
)

// Peer is a member node.
type Peer struct {
	RaftID uint64
	NodeID string
	Addr   string
	Key    sign.PublicKey
}

// Handler receives messages. It is called from connection goroutines and
// must not block for long (hand the message to a buffered channel).
type Handler interface {
	HandleMessage(from Peer, kind byte, payload []byte)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(from Peer, kind byte, payload []byte)

// HandleMessage implements Handler.
func (f HandlerFunc) HandleMessage(from Peer, kind byte, payload []byte) { f(from, kind, payload) }

// Config configures a transport.
type Config struct {
	// Self is this node; its Key must match PrivateKey.
	Self       Peer
	PrivateKey *sign.PrivateKey
	// Members returns the current member nodes (including Self). It is
	// consulted at every handshake, so membership changes take effect for
	// new connections at once.
	Members func() []Peer
	Handler Handler
	Logger  *slog.Logger
	// MaxMessageBytes bounds a frame's payload (default 64 MiB).
	MaxMessageBytes int
	// QueueLen is each peer's send queue length (default 4096).
	QueueLen int
	// DialTimeout bounds connection attempts (default 2s).
	DialTimeout time.Duration
	// Unreachable, if set, is told when a message to a peer was dropped.
	Unreachable func(raftID uint64)
	// Drop, if set, cuts this node off from a peer: messages to and from
	// it are discarded. It exists for fault tests (a network partition)
	// and for operators quarantining a misbehaving peer.
	Drop func(raftID uint64) bool
}

// Validate checks the config and fills defaults.
func (c *Config) Validate() error {
	if c.PrivateKey == nil || !c.PrivateKey.Public().Equal(c.Self.Key) {
		return errors.New("transport: private key does not match Self.Key")
	}
	if c.PrivateKey.Algorithm() != sign.Ed25519 {
		return errors.New("transport: node keys must be Ed25519")
	}
	if c.Members == nil || c.Handler == nil {
		return errors.New("transport: Members and Handler are required")
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.MaxMessageBytes <= 0 {
		c.MaxMessageBytes = 64 << 20
	}
	if c.QueueLen <= 0 {
		c.QueueLen = 4096
	}
	if c.DialTimeout <= 0 {
		c.DialTimeout = 2 * time.Second
	}
	return nil
}

// Transport sends and receives messages for one node.
type Transport struct {
	cfg  Config
	cert tls.Certificate
	ln   net.Listener
	ctx  context.Context
	stop context.CancelFunc
	wg   sync.WaitGroup

	mu    sync.Mutex
	peers map[uint64]*peerConn
	conns map[net.Conn]struct{}
}

// New creates a transport; Listen starts it.
func New(cfg Config) (*Transport, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cert, err := Certificate(cfg.Self.NodeID, cfg.PrivateKey)
	if err != nil {
		return nil, err
	}
	ctx, stop := context.WithCancel(context.Background())
	return &Transport{cfg: cfg, cert: cert, ctx: ctx, stop: stop, peers: map[uint64]*peerConn{}, conns: map[net.Conn]struct{}{}}, nil
}

// Certificate makes the self-signed TLS certificate of a node key.
func Certificate(nodeID string, key *sign.PrivateKey) (tls.Certificate, error) {
	priv := ed25519.NewKeyFromSeed(key.Seed())
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: nodeID},
		NotBefore:    time.Unix(0, 0),
		NotAfter:     time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, priv.Public(), crypto.Signer(priv))
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("transport: making certificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: priv}, nil
}

// identify maps a peer's certificate to a member node. want, if non-zero,
// is the raft id the dialler meant to reach.
func (t *Transport) identify(rawCerts [][]byte, want uint64) (Peer, error) {
	if len(rawCerts) != 1 {
		return Peer{}, fmt.Errorf("%w: want exactly one certificate, got %d", ErrNotMember, len(rawCerts))
	}
	c, err := x509.ParseCertificate(rawCerts[0])
	if err != nil {
		return Peer{}, fmt.Errorf("%w: %v", ErrNotMember, err)
	}
	pub, ok := c.PublicKey.(ed25519.PublicKey)
	if !ok {
		return Peer{}, fmt.Errorf("%w: certificate key is not Ed25519", ErrNotMember)
	}
	for _, p := range t.cfg.Members() {
		if p.Key.Alg == sign.Ed25519 && string(p.Key.Key) == string(pub) {
			if want != 0 && p.RaftID != want {
				return Peer{}, fmt.Errorf("%w: reached node %s instead of raft id %d", ErrNotMember, p.NodeID, want)
			}
			if p.RaftID == t.cfg.Self.RaftID {
				return Peer{}, fmt.Errorf("%w: connected to itself", ErrNotMember)
			}
			return p, nil
		}
	}
	return Peer{}, fmt.Errorf("%w: key %x is not the key of any member node", ErrNotMember, pub)
}

func (t *Transport) tlsConfig(want uint64, got *Peer) *tls.Config {
	return &tls.Config{
		MinVersion:         tls.VersionTLS13,
		Certificates:       []tls.Certificate{t.cert},
		ClientAuth:         tls.RequireAnyClientCert,
		InsecureSkipVerify: true, // identity is checked below, against membership
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			p, err := t.identify(raw, want)
			if err == nil && got != nil {
				*got = p
			}
			return err
		},
	}
}

// Listen starts accepting connections on Self.Addr (or addr if given).
func (t *Transport) Listen(addr string) error {
	if addr == "" {
		addr = t.cfg.Self.Addr
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("transport: listening on %s: %w", addr, err)
	}
	t.ln = ln
	t.wg.Add(1)
	go t.accept()
	return nil
}

// Addr is the listening address.
func (t *Transport) Addr() string { return t.ln.Addr().String() }

func (t *Transport) accept() {
	defer t.wg.Done()
	for {
		c, err := t.ln.Accept()
		if err != nil {
			return
		}
		t.wg.Add(1)
		go func() {
			defer t.wg.Done()
			t.serve(c)
		}()
	}
}

func (t *Transport) track(c net.Conn, on bool) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if on {
		if t.ctx.Err() != nil {
			return false
		}
		t.conns[c] = struct{}{}
	} else {
		delete(t.conns, c)
	}
	return true
}

func (t *Transport) serve(raw net.Conn) {
	var peer Peer
	c := tls.Server(raw, t.tlsConfig(0, &peer))
	if !t.track(c, true) {
		raw.Close()
		return
	}
	defer func() { t.track(c, false); c.Close() }()
	hctx, cancel := context.WithTimeout(t.ctx, 10*time.Second)
	err := c.HandshakeContext(hctx)
	cancel()
	if err != nil {
		t.cfg.Logger.Warn("refused a node connection", "remote", raw.RemoteAddr().String(), "err", err)
		return
	}
	r := bufio.NewReaderSize(c, 64<<10)
	for {
		kind, payload, err := readFrame(r, t.cfg.MaxMessageBytes)
		if err != nil {
			if !errors.Is(err, io.EOF) && t.ctx.Err() == nil {
				t.cfg.Logger.Warn("closing node connection", "peer", peer.NodeID, "err", err)
			}
			return
		}
		if t.cfg.Drop != nil && t.cfg.Drop(peer.RaftID) {
			continue
		}
		t.cfg.Handler.HandleMessage(peer, kind, payload)
	}
}

func readFrame(r *bufio.Reader, max int) (byte, []byte, error) {
	var hdr [5]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:4])
	if int64(n) > int64(max) {
		return 0, nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, n, max)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(r, buf); err != nil {
		return 0, nil, err
	}
	return hdr[4], buf, nil
}

type frame struct {
	kind    byte
	payload []byte
}

type peerConn struct {
	id uint64
	q  chan frame
}

// Send queues a message for a peer. It never blocks: it returns false and
// drops the message when the peer is unknown or its queue is full.
func (t *Transport) Send(to uint64, kind byte, payload []byte) bool {
	if t.cfg.Drop != nil && t.cfg.Drop(to) {
		return false
	}
	if len(payload) > t.cfg.MaxMessageBytes {
		t.cfg.Logger.Error("dropping oversized message", "to", to, "bytes", len(payload))
		return false
	}
	t.mu.Lock()
	if t.ctx.Err() != nil {
		t.mu.Unlock()
		return false
	}
	pc := t.peers[to]
	if pc == nil {
		pc = &peerConn{id: to, q: make(chan frame, t.cfg.QueueLen)}
		t.peers[to] = pc
		t.wg.Add(1)
		go t.sendLoop(pc)
	}
	t.mu.Unlock()
	select {
	case pc.q <- frame{kind, payload}:
		return true
	default:
		if t.cfg.Unreachable != nil {
			t.cfg.Unreachable(to)
		}
		return false
	}
}

func (t *Transport) member(id uint64) (Peer, bool) {
	for _, p := range t.cfg.Members() {
		if p.RaftID == id {
			return p, true
		}
	}
	return Peer{}, false
}

// sendLoop owns the connection to one peer: it dials on demand, writes
// queued frames, and on failure drops what it holds and backs off.
func (t *Transport) sendLoop(pc *peerConn) {
	defer t.wg.Done()
	var (
		conn    *tls.Conn
		w       *bufio.Writer
		backoff = 50 * time.Millisecond
	)
	defer func() {
		if conn != nil {
			conn.Close()
		}
	}()
	for {
		var f frame
		select {
		case <-t.ctx.Done():
			return
		case f = <-pc.q:
		}
		if conn == nil {
			p, ok := t.member(pc.id)
			if !ok {
				t.drop(pc)
				continue
			}
			d := net.Dialer{Timeout: t.cfg.DialTimeout}
			raw, err := d.DialContext(t.ctx, "tcp", p.Addr)
			if err == nil {
				conn = tls.Client(raw, t.tlsConfig(pc.id, nil))
				hctx, cancel := context.WithTimeout(t.ctx, t.cfg.DialTimeout)
				err = conn.HandshakeContext(hctx)
				cancel()
				if err != nil {
					conn.Close()
					conn = nil
				}
			}
			if err != nil {
				t.cfg.Logger.Debug("peer unreachable", "peer", p.NodeID, "err", err)
				t.drop(pc)
				select {
				case <-t.ctx.Done():
					return
				case <-time.After(backoff):
				}
				backoff = min(backoff*2, 2*time.Second)
				continue
			}
			backoff = 50 * time.Millisecond
			w = bufio.NewWriterSize(conn, 64<<10)
		}
		// A peer that does not read within the deadline is treated as dead.
		err := conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
		if err == nil {
			err = writeFrame(w, f)
		}
		for err == nil && len(pc.q) > 0 { // batch what is queued into one flush
			err = writeFrame(w, <-pc.q)
		}
		if err == nil {
			err = w.Flush()
		}
		if err != nil {
			t.cfg.Logger.Debug("peer connection lost", "raft_id", pc.id, "err", err)
			conn.Close()
			conn = nil
			t.drop(pc)
		}
	}
}

// drop discards a peer's queued messages and reports it unreachable.
func (t *Transport) drop(pc *peerConn) {
	for len(pc.q) > 0 {
		<-pc.q
	}
	if t.cfg.Unreachable != nil {
		t.cfg.Unreachable(pc.id)
	}
}

func writeFrame(w *bufio.Writer, f frame) error {
	var hdr [5]byte
	binary.BigEndian.PutUint32(hdr[:4], uint32(len(f.payload)))
	hdr[4] = f.kind
	if _, err := w.Write(hdr[:]); err != nil {
		return err
	}
	_, err := w.Write(f.payload)
	return err
}

// Close stops the transport and waits for its goroutines.
func (t *Transport) Close() error {
	t.mu.Lock()
	t.stop()
	for c := range t.conns {
		c.Close()
	}
	t.mu.Unlock()
	var err error
	if t.ln != nil {
		err = t.ln.Close()
	}
	t.wg.Wait()
	return err
}
