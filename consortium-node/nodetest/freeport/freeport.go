// Package freeport hands tests a loopback TCP address to bind later, such
// as a node's raft address written into a genesis file before the node
// starts. It imports only the standard library, so that any test may use
// it (the node's own tests included).
//
// Asking the kernel for port 0 and closing the listener gives a port from
// the ephemeral range, which any outgoing connection on the machine may
// take as its local port before the test binds it ("address already in
// use" under a parallel `go test ./...`). Addr picks from below that range
// instead, where only listeners live, and checks that the port binds.
package freeport

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
)

// lowest is the bottom of the range Addr picks from.
const lowest = 10000

// Addr returns "127.0.0.1:port" for a port that was free a moment ago and
// that no outgoing connection can be given.
func Addr(t testing.TB) string {
	t.Helper()
	top := ephemeralStart()
	if top-lowest < 1000 { // an unusual range: let the kernel choose
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return l.Addr().String()
	}
	for range 200 {
		addr := fmt.Sprintf("127.0.0.1:%d", lowest+rand.IntN(top-lowest))
		l, err := net.Listen("tcp", addr)
		if err != nil {
			continue // taken: another
		}
		l.Close()
		return addr
	}
	t.Fatalf("freeport: no free port in %d-%d after 200 tries", lowest, top-1)
	return ""
}

// Port is Addr's port.
func Port(t testing.TB) int {
	t.Helper()
	_, p, _ := net.SplitHostPort(Addr(t))
	n, _ := strconv.Atoi(p)
	return n
}

// ephemeralStart is the first port of the kernel's ephemeral range
// (Linux's default when it cannot be read).
func ephemeralStart() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 32768
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return 32768
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || n <= 0 || n > 65535 {
		return 32768
	}
	return n
}
