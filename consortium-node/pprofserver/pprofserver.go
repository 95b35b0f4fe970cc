// Package pprofserver serves the Go runtime's profiles (net/http/pprof) on
// a listener of their own, for the node and portal daemons' --pprof flag.
//
// The profiles say what a process is doing and hold its command line, so
// they are served on a loopback address only, never beside the public API
// and never on DefaultServeMux: Start refuses any address that is not a
// loopback IP literal or "localhost" (ErrNotLoopback), and checks the
// address it actually bound. Reach it from elsewhere through an SSH tunnel.
//
//	consortium-node run --pprof 127.0.0.1:6060
//	go tool pprof -seconds 30 http://127.0.0.1:6060/debug/pprof/profile
//	go tool pprof -sample_index=alloc_space http://127.0.0.1:6060/debug/pprof/heap
//
// This package may import only the standard library.
package pprofserver

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"strings"
	"time"
)

// ErrNotLoopback is returned for an address whose host is not loopback.
var ErrNotLoopback = errors.New("pprofserver: address is not loopback (use 127.0.0.1:PORT or [::1]:PORT)")

// CheckAddr returns nil if addr is HOST:PORT with HOST a loopback IP
// (127.0.0.0/8, ::1) or "localhost"; an empty host (all interfaces) and
// any other name or address are refused with ErrNotLoopback.
func CheckAddr(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("pprofserver: address %q: %w", addr, err)
	}
	if strings.EqualFold(host, "localhost") {
		return nil
	}
	host, _, _ = strings.Cut(host, "%") // an IPv6 zone
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%w: %q", ErrNotLoopback, addr)
	}
	return nil
}

// Handler returns the pprof routes under /debug/pprof/: the index, every
// runtime profile by name (heap, allocs, goroutine, block, mutex,
// threadcreate), profile (CPU, ?seconds=N), trace, cmdline and symbol.
func Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index) // named profiles too
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// Server is a running pprof listener. Close stops it.
type Server struct {
	ln   net.Listener
	srv  *http.Server
	done chan struct{}
}

// Start checks addr (CheckAddr), listens on it, verifies that the bound
// address is loopback (a "localhost" that resolves elsewhere is refused)
// and serves Handler until Close. log may be nil.
func Start(addr string, log *slog.Logger) (*Server, error) {
	if err := CheckAddr(addr); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("pprofserver: %w", err)
	}
	if ta, ok := ln.Addr().(*net.TCPAddr); !ok || !ta.IP.IsLoopback() {
		ln.Close()
		return nil, fmt.Errorf("%w: %q listens on %s", ErrNotLoopback, addr, ln.Addr())
	}
	// No write timeout: a CPU profile or trace streams for ?seconds=N.
	s := &Server{ln: ln, srv: &http.Server{Handler: Handler(), ReadHeaderTimeout: 10 * time.Second}, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("pprof server", "err", err)
		}
	}()
	log.Info("pprof listening (loopback only)", "addr", "http://"+ln.Addr().String()+"/debug/pprof/")
	return s, nil
}

// Addr is the address the server listens on (useful with port 0).
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Close stops the server at once, cutting off profiles in progress, and
// waits for its goroutine to end.
func (s *Server) Close() error {
	err := s.srv.Close()
	<-s.done
	return err
}
