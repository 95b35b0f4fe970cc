package client

import (
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/almoner/almoner/privacy/sign"
)

// NodeKeys is the set of consortium node keys a client trusts to serve the
// node API over TLS: a node's certificate is self-signed with its Ed25519
// node key (the key in the genesis file or on the ledger), so a server is
// authenticated by its key being one of these, as the nodes' own transport
// authenticates peers. Safe for concurrent use; Set replaces the set when
// the consortium's nodes change.
type NodeKeys struct {
	mu   sync.RWMutex
	keys map[string]bool
}

// NewNodeKeys returns a set trusting keys (node id → signing key, as
// genesis.File.NodeKeys returns them).
func NewNodeKeys(keys map[string]sign.PublicKey) *NodeKeys {
	k := &NodeKeys{}
	k.Set(keys)
	return k
}

// Set replaces the trusted keys.
func (k *NodeKeys) Set(keys map[string]sign.PublicKey) {
	m := map[string]bool{}
	for _, p := range keys {
		if p.Alg == sign.Ed25519 {
			m[string(p.Key)] = true
		}
	}
	k.mu.Lock()
	k.keys = m
	k.mu.Unlock()
}

// Add trusts more keys.
func (k *NodeKeys) Add(keys map[string]sign.PublicKey) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, p := range keys {
		if p.Alg == sign.Ed25519 {
			k.keys[string(p.Key)] = true
		}
	}
}

func (k *NodeKeys) has(pub ed25519.PublicKey) bool {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.keys[string(pub)]
}

// ErrUntrustedNode means a TLS server's certificate is not a consortium
// node's key.
var ErrUntrustedNode = errors.New("client: the server's certificate is not the key of a consortium node")

// TLSConfig returns the client TLS configuration that accepts only a
// server whose self-signed certificate carries one of keys.
func TLSConfig(keys *NodeKeys) *tls.Config {
	return &tls.Config{
		MinVersion:         tls.VersionTLS13,
		InsecureSkipVerify: true, // the server is authenticated below, by its node key
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) != 1 {
				return fmt.Errorf("%w: want one certificate, got %d", ErrUntrustedNode, len(raw))
			}
			c, err := x509.ParseCertificate(raw[0])
			if err != nil {
				return fmt.Errorf("%w: %v", ErrUntrustedNode, err)
			}
			pub, ok := c.PublicKey.(ed25519.PublicKey)
			if !ok || !keys.has(pub) {
				return ErrUntrustedNode
			}
			// Self-signed by that key: the server holds it (TLS 1.3's
			// CertificateVerify proves possession too).
			if err := c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature); err != nil {
				return fmt.Errorf("%w: %v", ErrUntrustedNode, err)
			}
			return nil
		},
	}
}

// HTTPClient returns an HTTP client for node APIs over TLS, trusting keys,
// with the connection pool and dial timeout NewMulti uses by default.
func HTTPClient(keys *NodeKeys) *http.Client {
	d := &net.Dialer{Timeout: DefaultDialTimeout, KeepAlive: 15 * time.Second}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext, TLSClientConfig: TLSConfig(keys),
		MaxIdleConnsPerHost: 64, IdleConnTimeout: 90 * time.Second, ForceAttemptHTTP2: true}}
}
