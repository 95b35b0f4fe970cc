package pprofserver

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestCheckAddr(t *testing.T) {
	for _, tc := range []struct {
		addr string
		ok   bool
	}{
		{"127.0.0.1:6060", true},
		{"127.0.0.2:6060", true},
		{"[::1]:6060", true},
		{"localhost:6060", true},
		{"LOCALHOST:0", true},
		{"0.0.0.0:6060", false},
		{":6060", false},
		{"[::]:6060", false},
		{"10.0.0.1:6060", false},
		{"192.168.1.2:6060", false},
		{"example.com:6060", false},
		{"[::ffff:10.0.0.1]:6060", false},
	} {
		t.Run(tc.addr, func(t *testing.T) {
			err := CheckAddr(tc.addr)
			if (err == nil) != tc.ok {
				t.Fatalf("CheckAddr(%q) = %v, want ok %v", tc.addr, err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrNotLoopback) {
				t.Fatalf("CheckAddr(%q) = %v, want %v", tc.addr, err, ErrNotLoopback)
			}
		})
	}
	if err := CheckAddr("127.0.0.1"); err == nil || errors.Is(err, ErrNotLoopback) {
		t.Fatalf("no port: %v, want a parse error", err)
	}
}

func TestStartRefusesNonLoopback(t *testing.T) {
	s, err := Start("0.0.0.0:0", nil)
	if !errors.Is(err, ErrNotLoopback) {
		if s != nil {
			s.Close()
		}
		t.Fatalf("Start(0.0.0.0:0) = %v, want %v", err, ErrNotLoopback)
	}
}

func TestServesProfiles(t *testing.T) {
	s, err := Start("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	base := "http://" + s.Addr().String()
	for _, tc := range []struct{ path, want string }{
		{"/debug/pprof/", "goroutine"},
		{"/debug/pprof/goroutine?debug=1", "goroutine profile:"},
		{"/debug/pprof/cmdline", ""},
	} {
		res, err := http.Get(base + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !strings.Contains(string(b), tc.want) {
			t.Errorf("GET %s: %s, body %.200q; want 200 containing %q", tc.path, res.Status, b, tc.want)
		}
	}
	// Nothing else is served: the listener is the profiles' alone.
	res, err := http.Get(base + "/v1/status")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("GET /v1/status: %s, want 404", res.Status)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get(base + "/debug/pprof/"); err == nil {
		t.Error("still serving after Close")
	}
}
