package nodetest

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/almoner/almoner/consortium-node/api/server"
	"github.com/almoner/almoner/consortium-node/genesis"
	"github.com/almoner/almoner/consortium-node/internal/node"
	"github.com/almoner/almoner/consortium-node/internal/transport"
	"github.com/almoner/almoner/privacy/sign"
)

// Config configures one in-process node of a dev consortium.
type Config struct {
	// Home is the dev consortium's folder: genesis.json and keys/ (the
	// node's key file is read from there).
	Home    string
	Genesis *genesis.File
	// NodeID is the node's id in Genesis, or Join's.
	NodeID string
	// Join is the node's record when it was added after genesis (almoner node-change add); its key file is in
	// Home's keys/ all the same.
	Join *genesis.Node
	// DataDir holds the node's database; it survives Close, so a node
	// started again on it resumes.
	DataDir string
	Logger  *slog.Logger
	// TickInterval is the raft tick (default: the node's).
	TickInterval time.Duration
	// SnapshotEvery and RetryAfter are the node's (default: the node's).
	SnapshotEvery uint64
	RetryAfter    time.Duration
	// Listener is where the API is served (default: a new loopback port).
	Listener net.Listener
	// TLS serves the API over TLS with the node key's certificate (as
	// `consortium-node run --api-tls`); clients trust genesis.NodeKeys.
	TLS bool
	// Metrics serves the node's Prometheus metrics at /metrics.
	Metrics bool
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	switch {
	case c.Home == "" || c.Genesis == nil || c.NodeID == "" || c.DataDir == "":
		return errors.New("nodetest: Home, Genesis, NodeID and DataDir are required")
	case c.Logger == nil:
		return errors.New("nodetest: a logger is required")
	}
	if _, ok := c.Genesis.Node(c.NodeID); !ok && (c.Join == nil || c.Join.ID != c.NodeID) {
		return fmt.Errorf("nodetest: %q is not a node of the genesis file nor the one joining", c.NodeID)
	}
	return nil
}

// Server is a running node and its API.
type Server struct {
	// URL is the node API's base URL (http:// or, with TLS, https://).
	URL string
	// Key is the node's signing key (a node may read everything).
	Key  *sign.PrivateKey
	stop func()
}

// Run opens the node on its data folder, runs it and serves its API
// until Close. It does not wait for a raft leader.
func Run(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	kf, key, err := genesis.LoadSignKey(cfg.Home, "", cfg.NodeID)
	if err != nil {
		return nil, fmt.Errorf("nodetest: %w", err)
	}
	// With its encryption key the node keeps its organisation's private
	// record ciphertexts (upload, fetch under a granted access).
	ek, err := kf.ReaderKey()
	if err != nil {
		return nil, fmt.Errorf("nodetest: %w", err)
	}
	nd, err := node.Open(node.Config{DataDir: cfg.DataDir, Genesis: cfg.Genesis, NodeID: cfg.NodeID, Key: key,
		EncKey: ek, Logger: cfg.Logger, TickInterval: cfg.TickInterval, SnapshotEvery: cfg.SnapshotEvery,
		RetryAfter: cfg.RetryAfter, Join: cfg.Join})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- nd.Run(ctx) }()
	stopNode := func() {
		cancel()
		<-done
		nd.Close()
	}
	sc := server.Config{Backend: nd, Logger: cfg.Logger, Heartbeat: 200 * time.Millisecond}
	if cfg.Metrics {
		sc.Metrics = nd.MetricsHandler()
	}
	h, err := server.New(sc)
	if err != nil {
		stopNode()
		return nil, err
	}
	srv := &httptest.Server{Listener: cfg.Listener,
		Config: &http.Server{Handler: h, ErrorLog: log.New(io.Discard, "", 0)}}
	if srv.Listener == nil {
		if srv.Listener, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			stopNode()
			return nil, err
		}
	}
	if cfg.TLS {
		cert, err := transport.Certificate(cfg.NodeID, key)
		if err != nil {
			srv.Listener.Close()
			stopNode()
			return nil, err
		}
		srv.TLS = &tls.Config{MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{cert}}
		srv.StartTLS()
	} else {
		srv.Start()
	}
	return &Server{URL: srv.URL, Key: key, stop: func() {
		srv.CloseClientConnections()
		srv.Close()
		stopNode()
	}}, nil
}

// Close stops the API and the node, as a crash would for its callers
// (connections cut); the data folder stays.
func (s *Server) Close() {
	if s.stop != nil {
		s.stop()
		s.stop = nil
	}
}
