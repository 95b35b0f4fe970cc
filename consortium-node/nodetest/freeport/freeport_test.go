package freeport

import (
	"net"
	"strconv"
	"testing"
)

// TestAddr: the address binds, and its port is below the ephemeral range.
func TestAddr(t *testing.T) {
	for range 20 {
		addr := Addr(t)
		_, p, err := net.SplitHostPort(addr)
		if err != nil {
			t.Fatal(err)
		}
		port, _ := strconv.Atoi(p)
		if port < lowest || port >= ephemeralStart() {
			t.Fatalf("port %d is outside %d-%d", port, lowest, ephemeralStart()-1)
		}
		l, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatalf("%s does not bind: %v", addr, err)
		}
		l.Close()
	}
}
